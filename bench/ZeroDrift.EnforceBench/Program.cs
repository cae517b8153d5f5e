using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Enforcement;

// Enforcement cost and block latency (root). Every figure is a ratio against a reference measured in the same run:
// the same load in a cgroup whose policy is off (no decision).
//   exec:    spawn + reap of an allowed program: with no enforcement loaded at all (as without the agent), Off,
//            Protect (allowed by file: the executable with any parent), and Protect with the full check a profile's
//            multi-call file gets (the parent's executable compared, argv[0] read from the new image and hashed);
//            a denied one (killed at exec) vs an allowed one; from the kernel records: execve → decision and
//            decision → process reaped.
//   connect: UDP socket connect() to loopback, Off vs Protect-allowed vs Protect-denied (EPERM); and on the host
//            (a cgroup under no policy), with enforcement loaded vs not loaded, alternating: the connect programs
//            are attached once at the root of the cgroup hierarchy, so every connect on the machine runs them.
// The loads run in a mount namespace of their own (unshare): enforcement never acts on the host's.
// usage: ZeroDrift.EnforceBench LOAD_SCRIPT [ROUNDS] [EXECS] [CONNECTS]

var script = args.Length > 0 ? Path.GetFullPath(args[0]) : throw new ArgumentException("usage: ZeroDrift.EnforceBench enforce-load.py [ROUNDS] [EXECS] [CONNECTS]");
var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var execs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2000;
var connects = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 20000;

