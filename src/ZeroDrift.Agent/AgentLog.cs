using Microsoft.Extensions.Logging;

namespace ZeroDrift.Agent;

/// <summary>
/// Every line the agent writes about itself, in one place. The command's logger prints each as one stderr line,
/// <c>zerodrift: agent: …</c>, with <c>warning: </c> before the message at <see cref="LogLevel.Warning"/>.
/// </summary>
public static partial class AgentLog
{
    /// <summary>A line composed elsewhere (the command's start-up and exit lines).</summary>
    [LoggerMessage(Level = LogLevel.Information, Message = "{Line}")]
    public static partial void Note(this ILogger log, string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Line}")]
    public static partial void Warn(this ILogger log, string line);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Workload} ({Image}): {From} -> {To} ({Why})")]
    public static partial void ModeChanged(this ILogger log, string workload, string image, string from, string to, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Workload} ({Image}): {Why}, in {Mode}")]
    public static partial void DriftPreventionChanged(this ILogger log, string workload, string image, string mode, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "enforcement for container {Container} waits for {What}")]
    public static partial void EnforcementWaits(this ILogger log, string container, string what);

    [LoggerMessage(Level = LogLevel.Information, Message = "kernel enforcement for container {Container}: protect, {Resolved} of {Executables} executables ({Processes} processes with their parent and name) and {Destinations} destinations allowed")]
    public static partial void KernelProtect(this ILogger log, string container, int resolved, int executables, int processes, int destinations);

    [LoggerMessage(Level = LogLevel.Information, Message = "server command {Id} ({Kind}): {Detail}")]
    public static partial void ServerCommand(this ILogger log, string id, string kind, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{What} for container {Container} failed ({Count} so far): {Error}")]
    public static partial void ContainerFailure(this ILogger log, string what, string container, long count, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{What} failed ({Count} so far): {Error}")]
    public static partial void Failure(this ILogger log, string what, long count, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "image {Image}: its executables could not be read ({Error}); drift is told by the kernel's writable-layer and memfd flags only")]
    public static partial void ImageUnreadable(this ILogger log, string image, string error);
}

/// <summary>What can fail inside the agent without stopping it: each is logged where it happens and counted.</summary>
public enum AgentError
{
    /// <summary>Handling one sensor record (the record is skipped).</summary>
    Event,

    /// <summary>A housekeeping round (the profile store, the kernel's syscall sets).</summary>
    Housekeeping,

    /// <summary>Pushing a container's mode and sets to the enforcement.</summary>
    Enforcement,

    /// <summary>Setting a cgroup's watch flags in the sensor.</summary>
    Watch,

    /// <summary>Removing a container that is gone from the kernel's maps.</summary>
    Forget,

    /// <summary>Handling an input posted to the loop (a hash, labels, a kernel block).</summary>
    Input,
}

/// <summary>
/// Counts of <see cref="AgentError"/> kinds, for the exit summary; thread-safe. A kind that keeps failing is logged at
/// its first ten occurrences and then at every power of ten, so stderr says it is still happening without a line per event.
/// </summary>
public sealed class AgentErrors
{
    private readonly long[] _counts = new long[Enum.GetValues<AgentError>().Length];

    /// <summary>Counts one; true when this one should be logged.</summary>
    public bool Count(AgentError kind, out long count)
    {
        count = Interlocked.Increment(ref _counts[(int)kind]);
        if (count <= 10) return true;
        for (var p = 100L; p <= count; p *= 10)
            if (p == count) return true;
        return false;
    }

    public long this[AgentError kind] => Interlocked.Read(ref _counts[(int)kind]);

    public long Total => Enum.GetValues<AgentError>().Sum(k => this[k]);

    /// <summary>"2 event, 1 enforcement", or "none".</summary>
    public override string ToString()
    {
        var parts = Enum.GetValues<AgentError>().Where(k => this[k] > 0).Select(k => $"{this[k]} {k.ToString().ToLowerInvariant()}").ToList();
        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }
}
