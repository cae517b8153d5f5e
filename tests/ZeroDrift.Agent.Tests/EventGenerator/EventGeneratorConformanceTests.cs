using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Rules;

using static ZeroDrift.Agent.Tests.AgentScenario;

namespace ZeroDrift.Agent.Tests.EventGenerator;

/// <summary>
/// Falco's own attack simulations as a conformance suite (issue 16, item 3): every action of
/// falcosecurity/event-generator whose rule Falco's three rule files enable is re-enacted (<see cref="EventGeneratorActions"/>)
/// in a real container (podman, runc; the host for the two host actions) under the real agent, which loads the three
/// files with ZeroDrift's own rules off. Per action, the rule Falco fires must fire, and any other rule that fires
/// for the action's container is an alert Falco would not raise.
/// </summary>
/// <remarks>
/// A ratchet: the issue's target is <see cref="Target"/> actions firing their rule with at most
/// <see cref="TargetExtraAlerts"/> alerts Falco would not raise. The test asserts what the agent achieves today,
/// <see cref="FiredFloor"/> and <see cref="ExtraCeiling"/>, and fails on any regression; docs/rules.md ("Falco's
/// event-generator") has the table and the causes.
/// </remarks>
[Collection("event-generator")]
public sealed class EventGeneratorConformanceTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>The issue's done-when: 56 actions fire the rule Falco fires.</summary>
    public const int Target = 56;

    /// <summary>The issue's done-when: at most 3 alerts Falco would not raise.</summary>
    public const int TargetExtraAlerts = 3;

    /// <summary>
    /// Actions firing the rule Falco fires: all 57 (18 of 59 before evt.num, the new event types, proc.name, setuid's
    /// user, the errno table, the container fields and dup landed, 2026-12-07). Execution from /dev/shm and Disallowed
    /// SSH Connection Non Standard Port were counted until their re-enactments were read against the rules: Falco fires
    /// nothing for either (their notes say why); the two variants show those rules fire on the branch the generator
    /// misses.
    /// </summary>
    public const int FiredFloor = 57;

    /// <summary>
    /// Alerts Falco would not raise: none. The four "Non sudo setuid" alerts of the System user interactive, Sudo, Polkit
    /// and userfaultfd actions were counted here until libsinsp's setuid semantics were read: Falco raises them too
    /// (<c>SwitchesUser</c> in <see cref="EventGeneratorActions"/>).
    /// </summary>
    public const int ExtraCeiling = 0;

    private const int Parallelism = 3;

    private readonly TempDir _dir = new();
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..10];
    private string Image => $"localhost/zdeg-{_suffix}:1";
    /// <summary>What a host action puts in its command line, so that its alerts are told from the host's other processes'.</summary>
    private string Marker(EventGeneratorAction action) => $"zdeg{_suffix}{action.Name.ToLowerInvariant()}";
    private string Alerts => _dir.Combine("alerts.jsonl");

    private string ContainerName(EventGeneratorAction action) => $"zdeg-{_suffix}-{action.Name.ToLowerInvariant()}";

    [Fact]
    public void Each_action_targets_a_rule_the_files_enable_and_each_skip_is_true_and_documented()
    {
        var set = new RuleSet();
        foreach (var file in FalcoRuleFiles()) RuleLoader.LoadFile(set, file);
        var rules = set.Rules.GroupBy(r => r.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        var docs = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "rules.md"));
        Assert.Equal(EventGeneratorActions.All.Count, EventGeneratorActions.All.Select(a => a.Name).Distinct(StringComparer.Ordinal).Count());
        foreach (var action in EventGeneratorActions.All)
        {
            rules.TryGetValue(action.Rule, out var rule);
            if (action.Runs)
            {
                Assert.True(rule is { Enabled: true }, $"{action.Name}: rule '{action.Rule}' is not enabled in Falco's files");
                Assert.All(action.AlsoFalco, r => Assert.True(rules.ContainsKey(r), $"{action.Name}: no rule '{r}'"));
            }
            else if (action.Skip!.Contains("enabled: false", StringComparison.Ordinal))
                Assert.True(rule is { Enabled: false }, $"{action.Name}: rule '{action.Rule}' is not disabled in the files");
            else if (action.Skip.StartsWith("no rule of that name", StringComparison.Ordinal))
                Assert.Null(rule);
            if (!action.Runs) Assert.Contains($"| {action.Name} |", docs, StringComparison.Ordinal);
        }
    }

    [RootFact]
    public void Falco_event_generator_actions_fire_the_rules_Falco_fires_and_no_other()
    {
        BuildImage();
        var stderr = new ConcurrentQueue<(DateTime At, string Line)>();
        List<string> args = ["--output", "none", "--alerts", "file:" + Alerts, "--profiles", _dir.Combine("profiles.db"),
            "--enforcement", "user-space", "--host-processes", "rules", "--status-file", _dir.Combine("status.json"), "--no-default-rules"];
        foreach (var file in FalcoRuleFiles()) args.AddRange(["--rules", file]);
        // A diagnosis aid, not used in CI: more rule files after Falco's (e.g. one redefining a macro, to see which
        // actions a cause alone holds back).
        foreach (var file in (Environment.GetEnvironmentVariable("ZERODRIFT_EVENTGEN_EXTRA_RULES") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            args.AddRange(["--rules", file]);
        var started = DateTime.UtcNow;
        var runs = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        using var agent = StartAgent(stderr, null, [.. args]);
        try
        {
            var actions = EventGeneratorActions.All.Where(a => a.Runs).ToList();
            Parallel.ForEach(actions, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, action =>
                runs[action.Name] = action.Place == Place.Host ? RunOnHost(action) : RunInContainer(action));
            // The last events reach the alerts file within the loop's next rounds.
            Thread.Sleep(5000);
        }
        finally
        {
            StopAgent(agent);
            output.WriteLine(string.Join('\n', stderr.Select(l => l.Line).Where(l => !l.Contains("disabled", StringComparison.Ordinal)).TakeLast(15)));
        }

        var results = Judge(File.Exists(Alerts) ? File.ReadAllLines(Alerts) : []);
        output.WriteLine(Table(results, runs));
        var generator = results.Where(r => !r.Action.IsVariant).ToList();
        var fired = generator.Count(r => r.Fired);
        var extra = results.Sum(r => r.Extra.Count);
        output.WriteLine($"{fired} of {generator.Count(r => r.Action.FalcoFires is not null)} actions Falco fires for fire Falco's rule (target {Target}, floor {FiredFloor}); " +
            $"{extra} alerts Falco would not raise (target {TargetExtraAlerts}, ceiling {ExtraCeiling}); {(DateTime.UtcNow - started).TotalSeconds:0} s");
        Assert.True(fired >= FiredFloor, $"{fired} actions fire their rule, fewer than the floor of {FiredFloor}");
        Assert.True(extra <= ExtraCeiling, $"{extra} alerts Falco would not raise, more than the ceiling of {ExtraCeiling}");
        Assert.All(results.Where(r => r.Action.IsVariant), r => Assert.True(r.Fired, $"{r.Action.Name}: '{r.Action.FalcoFires}' did not fire"));
    }

    /// <summary>Per action run: whether its rule fired, and the alerts for it that are neither its rule nor one Falco fires as well.</summary>
    private sealed record Result(EventGeneratorAction Action, bool Fired, IReadOnlyList<string> Extra, IReadOnlyList<string> Own);

    private List<Result> Judge(IReadOnlyList<string> lines)
    {
        var byAction = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var workloads = EventGeneratorActions.All.Where(a => a.Runs && a.Place != Place.Host)
            .ToDictionary(a => WorkloadIdentity.FromContainerName(ContainerName(a)), a => a.Name, StringComparer.Ordinal);
        var hostActions = EventGeneratorActions.All.Where(a => a.Runs && a.Place == Place.Host).ToList();
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var rule = root.GetProperty("rule").GetString() ?? "";
            string? name = null;
            var z = root.GetProperty("zerodrift");
            // ZeroDrift's own alerts (drift, profile deviations) are not Falco rules: shown apart, not judged.
            if (z.GetProperty("kind").GetString() != "rule") rule = "(zerodrift) " + rule;
            if (z.TryGetProperty("workload", out var w) && w.GetString() is { } workload)
                workloads.TryGetValue(workload, out name);
            // Host actions: the host's other processes raise alerts too; ours carry the action's marker.
            else
                name = hostActions.FirstOrDefault(a => line.Contains(Marker(a), StringComparison.Ordinal))?.Name;
            if (name is null) continue;
            if (!byAction.TryGetValue(name, out var list)) byAction[name] = list = [];
            list.Add(rule);
        }
        return [.. EventGeneratorActions.All.Where(a => a.Runs).Select(a =>
        {
            var alerts = byAction.GetValueOrDefault(a.Name) ?? [];
            return new Result(a, a.FalcoFires is { } expected && alerts.Contains(expected),
                [.. alerts.Where(r => r != a.FalcoFires && !a.AlsoFalco.Contains(r) && !r.StartsWith("(zerodrift)", StringComparison.Ordinal))],
                [.. alerts.Where(r => r.StartsWith("(zerodrift)", StringComparison.Ordinal))]);
        })];
    }

    private static string Table(List<Result> results, IReadOnlyDictionary<string, string> runs)
    {
        var b = new StringBuilder();
        b.AppendLine("| action | rule Falco fires | fired | other alerts (Falco would not raise) | ZeroDrift's own alerts (not judged) | run |");
        b.AppendLine("|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            b.AppendLine(CultureInfo.InvariantCulture, $"| {r.Action.Name} | {r.Action.FalcoFires ?? "(none)"} | {(r.Action.FalcoFires is null ? "-" : r.Fired ? "yes" : "NO")} | {Counted(r.Extra)} | {Counted(r.Own)} | {runs.GetValueOrDefault(r.Action.Name)} |");
        }
        return b.ToString();
    }

    private static string Counted(IEnumerable<string> rules) =>
        string.Join(", ", rules.GroupBy(x => x, StringComparer.Ordinal).Select(g => g.Count() > 1 ? $"{g.Key} ×{g.Count()}" : g.Key));

    private string Fill(EventGeneratorAction action) => action.Script.Replace("{MARKER}", Marker(action), StringComparison.Ordinal);

    /// <summary>
    /// The action in its own container: a shell waits until the agent has met the container (its first exec makes the
    /// agent look the container up), then becomes the action's python3 (exec: the action's process has no shell for
    /// parent, as the generator has none). Returns the exit code and the last line of stderr, for the table.
    /// </summary>
    private string RunInContainer(EventGeneratorAction action)
    {
        List<string> args = ["run", "--rm", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--name", ContainerName(action)];
        if (action.Place == Place.Privileged) args.Add("--privileged");
        if (action.Place == Place.Unconfined) args.AddRange(["--security-opt", "seccomp=unconfined"]);
        args.AddRange(action.PodmanOptions);
        args.AddRange([Image, "/bin/sh", "-c", $"sleep 2; exec python3 /eg/{action.ScriptName}"]);
        var r = Run("podman", [.. args]);
        return Summary(r.ExitCode, r.Stderr);
    }

    /// <summary>A host action: its script from the test's directory, run by the host's own python3.</summary>
    private string RunOnHost(EventGeneratorAction action)
    {
        var r = Run("/usr/bin/python3", [_dir.File(action.ScriptName, Fill(action))]);
        return Summary(r.ExitCode, r.Stderr);
    }

    private static string Summary(int exitCode, string stderr)
    {
        var last = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        var text = $"exit={exitCode.ToString(CultureInfo.InvariantCulture)}{(last is null ? "" : ": " + last)}";
        return (text.Length > 90 ? text[..90] + "…" : text).Replace("|", "\\|", StringComparison.Ordinal);
    }

    private static IEnumerable<string> FalcoRuleFiles() =>
        new[] { "falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml" }.Select(f => Path.Combine(RepoPaths.SharedData, "rules", "falco", f));

    /// <summary>
    /// One image for every action, from this machine's Debian packages: the tools the actions run, the user daemon
    /// (the generator's non-root user), a shadow file to read, a known_hosts and an rpm database directory (files the
    /// rules guard, which a failed open would not show), and the scripts under /eg.
    /// </summary>
    private void BuildImage()
    {
        var image = new HostPackageImage
        {
            Repository = Image[..^2],
            Packages = ["bash", "python3", "netcat-openbsd", "curl", "wget", "openssh-client", "sudo", "nmap", "cron", "kmod", "pkexec",
                "e2fsprogs", "libcap2-bin", "mount", "login", "mawk", "findutils", "apt", "util-linux"],
            Users = ["daemon"],
        }
            .File("/etc/shadow", "root:*:20000:0:99999:7:::\ndaemon:*:20000:0:99999:7:::\n", 0b110_100_000)
            .Directory("/root", 0b111_000_000)
            .Directory("/root/.ssh", 0b111_000_000)
            .File("/root/.ssh/known_hosts", "example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n", 0b110_000_000)
            .Directory("/home")
            .Directory("/var/lib/rpm")
            .Directory("/eg");
        // What maintainer scripts make and dpkg -L does not list: the alternatives the tools are called by, and PAM's
        // common-* files (pam-auth-update writes them) without which sudo refuses to start.
        foreach (var link in new[] { "/usr/bin/nc", "/usr/bin/awk", "/usr/lib/x86_64-linux-gnu/libblas.so.3", "/usr/lib/x86_64-linux-gnu/liblapack.so.3" })
            if (File.Exists(link)) image.Symlink(link, Path.GetFullPath(File.ResolveLinkTarget(link, returnFinalTarget: true)?.FullName ?? link));
        foreach (var pam in Directory.GetFiles("/etc/pam.d", "common-*"))
            image.File(pam, File.ReadAllText(pam));
        foreach (var action in EventGeneratorActions.All.Where(a => a.Runs && a.Place != Place.Host))
            image.File("/eg/" + action.ScriptName, Fill(action));
        image.Build(_dir.Path);
    }

    public void Dispose()
    {
        foreach (var action in EventGeneratorActions.All.Where(a => a.Runs && a.Place != Place.Host))
            Run("podman", ["rm", "-f", "--ignore", ContainerName(action)]);
        Run("podman", ["rmi", "-f", "--ignore", Image]);
        _dir.Dispose();
    }
}

/// <summary>The suite runs alone: its 60 containers and the host actions are what its agent judges, and under a loaded
/// run other tests' containers would only slow the actions that wait on the agent.</summary>
[CollectionDefinition("event-generator", DisableParallelization = true)]
public sealed class EventGeneratorCollection;