var pinRoot = $"/sys/fs/bpf/zerodrift-bench-{Environment.ProcessId}";
var cgroupPath = $"/zerodrift-enforce-bench-{Environment.ProcessId}";
var cgroupDir = Path.Join(CgroupPaths.FindV2Root(), cgroupPath.TrimStart('/'));
var denied = $"/tmp/zerodrift-enforce-bench-denied-{Environment.ProcessId}";
var allowed = ResolveBinary("true");
Directory.CreateDirectory(cgroupDir);
File.Copy(allowed, denied, overwrite: true);
// Kernel time per program run (insensitive to the machine's load): bpf_stats, restored afterwards.
const string StatsSwitch = "/proc/sys/kernel/bpf_stats_enabled";
var statsBefore = File.Exists(StatsSwitch) ? File.ReadAllText(StatsSwitch).Trim() : null;
if (statsBefore is not null) File.WriteAllText(StatsSwitch, "1");
try
{
    var cgroupId = Native.Inode(cgroupDir);
    // The reference for what enforcement costs an exec at all: the same load before any of it is loaded.
    var unloaded = new List<double>();
    for (var round = 0; round < rounds; round++) unloaded.AddRange(Durations(Run(script, cgroupDir, "exec", allowed, execs)));
    var (hostWithout, hostWith, hostConnectNs) = HostConnects(script, rounds, connects);
    using var enforcer = KernelEnforcer.Open(pinRoot);
    var policy = enforcer.PolicyFor($"bench/{Environment.ProcessId}");
    enforcer.AssignCgroup(cgroupId, policy);
    var allowedFile = KernelEnforcer.ResolveInRoot("/", allowed) ?? throw new InvalidOperationException($"cannot stat {allowed}");
    var python = KernelEnforcer.ResolveInRoot("/", Tool("python3", "-c", "import os, sys; print(os.path.realpath(sys.executable))").Trim())
        ?? throw new InvalidOperationException("cannot stat the python3 that runs the load");
    enforcer.AllowProcess(policy, allowedFile, ExecParent.Any, 0);
    enforcer.AllowDestination(policy, IPAddress.Loopback, 32, 9);

    var records = new ConcurrentDictionary<int, (long KernelNs, long ReceivedNs)>();
    using var stop = new CancellationTokenSource();
    var reader = Task.Run(async () =>
    {
        try
        {
            await foreach (var b in enforcer.ReadBlockedAsync(stop.Token))
                if (b.Kind == "exec") records[b.Pid] = (b.KernelTimeNs, Native.MonotonicNs());
        }
        catch (OperationCanceledException) { }
    });

    var samples = new Dictionary<string, List<double>>();
    void Add(string name, IEnumerable<double> values)
    {
        if (!samples.TryGetValue(name, out var list)) samples[name] = list = [];
        list.AddRange(values);
    }
    var toDecision = new List<double>();
    var decisionToReaped = new List<double>();
    var toUser = new List<double>();
    var notKilled = 0;
    var notDenied = 0;
    var notAllowed = 0;

    for (var round = 0; round < rounds; round++)
    {
        // Alternate the order each round so a drifting machine does not favour one side.
        var phases = round % 2 == 0 ? new[] { "off", "protect" } : ["protect", "off"];
        foreach (var phase in phases)
        {
            enforcer.SetPolicy(policy, phase == "off" ? EnforcementMode.Off : EnforcementMode.Protect, PolicyFlags.None);
            Add($"exec allowed ({phase})", Durations(Run(script, cgroupDir, "exec", allowed, execs)));
            if (phase == "protect")
            {
                // The same program as a multi-call file of the profile: allowed only run by python3 (the load's
                // interpreter, in the cgroup) under the name "true", so every exec reads and hashes argv[0].
                var byName = (allowedFile, ExecParent.Of(python), ProgramName.Hash(Path.GetFileName(allowed)));
                enforcer.MarkMultiCall(policy, allowedFile, 0);
                enforcer.AllowProcess(policy, byName.allowedFile, byName.Item2, byName.Item3);
                enforcer.PruneExecutables(policy, [byName], [allowedFile]);
                var multi = Run(script, cgroupDir, "exec", allowed, execs);
                notAllowed += multi.Count(r => r[3] != 0);
                Add("exec allowed, parent + name (protect)", Durations(multi));
                enforcer.AllowProcess(policy, allowedFile, ExecParent.Any, 0);
                enforcer.PruneExecutables(policy, [(allowedFile, ExecParent.Any, 0)], []);
            }
            Add($"connect allowed ({phase})", Durations(Run(script, cgroupDir, "connect", "9", connects)));
            if (phase == "off")
            {
                Add("exec other binary (off)", Durations(Run(script, cgroupDir, "exec", denied, execs)));
                Add("connect other port (off)", Durations(Run(script, cgroupDir, "connect", "10", connects)));
                continue;
            }
            var killed = Run(script, cgroupDir, "exec", denied, execs);
            notKilled += killed.Count(r => r[3] != 9);
            Add("exec denied, killed (protect)", Durations(killed));
            var refused = Run(script, cgroupDir, "connect", "10", connects);
            notDenied += refused.Count(r => r[3] != 1);
            Add("connect denied, EPERM (protect)", Durations(refused));
            await Task.Delay(300); // the last records reach the reader
            foreach (var r in killed)
            {
                if (!records.TryGetValue((int)r[0], out var k)) continue;
                toDecision.Add((k.KernelNs - r[1]) / 1000.0);
                decisionToReaped.Add((r[2] - k.KernelNs) / 1000.0);
                toUser.Add((k.ReceivedNs - k.KernelNs) / 1000.0);
            }
        }
    }
    enforcer.Forget(cgroupId);
    enforcer.RemovePolicy(policy);
    await stop.CancelAsync();
    await reader;

    Console.WriteLine($"rounds {rounds}, {execs} execs and {connects} connects per phase and round; µs per operation (median / p99)");
    samples["exec allowed (nothing loaded)"] = unloaded;
    samples["connect on the host (not loaded)"] = hostWithout;
    samples["connect on the host (loaded)"] = hostWith;
    foreach (var (name, values) in samples.OrderBy(s => s.Key, StringComparer.Ordinal))
        Console.WriteLine($"  {name,-34} {Percentile(values, 50),9:F1} {Percentile(values, 99),9:F1}");
    Console.WriteLine("ratios (median against the reference measured in this run):");
    Ratio("exec allowed: protect / off", "exec allowed (protect)", "exec allowed (off)");
    Ratio("exec allowed: protect / nothing loaded", "exec allowed (protect)", "exec allowed (nothing loaded)");
    Ratio("exec parent + name (protect) / nothing loaded", "exec allowed, parent + name (protect)", "exec allowed (nothing loaded)");
    Ratio("exec parent + name / by file (protect)", "exec allowed, parent + name (protect)", "exec allowed (protect)");
    Ratio("exec denied (killed) / allowed run (off)", "exec denied, killed (protect)", "exec allowed (off)");
    Ratio("connect allowed: protect / off", "connect allowed (protect)", "connect allowed (off)");
    Ratio("connect denied (EPERM) / allowed (off)", "connect denied, EPERM (protect)", "connect allowed (off)");
    Ratio("connect on the host: loaded / not loaded", "connect on the host (loaded)", "connect on the host (not loaded)");
    Console.WriteLine($"  zde_connect4 kernel time per host connect (bpf_stats, while loaded): {hostConnectNs:F0} ns");
    Console.WriteLine($"block latency from the kernel records ({toDecision.Count} of {rounds * execs} denied execs matched):");
    Console.WriteLine($"  execve → kill decision (tracepoint)   median {Percentile(toDecision, 50):F1} µs, p99 {Percentile(toDecision, 99):F1} µs");
    Console.WriteLine($"  kill decision → process reaped        median {Percentile(decisionToReaped, 50):F1} µs, p99 {Percentile(decisionToReaped, 99):F1} µs");
    Console.WriteLine($"  kill decision → record in user space  median {Percentile(toUser, 50):F1} µs, p99 {Percentile(toUser, 99):F1} µs");
    Console.WriteLine("kernel time per program run (bpf_stats; zde_exec runs for every exec on the machine, most return at the cgroup look-up):");
    foreach (var id in enforcer.ProgramIds())
    {
        using var doc = JsonDocument.Parse(Tool("bpftool", "--json", "prog", "show", "id", id.ToString(CultureInfo.InvariantCulture)));
        var p = doc.RootElement;
        var runs = p.TryGetProperty("run_cnt", out var c) ? c.GetInt64() : 0;
        var ns = p.TryGetProperty("run_time_ns", out var t) ? t.GetInt64() : 0;
        Console.WriteLine($"  {p.GetProperty("name").GetString(),-14} {runs,9} runs  {(runs > 0 ? (double)ns / runs : double.NaN),8:F0} ns per run");
    }
    Console.WriteLine($"denied execs not killed by SIGKILL: {notKilled}; denied connects not refused: {notDenied}; allowed (parent + name) execs killed: {notAllowed}");
    return notKilled + notDenied + notAllowed == 0 ? 0 : 1;

    void Ratio(string label, string measured, string reference) =>
        Console.WriteLine($"  {label,-48} {Percentile(samples[measured], 50) / Percentile(samples[reference], 50):F2}");
}
finally
{
    if (statsBefore is not null) File.WriteAllText(StatsSwitch, statsBefore);
    KernelEnforcer.Release(pinRoot);
    File.Delete(denied);
    for (var i = 0; i < 50 && Directory.Exists(cgroupDir); i++)
    {
        try { Directory.Delete(cgroupDir); }
        catch (IOException) { Thread.Sleep(100); }
    }
}

