using ZeroDrift.Runtime.Rules;
using ZeroDrift.Runtime.Response;
using ZeroDrift.Sensor.Enforcement;

namespace ZeroDrift.Agent;

/// <summary>What a block verdict was about: the kernel keeps a record of execs it killed and connects it refused.</summary>
public enum BlockTarget
{
    Exec,
    Connect,
    Other,
}

/// <summary>A block verdict of Protect, with its alert built (its action not yet known).</summary>
public sealed class BlockVerdict
{
    public required Alert Alert { get; init; }
    public required AlertContext Context { get; init; }
    public required int Pid { get; init; }
    public required BlockTarget Target { get; init; }

    /// <summary>The event's CLOCK_MONOTONIC time.</summary>
    public required long KernelTimeNs { get; init; }

    /// <summary>The container's enforcement in the kernel is Protect: its records are to be waited for.</summary>
    public required bool KernelProtected { get; init; }

    /// <summary>For a connect: its result (-1: refused with EPERM, as the kernel's cgroup program refuses).</summary>
    public int? ConnectResult { get; init; }

    public required string By { get; init; }

    internal long DeadlineTs { get; set; }
    internal PidFd? Handle { get; set; }
}

/// <summary>
/// Honest verdicts. A block verdict's alert says <c>blocked</c> only when the kernel's record of that exec or connect
/// confirms it — its per-pid record of execs it killed, or its blocked records, which arrive on their own ring and are
/// joined here — and <c>killed</c> only when a kill from user space (SIGKILL through a pidfd) landed before the
/// process exited, as the process's exit record shows (killed by signal 9); a kill that did not is
/// <c>kill-failed</c>. Verdicts wait for their confirmation a bounded time, measured when the loop drains its queue
/// (<see cref="Settle"/>): the thread never sleeps. A kernel block that no event explains is alerted on its own.
/// Loop thread only.
/// </summary>
public sealed class Verdicts(AgentOptions options, IEnforcement enforcement, Responder responder, AlertPublisher alerts,
    Func<int, bool> exitSeen, Action<BlockedAction> unexplained) : IDisposable
{
    /// <summary>How long the kernel's record of a block counts as explaining a verdict already published.</summary>
    private static readonly TimeSpan ExplainedFor = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _clock = options.Clock;
    private readonly List<BlockVerdict> _awaitingKernel = [];
    private readonly Dictionary<int, BlockVerdict> _awaitingExit = [];
    private readonly List<BlockedAction> _unexplained = [];
    private readonly List<(int Pid, string Kind, long KernelTimeNs, long AtTs)> _explained = [];
    private long _kernelBlocks;

    /// <summary>Blocks the kernel reported (each explained by an alert, or alerted on its own).</summary>
    public long KernelBlocks => _kernelBlocks;

    /// <summary>Verdicts waiting for the kernel's record.</summary>
    public int AwaitingKernel => _awaitingKernel.Count;

    /// <summary>Kills from user space waiting for their process's exit.</summary>
    public int AwaitingExit => _awaitingExit.Count;

    /// <summary>Kernel blocks waiting for the sensor's event that explains them, and those already explained.</summary>
    public int KernelRecords => _unexplained.Count + _explained.Count;

    private long Now => _clock.GetTimestamp();
    private long After(TimeSpan span) => Now + (long)(span.TotalSeconds * _clock.TimestampFrequency);

    /// <summary>
    /// Carries out a block verdict: with the kernel enforcing Protect, confirmed from its records at once or held for
    /// them (an exec or connect); otherwise, or when they do not come, a kill from user space.
    /// </summary>
    public void Block(BlockVerdict v)
    {
        // The kernel's records decide first, also where the agent did not count on the kernel: a new container the kernel
        // put under its workload's policy (an image mapped before its first container) before the agent bound it.
        if (v.Target is BlockTarget.Exec or BlockTarget.Connect && (v.KernelProtected || enforcement.InKernel) && ConfirmedByKernel(v) is { } confirmed)
        {
            Publish(v, AlertAction.Blocked, "kernel", confirmed, null);
            return;
        }
        if (v.KernelProtected && v.Target is BlockTarget.Exec or BlockTarget.Connect)
        {
            v.DeadlineTs = After(v.Target == BlockTarget.Connect && v.ConnectResult == -1 ? options.RefusedConnectHold : options.VerdictHold);
            _awaitingKernel.Add(v);
            return;
        }
        KillFromUserSpace(v);
    }

    /// <summary>The kernel's record of a block (from the enforcer's ring, through the loop's queue).</summary>
    public void OnKernelBlocked(BlockedAction b)
    {
        _kernelBlocks++;
        for (var i = 0; i < _awaitingKernel.Count; i++)
        {
            var v = _awaitingKernel[i];
            if (!Matches(v, b.Pid, b.Kind, b.KernelTimeNs)) continue;
            _awaitingKernel.RemoveAt(i);
            Publish(v, AlertAction.Blocked, "kernel", BlockedAt(v, b), null);
            return;
        }
        var explained = _explained.FindIndex(e => e.Pid == b.Pid && e.Kind == b.Kind && Near(e.KernelTimeNs, b.KernelTimeNs));
        if (explained >= 0) _explained.RemoveAt(explained);
        else _unexplained.Add(b);
    }

    /// <summary>A process's exit record: a kill waiting for it landed (killed by SIGKILL) or did not.</summary>
    public void OnExit(int pid, int signal, long kernelTimeNs)
    {
        if (_awaitingExit.Count == 0 || !_awaitingExit.Remove(pid, out var v)) return;
        if (signal == 9) Publish(v, AlertAction.Killed, "user-space", kernelTimeNs, "SIGKILL from user space after the event (best effort); the process exited killed by it");
        else Publish(v, AlertAction.KillFailed, "user-space", null, signal == 0 ? "the process exited on its own before the kill landed" : $"the process exited by signal {signal} before the kill landed");
    }

    /// <summary>
    /// Settles what waited long enough: held verdicts the kernel did not confirm become kills from user space, kills
    /// whose process was not seen to exit fail, kernel blocks no event explained are alerted on their own.
    /// <paramref name="streamNs"/> is how far the events read have come (their kernel time; now when the ring was
    /// empty). <paramref name="final"/>: the agent stops, nothing waits any more.
    /// </summary>
    public void Settle(long streamNs, bool final = false)
    {
        var now = Now;
        for (var i = _awaitingKernel.Count - 1; i >= 0; i--)
        {
            var v = _awaitingKernel[i];
            if (v.Target == BlockTarget.Exec && KilledAtExec(v) is { } at)
            {
                _awaitingKernel.RemoveAt(i);
                Publish(v, AlertAction.Blocked, "kernel", at, null);
            }
            else if (final || now >= v.DeadlineTs)
            {
                _awaitingKernel.RemoveAt(i);
                Unconfirmed(v);
            }
        }
        if (_awaitingExit.Count > 0)
            foreach (var (pid, v) in _awaitingExit.Where(p => final || now >= p.Value.DeadlineTs).ToList())
            {
                _awaitingExit.Remove(pid);
                var exited = v.Handle?.HasExited ?? false;
                Publish(v, AlertAction.KillFailed, "user-space", null, exited
                    ? "the process exited, but its exit was not seen: the kill is not confirmed"
                    : "SIGKILL was sent, but the process had not exited when the wait ended");
            }
        var unexplainedAfterNs = (long)options.UnexplainedBlockAfter.TotalMilliseconds * 1_000_000;
        for (var i = _unexplained.Count - 1; i >= 0; i--)
        {
            var b = _unexplained[i];
            if (!final && streamNs - b.KernelTimeNs < unexplainedAfterNs) continue;
            _unexplained.RemoveAt(i);
            unexplained(b);
        }
        var forget = (long)(ExplainedFor.TotalSeconds * _clock.TimestampFrequency);
        _explained.RemoveAll(e => final || now - e.AtTs > forget);
    }

    /// <summary>
    /// The kernel did not confirm a block: what it let run is killed from user space. A connect that already failed
    /// with EPERM is left as detected: the connection did not happen, and nothing says who refused it.
    /// </summary>
    private void Unconfirmed(BlockVerdict v)
    {
        if (v.Target == BlockTarget.Connect && v.ConnectResult == -1)
            Publish(v, AlertAction.Detected, null, null, "the connect failed with EPERM, but no record of the kernel confirms it refused it");
        else
            KillFromUserSpace(v);
    }

    private long? ConfirmedByKernel(BlockVerdict v)
    {
        if (v.Target == BlockTarget.Exec && KilledAtExec(v) is { } at) return at;
        var i = _unexplained.FindIndex(b => Matches(v, b.Pid, b.Kind, b.KernelTimeNs));
        if (i < 0) return null;
        var record = _unexplained[i];
        _unexplained.RemoveAt(i);
        return BlockedAt(v, record);
    }

    /// <summary>An exec is killed at the exec itself, before the program's first instruction; a connect is refused at the call.</summary>
    private static long BlockedAt(BlockVerdict v, BlockedAction b) => v.Target == BlockTarget.Exec ? v.KernelTimeNs : Math.Min(v.KernelTimeNs, b.KernelTimeNs);

    /// <summary>The kernel's per-pid record of execs it killed; the blocked record of the same exec may follow: it is then explained.</summary>
    private long? KilledAtExec(BlockVerdict v)
    {
        try
        {
            if (!enforcement.KilledAtExec(v.Pid, v.KernelTimeNs)) return null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
        var i = _unexplained.FindIndex(b => Matches(v, b.Pid, b.Kind, b.KernelTimeNs));
        if (i >= 0) _unexplained.RemoveAt(i);
        else _explained.Add((v.Pid, "exec", v.KernelTimeNs, Now));
        return v.KernelTimeNs; // killed at the exec itself: before the program's first instruction
    }

    private static bool Matches(BlockVerdict v, int pid, string kind, long kernelTimeNs) =>
        v.Pid == pid && kind == (v.Target == BlockTarget.Exec ? "exec" : "connect") && Near(v.KernelTimeNs, kernelTimeNs);

    private static bool Near(long a, long b) => Math.Abs(a - b) < 1_000_000_000;

    private void KillFromUserSpace(BlockVerdict v)
    {
        if (v.Pid <= 1 || v.Pid == Environment.ProcessId)
        {
            Publish(v, AlertAction.KillFailed, "user-space", null, $"pid {v.Pid} is never killed");
            return;
        }
        // The exit record was read already: the process ended before the kill could be sent.
        if (exitSeen(v.Pid))
        {
            Publish(v, AlertAction.KillFailed, "user-space", null, "the process had already exited");
            return;
        }
        var handle = PidFd.Open(v.Pid, out var errno);
        if (handle is null)
        {
            responder.KillProcess(v.Pid, automatic: true, v.By); // recorded as failed
            Publish(v, AlertAction.KillFailed, "user-space", null, PidFd.Describe(errno));
            return;
        }
        var sent = responder.KillProcess(handle, automatic: true, v.By);
        if (!sent.Succeeded)
        {
            handle.Dispose();
            Publish(v, AlertAction.KillFailed, "user-space", null, sent.Detail);
            return;
        }
        // A process that already exited but was not reaped takes the signal too: only its exit record says which.
        v.Handle = handle;
        v.DeadlineTs = After(options.KillConfirmation);
        if (_awaitingExit.Remove(v.Pid, out var earlier))
            Publish(earlier, AlertAction.KillFailed, "user-space", null, "another verdict on the same process replaced it");
        _awaitingExit[v.Pid] = v;
    }

    private void Publish(BlockVerdict v, AlertAction action, string? enforcementKind, long? blockedAtNs, string? response)
    {
        v.Handle?.Dispose();
        v.Handle = null;
        alerts.Publish(v.Alert, v.Context with { Action = action, Enforcement = enforcementKind, BlockedAtNs = blockedAtNs, Response = response });
    }

    public void Dispose()
    {
        foreach (var v in _awaitingExit.Values) v.Handle?.Dispose();
        _awaitingExit.Clear();
    }
}
