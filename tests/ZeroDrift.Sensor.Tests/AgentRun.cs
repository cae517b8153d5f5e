using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace ZeroDrift.Sensor.Tests;

/// <summary>
/// The real <c>zerodrift agent</c> (the CLI built next to the tests) writing JSON lines to a file; started, waited
/// for until its programs are attached, stopped with SIGTERM as a service manager would.
/// </summary>
public sealed partial class AgentRun : IDisposable
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "zerodrift.dll");
    private readonly Process process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> stderrLines = new();
    private readonly TempDir dir = new();
    public string OutputFile { get; }
    /// <summary>The agent's own status file (never the shared default: other agents may run at the same time).</summary>
    public string StatusFile { get; }
    /// <summary>Kernel ids of this agent's programs, from its status file: other agents load programs of the same names.</summary>
    public IReadOnlyList<uint> ProgramIds { get; private set; } = [];
    public int ExitCode { get; private set; } = -1;
    public string Stderr => string.Join('\n', stderrLines);

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    private AgentRun(string[] wrapper, string[] args)
    {
        OutputFile = dir.Combine("events.jsonl");
        var start = new ProcessStartInfo(wrapper.Length > 0 ? wrapper[0] : "dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (wrapper.Length > 0)
        {
            foreach (var w in wrapper[1..]) start.ArgumentList.Add(w);
            start.ArgumentList.Add("dotnet");
        }
        start.ArgumentList.Add(Dll);
        start.ArgumentList.Add("agent");
        start.ArgumentList.Add("--output-file");
        start.ArgumentList.Add(OutputFile);
        foreach (var a in args) start.ArgumentList.Add(a);
        var given = Array.IndexOf(args, "--status-file");
        StatusFile = given >= 0 ? args[given + 1] : dir.Combine("status.json");
        if (given < 0)
        {
            start.ArgumentList.Add("--status-file");
            start.ArgumentList.Add(StatusFile);
        }
        process = new Process { StartInfo = start };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) stderrLines.Enqueue(e.Data); };
        process.Start();
        process.BeginErrorReadLine();
        _ = process.StandardOutput.ReadToEndAsync();
    }

    /// <summary>Starts the agent and returns once it reports its programs attached.</summary>
    public static AgentRun Start(params string[] args) => StartWrapped([], args);

    /// <summary>
    /// Starts the agent through <paramref name="wrapper"/> (a command that ends by exec'ing its arguments, the agent's
    /// command line, so that the process started is the agent's: <c>unshare --mount …</c>) and returns once it
    /// reports its programs attached.
    /// </summary>
    public static AgentRun StartWrapped(string[] wrapper, params string[] args)
    {
        var run = new AgentRun(wrapper, args);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (run.process.HasExited)
            {
                run.process.WaitForExit();
                throw new InvalidOperationException($"the agent exited with {run.process.ExitCode} before attaching: {run.Stderr}");
            }
            // The agent says so on stderr once every program is attached and the ring buffer is being polled.
            if (run.stderrLines.Any(l => l.Contains("programs attached", StringComparison.Ordinal)) && File.Exists(run.StatusFile))
            {
                using var status = JsonDocument.Parse(File.ReadAllBytes(run.StatusFile));
                run.ProgramIds = [.. status.RootElement.GetProperty("programIds").EnumerateArray().Select(i => i.GetUInt32())];
                return run;
            }
            Thread.Sleep(200);
        }
        run.Dispose();
        throw new TimeoutException("the agent did not attach within 90 seconds");
    }

    /// <summary>Stops the agent's process (SIGSTOP) until <see cref="Resume"/>: its ring buffer is then read by no one.</summary>
    public void Pause() => Tool.Run("kill", "-STOP", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public void Resume() => Tool.Run("kill", "-CONT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Names of loaded BPF programs (bpftool prog show), to see ours come and go.</summary>
    public static IReadOnlyList<string> LoadedPrograms() => [.. Loaded().Select(p => p.Name)];

    /// <summary>Loaded BPF programs: id and name.</summary>
    public static IReadOnlyList<(uint Id, string Name)> Loaded()
    {
        var start = new ProcessStartInfo("bpftool") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("--json");
        start.ArgumentList.Add("prog");
        start.ArgumentList.Add("show");
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        using var doc = JsonDocument.Parse(output);
        return [.. doc.RootElement.EnumerateArray().Select(e => (e.GetProperty("id").GetUInt32(), e.TryGetProperty("name", out var n) ? n.GetString() ?? "" : ""))];
    }

    /// <summary>SIGTERM, then waits for a clean exit; returns the events written.</summary>
    public IReadOnlyList<JsonElement> Stop()
    {
        if (!process.HasExited)
        {
            Kill(process.Id, 15);
            if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("the agent did not stop within 60 seconds of SIGTERM");
            }
        }
        process.WaitForExit();
        ExitCode = process.ExitCode;
        return ReadEvents(OutputFile);
    }

    /// <summary>
    /// This agent's programs (by kernel id) still loaded, waiting up to 10 s for the kernel's deferred release (RCU)
    /// after the last fd closed. Ids, not names: other agents (other tests, other sessions, the enforcement
    /// object's <c>zde_</c> programs) may be loaded at the same time.
    /// </summary>
    public IReadOnlyList<string> OursStillLoaded()
    {
        Assert.NotEmpty(ProgramIds);
        return StillLoaded(p => ProgramIds.Contains(p.Id));
    }

    /// <summary>Programs with these name prefixes loaded now that were not loaded in <paramref name="before"/> (for runs with no status file, like --check).</summary>
    public static IReadOnlyList<string> NewStillLoaded(IReadOnlyList<(uint Id, string Name)> before, params string[] prefixes) =>
        StillLoaded(p => !before.Contains(p) && prefixes.Any(x => p.Name.StartsWith(x, StringComparison.Ordinal)));

    private static IReadOnlyList<string> StillLoaded(Func<(uint Id, string Name), bool> ours)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var left = Loaded().Where(ours).Select(p => $"{p.Name} (id {p.Id})").ToList();
            if (left.Count == 0 || DateTime.UtcNow > deadline) return left;
            Thread.Sleep(100);
        }
    }

    /// <summary>Runs the zerodrift command (built next to the tests) to completion.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Cli(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_HOME"] = "/tmp";
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"zerodrift {string.Join(' ', args)} did not finish in 2 minutes");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public static bool TracefsMounted() =>
        File.ReadLines("/proc/self/mounts").Any(l => l.Split(' ') is [_, "/sys/kernel/tracing", "tracefs", ..]);

    public static IReadOnlyList<JsonElement> ReadEvents(string file) =>
        [.. File.ReadLines(file).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    public void Dispose()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.Dispose();
        dir.Dispose();
    }
}
