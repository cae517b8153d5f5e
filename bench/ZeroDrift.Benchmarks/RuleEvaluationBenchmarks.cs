using System.Net;
using BenchmarkDotNet.Attributes;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Runtime.Rules.Reference;

namespace ZeroDrift.Benchmarks;

/// <summary>
/// Rule evaluation with Falco's stable rules (falco_rules.yaml from ../shared/data/rules/falco, or
/// ZERODRIFT_BENCH_FALCO_RULES) over a synthetic mix of execs, opens and connects from containers. Each invocation
/// evaluates <see cref="Events"/> events, so the reported time per operation is per event and 1e9 / ns is
/// events per second on one core. The reference, in the same run, evaluates every rule for every event (no
/// index by event type). MemoryDiagnoser shows that the no-match path allocates nothing.
/// </summary>
// On a shared machine other processes inflate the mean; the minimum is the least disturbed iteration.
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 20)]
[MemoryDiagnoser]
[MedianColumn]
[MinColumn]
public class RuleEvaluationBenchmarks
{
    public const int Events = 4096;

    private RuleEngine<SyscallEvent> _engine = null!;
    private SyscallEvent[] _quiet = [];
    private SyscallEvent[] _mixed = [];

    [GlobalSetup]
    public void Setup()
    {
        var path = Environment.GetEnvironmentVariable("ZERODRIFT_BENCH_FALCO_RULES") ?? FindStableRules();
        var set = new RuleSet();
        RuleLoader.LoadFile(set, path);
        _engine = RuleEngine<SyscallEvent>.Compile(set, SyscallFields.Create());
        _quiet = Mix(seed: 1, attacks: false);
        _mixed = Mix(seed: 2, attacks: true);
        // The quiet mix must match nothing, or the no-match measurement would be measuring alerts.
        foreach (var e in _quiet)
            if (_engine.FirstMatch(e) is { } rule) throw new InvalidOperationException($"quiet event {e.Type} {e.Process.Name} matched '{rule.Name}'");
        if (_mixed.Count(e => _engine.FirstMatch(e) is not null) == 0) throw new InvalidOperationException("the mixed events match nothing");
    }

    private static string FindStableRules()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ZeroDrift.slnx")))
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "rules", "falco", "falco_rules.yaml"));
        throw new InvalidOperationException("set ZERODRIFT_BENCH_FALCO_RULES to Falco's falco_rules.yaml");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public int AllRulesEveryEvent_NoMatch()
    {
        var hits = 0;
        foreach (var e in _quiet)
            if (_engine.FirstMatchUnindexed(e) is not null) hits++;
        return hits;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int Indexed_NoMatch()
    {
        var hits = 0;
        foreach (var e in _quiet)
            if (_engine.FirstMatch(e) is not null) hits++;
        return hits;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int Indexed_WithAttacks()
    {
        var hits = 0;
        foreach (var e in _mixed)
            if (_engine.FirstMatch(e) is not null) hits++;
        return hits;
    }

    /// <summary>
    /// 45% execs, 40% opens, 15% connects of ordinary container workloads; with attacks, one event in 64 is a
    /// shell with a terminal in a container or a read of /etc/shadow by an unexpected program.
    /// </summary>
    internal static SyscallEvent[] Mix(int seed, bool attacks)
    {
        var random = new Random(seed);
        string[] programs = ["nginx", "python3", "java", "node", "postgres", "redis-server", "envoy", "gunicorn", "ls", "cat"];
        string[] paths = ["/usr/share/nginx/html/index.html", "/app/config.json", "/var/lib/postgresql/data/base/1/112", "/tmp/upload-1234", "/etc/hosts", "/etc/resolv.conf", "/proc/self/status", "/usr/lib/python3.12/json/__init__.py"];
        string[] flags = ["O_RDONLY|O_CLOEXEC", "O_RDONLY", "O_WRONLY|O_CREAT|O_TRUNC", "O_RDWR"];
        var containers = Enumerable.Range(0, 8).Select(i => new ContainerInfo
        {
            Id = $"c0ffee{i:D6}", Name = $"app-{i}", Image = $"registry.local/team/app{i}:1.{i}", ImageRepository = $"registry.local/team/app{i}",
            ImageTag = $"1.{i}", ImageDigest = "sha256:" + new string((char)('a' + i), 64),
        }).ToArray();
        var runc = new ProcessInfo { Name = "runc", Exe = "runc", ExePath = "/usr/bin/runc", Pid = 10 };
        var shim = new ProcessInfo { Name = "containerd-shim", Exe = "containerd-shim", ExePath = "/usr/bin/containerd-shim-runc-v2", Pid = 9 };
        var events = new SyscallEvent[Events];
        for (var i = 0; i < events.Length; i++)
        {
            var name = programs[random.Next(programs.Length)];
            var process = new ProcessInfo
            {
                Name = name, Exe = name, ExePath = "/usr/bin/" + name, Args = ["--serve", i.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                Pid = 1000 + i, Vpid = 1 + (i % 50), Uid = 1000, UserName = "app", LoginUid = -1, Cwd = "/app",
            };
            var parent = new ProcessInfo { Name = "tini", Exe = "tini", ExePath = "/sbin/tini", Pid = 900, Args = ["--", name] };
            var container = containers[random.Next(containers.Length)];
            var roll = random.Next(100);
            SyscallEvent e;
            if (roll < 45)
            {
                e = new SyscallEvent { Type = "execve", Number = i + 1, Result = 0, Process = process, Ancestors = [parent, shim], Container = container };
            }
            else if (roll < 85)
            {
                var path = paths[random.Next(paths.Length)];
                var flag = flags[random.Next(2)]; // reads; writes to /tmp and /app are ordinary but keep the quiet mix quiet
                e = new SyscallEvent
                {
                    Type = "openat", Number = i + 1, Result = 5, Process = process, Ancestors = [parent, shim], Container = container,
                    Args = new Dictionary<string, string> { ["flags"] = flag, ["name"] = path },
                    Fd = new FileDescriptorInfo { Number = 5, Type = "file", Name = path },
                };
            }
            else
            {
                var server = new IPAddress([10, 0, (byte)random.Next(4), (byte)random.Next(1, 250)]);
                e = new SyscallEvent
                {
                    Type = "connect", Number = i + 1, Result = 0, Process = process, Ancestors = [parent, shim], Container = container,
                    Fd = new FileDescriptorInfo
                    {
                        Number = 7, Type = "ipv4", L4Protocol = "tcp", Name = $"172.17.0.2:40000->{server}:5432", ClientIp = IPAddress.Parse("172.17.0.2"),
                        ClientPort = 40000, ServerIp = server, ServerPort = 5432, Connected = true, NameChanged = true,
                    },
                };
            }
            if (attacks && i % 64 == 0)
            {
                e = i % 128 == 0
                    ? new SyscallEvent { Type = "execve", Number = i + 1, Result = 0, Process = process with { Name = "bash", ExePath = "/bin/bash", Tty = 34816 }, Ancestors = [runc, shim], Container = container }
                    : new SyscallEvent
                    {
                        Type = "openat", Number = i + 1, Result = 5, Process = process with { Name = "cat" }, Ancestors = [parent, shim], Container = container,
                        Args = new Dictionary<string, string> { ["flags"] = "O_RDONLY" }, Fd = new FileDescriptorInfo { Number = 5, Type = "file", Name = "/etc/shadow" },
                    };
            }
            events[i] = e;
        }
        return events;
    }
}
