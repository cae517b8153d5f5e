using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Sensor;
using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Enforcement;

namespace ZeroDrift.Agent;

/// <summary>
/// An input to the agent's loop other than a ring-buffer record (those are handled in place, on the sensor's thread):
/// posted from any thread with <see cref="AgentLoop.Post"/>, handled on the loop's thread when it drains its queue
/// after each poll round.
/// </summary>
public abstract record LoopInput;

/// <summary>Housekeeping (the timer posts one every <see cref="AgentOptions.SyncInterval"/>): mode switches, learning's
/// quiet period, the kernel's syscall sets, enforcement retries, containers gone. <paramref name="At"/> null: the clock's now.</summary>
public sealed record Tick(DateTimeOffset? At = null) : LoopInput;

/// <summary>The kernel's per-cgroup syscall sets, as read from its map (the tick reads them itself; tests post them).</summary>
public sealed record SyscallSetsRead(IReadOnlyDictionary<ulong, int[]> Sets, DateTimeOffset At) : LoopInput;

/// <summary>The kernel enforcer's record of an exec it killed or a connect it refused.</summary>
public sealed record KernelBlocked(BlockedAction Action) : LoopInput;

/// <summary>An executable's hash, from the background hashing, for the process that ran it (and its profile entry).</summary>
public sealed record ExecutableHashed(TrackedProcess Process, WorkloadIdentity? Identity, string Executable, bool FromWritableLayer, string Sha256) : LoopInput;

/// <summary>A container's description with its labels, fetched in the background after its first event.</summary>
public sealed record LabelsFetched(ulong CgroupId, ContainerInfo Container) : LoopInput;

/// <summary>An image's executables have been read (null: they could not be).</summary>
public sealed record ImageTrustLoaded(string ImageId, ImageTrust? Trust) : LoopInput;

/// <summary>The profile store changed (a user's <c>zerodrift profile mode</c>, seen by watching its files; a server's
/// <c>set-mode</c> command carried out): its modes are synced now, not at the next tick.</summary>
public sealed record StoreChanged : LoopInput;

/// <summary>The sensor is running: watch flags can be set, syscall sets read, and posting wakes its thread.</summary>
public sealed record SensorAttached(ISensorControl Sensor) : LoopInput;

/// <summary>The last round: held verdicts settled, learning saved, every profile uploaded; then <paramref name="Done"/>.</summary>
public sealed record StopRequested(TaskCompletionSource Done) : LoopInput;
