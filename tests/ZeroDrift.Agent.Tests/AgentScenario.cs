using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ZeroDrift.Agent.Tests;

/// <summary>
/// Processes the root scenarios drive: the real <c>zerodrift</c> (built next to the tests), its agent started and
/// stopped as a service manager would, podman, and waiting on their stderr lines.
/// </summary>
internal static partial class AgentScenario
{
    public static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "zerodrift.dll");

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    /// <summary>Starts <c>zerodrift agent ARGS</c> and waits until its programs are attached (or it reports an error).</summary>
    public static Process StartAgent(ConcurrentQueue<(DateTime At, string Line)> stderr, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        StartAgent(stderr, environment, wrapper: null, args);

    /// <summary>The same through <paramref name="wrapper"/>, a command that ends by exec'ing its arguments (the agent's
    /// command line), so that the process started is the agent's: <c>unshare --mount …</c>.</summary>
    public static Process StartAgent(ConcurrentQueue<(DateTime At, string Line)> stderr, IReadOnlyDictionary<string, string>? environment, string[]? wrapper, params string[] args)
    {
        var start = new ProcessStartInfo(wrapper?[0] ?? "dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (wrapper is not null)
        {
            foreach (var w in wrapper[1..]) start.ArgumentList.Add(w);
            start.ArgumentList.Add("dotnet");
        }
        start.ArgumentList.Add(Dll);
        start.ArgumentList.Add("agent");
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var process = new Process { StartInfo = start };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) stderr.Enqueue((DateTime.UtcNow, e.Data)); };
        process.Start();
        process.BeginErrorReadLine();
        _ = process.StandardOutput.ReadToEndAsync();
        WaitFor(stderr, l => l.Contains("programs attached", StringComparison.Ordinal) || l.Contains("error", StringComparison.Ordinal), 90, "the agent to attach");
        Assert.False(process.HasExited, "the agent exited: " + string.Join('\n', stderr.Select(l => l.Line)));
        return process;
    }

    /// <summary>SIGTERM, as a service manager stops it; killed after 60 s.</summary>
    public static void StopAgent(Process agent)
    {
        if (agent.HasExited) return;
        Kill(agent.Id, 15);
        if (!agent.WaitForExit(TimeSpan.FromSeconds(60))) agent.Kill(entireProcessTree: true);
    }

    /// <summary>When the first line matching <paramref name="match"/> was read; a timeout lists every line read.</summary>
    public static DateTime WaitFor(ConcurrentQueue<(DateTime At, string Line)> lines, Func<string, bool> match, int seconds, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var (at, line) in lines)
                if (match(line)) return at;
            Thread.Sleep(50);
        }
        throw new TimeoutException($"waited {seconds} s for {what}:\n" + string.Join('\n', lines.Select(l => l.Line)));
    }

    /// <summary>The real <c>zerodrift</c> with these arguments; its stdout, or an exception with its stderr when it fails.</summary>
    public static string Zerodrift(params string[] args)
    {
        var r = Run("dotnet", [Dll, .. args]);
        if (r.ExitCode != 0) throw new InvalidOperationException($"zerodrift {string.Join(' ', args)} failed ({r.ExitCode}): {r.Stderr}");
        return r.Stdout;
    }

    public static string Podman(params string[] args)
    {
        var r = Run("podman", args);
        if (r.ExitCode != 0) throw new InvalidOperationException($"podman {string.Join(' ', args)} failed ({r.ExitCode}): {r.Stderr}");
        return r.Stdout;
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(string file, string[] args, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 3 minutes");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
