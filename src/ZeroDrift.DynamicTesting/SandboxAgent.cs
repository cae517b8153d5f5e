using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZeroDrift.Agent;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Runtime.Rules.Reference;
using ZeroDrift.Sensor;
using ZeroDrift.Sensor.Attribution;

namespace ZeroDrift.DynamicTesting;

/// <summary>An alert the agent raised for the sandboxed workload.</summary>
public sealed record ObservedAlert(Alert Alert, AlertContext Context);

/// <summary>
/// The real agent, composed in-process for one test: the eBPF sensor, the loop, the rules, a profile store of its own
/// (a temporary file, so nothing of the machine's own profiles is read or changed). New workloads start in Learn;
/// enforcement is user-space only, so the test pins nothing in the kernel and leaves other agents' enforcement alone.
/// The sensor sees every process of the machine; the test keeps only what belongs to its sandbox workload.
/// </summary>
internal sealed class SandboxAgent : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<ObservedAlert> _alerts = [];
    private readonly string _workload;
    private readonly ProfileStore _store;
    private readonly AgentLoop _loop;
    private readonly KernelSensor _sensor;
    private bool _stopped;

    /// <summary>The rule coverage line (<c>N rules loaded, … fully evaluated …</c>): a rule that cannot fire is not run.</summary>
    public string RuleCoverageLine { get; }

    private SandboxAgent(string workload, ProfileStore store, AgentLoop loop, KernelSensor sensor, string coverage)
    {
        _workload = workload;
        _store = store;
        _loop = loop;
        _sensor = sensor;
        RuleCoverageLine = coverage;
    }

    /// <summary>Loads the rules (a file that does not parse is a <see cref="DynamicTestException"/>), then the sensor.</summary>
    public static SandboxAgent Start(TestPlan plan, string storePath, string workload, ILogger? log = null)
    {
        KernelSensor.EnsureSupported();
        log ??= NullLogger.Instance;
        var rules = LoadRules(plan);
        var store = ProfileStore.Open(storePath);
        var agent = (SandboxAgent?)null;
        try
        {
            var collected = new List<ObservedAlert>();
            var publisher = new AlertPublisher([]);
            var processes = TrackedProcess.Table();
            processes.SeedFromProc();
            var loop = new AgentLoop(new AgentOptions
            {
                DefaultMode = ProfileMode.Learn,
                // Learning never ends on its own during a test: the whole run is the trusted sample.
                Learning = new LearningPolicy(TimeSpan.FromDays(1)),
                Host = HostPolicy.Skip,
            }, new AgentParts
            {
                Attributor = new Attributor(new CgroupPaths(), new ContainerMetadata()),
                Processes = processes,
                Alerts = publisher,
                Enforcement = new UserSpaceEnforcement("zerodrift test learns and never blocks"),
                Store = store,
                Rules = rules,
                Trust = new ImageTrustCache(ImageTrustCache.FromPodman, log),
            }, log);
            KernelSensor sensor;
            try
            {
                sensor = KernelSensor.Start(new SensorOptions(), loop);
            }
            catch
            {
                loop.Dispose();
                throw;
            }
            agent = new SandboxAgent(workload, store, loop, sensor, rules is null ? "no rules" : RuleCoverage.Summary(rules.Statuses));
            publisher.Uplink = agent.OnAlert;
            loop.AttachSensor(sensor);
            loop.Start();
            return agent;
        }
        catch
        {
            if (agent is null) store.Dispose();
            throw;
        }
    }

    private void OnAlert(Alert alert, AlertContext context, long sequence)
    {
        if (!string.Equals(context.Workload, _workload, StringComparison.Ordinal)) return;
        lock (_lock) _alerts.Add(new ObservedAlert(alert, context));
    }

    public IReadOnlyList<ObservedAlert> Alerts()
    {
        lock (_lock) return [.. _alerts];
    }

    public long Events => _loop.Events;

    /// <summary>Runs the loop's last round (learning saved, the kernel's last syscall sets read) and detaches the sensor.</summary>
    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await _loop.StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        _sensor.Dispose();
    }

    /// <summary>The sandbox workload's learned profile (after <see cref="StopAsync"/>); null when it never ran a program.</summary>
    public BehaviourProfile? Profile() =>
        _store.List().Where(p => string.Equals(p.Identity.Workload, _workload, StringComparison.Ordinal)).OrderByDescending(p => p.Updated).FirstOrDefault();

    private static RuleEngine<SyscallEvent>? LoadRules(TestPlan plan)
    {
        if (!plan.DefaultRules && plan.RuleFiles.Count == 0) return null;
        var set = new RuleSet();
        if (plan.DefaultRules) RuleLoader.LoadDefaults(set);
        foreach (var file in plan.RuleFiles)
        {
            if (!File.Exists(file)) throw new DynamicTestException($"--rules {file}: no such file");
            var report = RuleLoader.LoadFile(set, file);
            if (report.Error is { } error) throw new DynamicTestException($"--rules {file}: {error}");
        }
        return AgentCapture.Compile(set);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _loop.Dispose();
        _store.Dispose();
    }
}