// Host connects (a cgroup under no policy) with enforcement loaded and not, alternating: the connect programs are
// attached at the root of the hierarchy, so they run for these too. Returns both samples and zde_connect4's kernel
// time per run over the loaded phases.
static (List<double> Without, List<double> With, double ProgramNs) HostConnects(string script, int rounds, int connects)
{
    var root = $"/sys/fs/bpf/zerodrift-bench-host-{Environment.ProcessId}";
    List<double> without = [], with = [];
    long runs = 0, ns = 0;
    for (var round = 0; round < rounds; round++)
    {
        without.AddRange(Durations(Run(script, "-", "connect", "9", connects)));
        using (var e = KernelEnforcer.Open(root))
        {
            var id = e.ProgramIds()[1]; // zde_connect4
            var (r0, t0) = ProgramStats(id);
            with.AddRange(Durations(Run(script, "-", "connect", "9", connects)));
            var (r1, t1) = ProgramStats(id);
            (runs, ns) = (runs + r1 - r0, ns + t1 - t0);
        }
        KernelEnforcer.Release(root);
    }
    return (without, with, runs > 0 ? (double)ns / runs : double.NaN);
}

static (long Runs, long Ns) ProgramStats(uint id)
{
    using var doc = JsonDocument.Parse(Tool("bpftool", "--json", "prog", "show", "id", id.ToString(CultureInfo.InvariantCulture)));
    var p = doc.RootElement;
    return (p.TryGetProperty("run_cnt", out var c) ? c.GetInt64() : 0, p.TryGetProperty("run_time_ns", out var t) ? t.GetInt64() : 0);
}

static List<long[]> Run(string script, string cgroupDir, string kind, string target, int n)
{
    // A mount namespace of its own: the host's is never enforced (a runtime's helpers run there).
    var start = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var a in new[] { "--mount", "python3", script, cgroupDir, kind, target, n.ToString(CultureInfo.InvariantCulture) }) start.ArgumentList.Add(a);
    using var p = Process.Start(start)!;
    var output = p.StandardOutput.ReadToEnd();
    var error = p.StandardError.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0) throw new InvalidOperationException($"the load failed ({p.ExitCode}): {error}");
    return JsonSerializer.Deserialize<List<long[]>>(output)!;
}

static string Tool(string file, params string[] args)
{
    var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, UseShellExecute = false };
    using var p = Process.Start(start)!;
    var output = p.StandardOutput.ReadToEnd();
    p.WaitForExit();
    return output;
}

static IEnumerable<double> Durations(List<long[]> runs) => runs.Select(r => (r[2] - r[1]) / 1000.0);

static double Percentile(List<double> values, double p)
{
    if (values.Count == 0) return double.NaN;
    var sorted = values.Order().ToArray();
    return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
}

static string ResolveBinary(string name) =>
    new[] { "/usr/bin", "/bin" }.Select(d => Path.Join(d, name)).First(File.Exists) is var path ? new FileInfo(path).ResolveLinkTarget(true)?.FullName ?? path : name;

internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    public static long MonotonicNs()
    {
        ClockGetTime(1, out var t);
        return t.Seconds * 1_000_000_000 + t.Nanoseconds;
    }

    public static ulong Inode(string path) => ulong.Parse(Stat(path), CultureInfo.InvariantCulture);

    private static string Stat(string path)
    {
        var start = new ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true };
        using var p = Process.Start(start)!;
        var s = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return s;
    }
}
