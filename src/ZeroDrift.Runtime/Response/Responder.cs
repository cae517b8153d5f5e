using System.Diagnostics;

namespace ZeroDrift.Runtime.Response;

/// <summary>
/// Zero loss: stops what the engine or a rule decided to stop — a process killed, a container paused (frozen, its
/// memory kept for forensics) or stopped — and records every action whether it worked or not.
/// </summary>
public sealed class Responder
{
    private readonly string _runtime;
    private readonly TimeProvider _time;
    private readonly List<ResponseAction> _log = [];
    private readonly Lock _lock = new();

    /// <param name="containerRuntime">The runtime's command (podman; docker and nerdctl take the same verbs).</param>
    public Responder(string containerRuntime = "podman", TimeProvider? time = null)
    {
        _runtime = containerRuntime;
        _time = time ?? TimeProvider.System;
    }

    public IReadOnlyList<ResponseAction> Log
    {
        get { lock (_lock) return [.. _log]; }
    }

    /// <summary>SIGKILL to <paramref name="pid"/>, through a pidfd. A process already gone is reported as such, not as a
    /// success; a signal sent is not yet a kill that landed (a process that exited but was not reaped takes it too).</summary>
    public ResponseAction KillProcess(int pid, bool automatic, string by)
    {
        using var process = PidFd.Open(pid, out var errno);
        return process is null
            ? Record(new ResponseAction(ResponseKind.KillProcess, Target(pid), _time.GetUtcNow(), false, PidFd.Describe(errno), automatic, by))
            : KillProcess(process, automatic, by);
    }

    /// <summary>SIGKILL through a handle the caller keeps (to learn from the process's exit whether it landed).</summary>
    public ResponseAction KillProcess(PidFd process, bool automatic, string by)
    {
        ArgumentNullException.ThrowIfNull(process);
        var ok = process.Signal(9, out var errno);
        return Record(new ResponseAction(ResponseKind.KillProcess, Target(process.Pid), _time.GetUtcNow(), ok, ok ? "SIGKILL sent" : PidFd.Describe(errno), automatic, by));
    }

    private static string Target(int pid) => pid.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public ResponseAction PauseContainer(string containerId, bool automatic, string by) => RuntimeVerb(ResponseKind.PauseContainer, "pause", containerId, automatic, by);

    public ResponseAction StopContainer(string containerId, bool automatic, string by) => RuntimeVerb(ResponseKind.StopContainer, "stop", containerId, automatic, by, "--time", "0");

    private ResponseAction RuntimeVerb(ResponseKind kind, string verb, string containerId, bool automatic, string by, params string[] extra)
    {
        if (containerId.Length == 0 || containerId.StartsWith('-'))
            return Record(new ResponseAction(kind, containerId, _time.GetUtcNow(), false, "not a container id", automatic, by));
        var start = new ProcessStartInfo(_runtime) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(verb);
        foreach (var e in extra) start.ArgumentList.Add(e);
        start.ArgumentList.Add(containerId);
        bool ok;
        string detail;
        try
        {
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                process.Kill(entireProcessTree: true);
                (ok, detail) = (false, $"{_runtime} {verb} timed out");
            }
            else
            {
                ok = process.ExitCode == 0;
                detail = ok ? $"{_runtime} {verb}" : $"{_runtime} {verb} failed: {stderr.Result.Trim().Split('\n')[0]}";
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            (ok, detail) = (false, $"{_runtime} not available: {e.Message}");
        }
        return Record(new ResponseAction(kind, containerId, _time.GetUtcNow(), ok, detail, automatic, by));
    }

    private ResponseAction Record(ResponseAction action)
    {
        lock (_lock) _log.Add(action);
        return action;
    }
}
