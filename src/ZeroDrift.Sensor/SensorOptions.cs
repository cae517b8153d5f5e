using ZeroDrift.Sensor.Events;

namespace ZeroDrift.Sensor;

/// <summary>What the sensor loads and how big its ring buffer is.</summary>
public sealed record SensorOptions
{
    public const int DefaultRingBufferBytes = 16 * 1024 * 1024;

    /// <summary>Ring buffer bytes: a power of two, at least one page. A burst larger than this is dropped and counted.</summary>
    public int RingBufferBytes { get; init; } = DefaultRingBufferBytes;

    /// <summary>Event types to stream; null or empty streams all of them.</summary>
    public IReadOnlySet<EventType>? Events { get; init; }

    /// <summary>Path prefixes whose opens are reported even when read-only (at most 16, each at most 64 bytes).</summary>
    public IReadOnlyList<string> SensitivePrefixes { get; init; } = DefaultSensitivePrefixes;

    /// <summary>Leave the calling process out of the stream (its own output would otherwise feed back).</summary>
    public bool ExcludeSelf { get; init; } = true;

    /// <summary>
    /// Collect syscall results from per-syscall exit tracepoints (mounting tracefs for the attach when it is not
    /// mounted). False uses the raw sys_exit tracepoint, a program on every syscall's exit: the fallback taken
    /// anyway where syscall tracepoints cannot be attached.
    /// </summary>
    public bool PerSyscallExitTracepoints { get; init; } = true;

    public static readonly IReadOnlyList<string> DefaultSensitivePrefixes =
    [
        "/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/passwd", "/etc/group", "/etc/ssh/", "/root/.ssh/",
        "/etc/pam.d/", "/etc/ld.so.preload", "/etc/crontab", "/etc/cron.d/", "/var/run/secrets/", "/run/secrets/",
        "/proc/kcore", "/boot/", "/etc/kubernetes/",
    ];

    public const int MaxPrefixes = 16;
    public const int MaxPrefixBytes = 64;

    /// <summary>Throws <see cref="SensorException"/> for a value the kernel would refuse, with the reason.</summary>
    public void Validate()
    {
        if (RingBufferBytes < Environment.SystemPageSize || (RingBufferBytes & (RingBufferBytes - 1)) != 0)
            throw new SensorException($"ring buffer size {RingBufferBytes} must be a power of two of at least {Environment.SystemPageSize} bytes");
        if (SensitivePrefixes.Count > MaxPrefixes)
            throw new SensorException($"at most {MaxPrefixes} sensitive path prefixes, got {SensitivePrefixes.Count}");
        foreach (var p in SensitivePrefixes)
        {
            if (p.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(p) > MaxPrefixBytes)
                throw new SensorException($"sensitive path prefix '{p}' must be 1 to {MaxPrefixBytes} bytes");
        }
    }
}

/// <summary>Per-cgroup watch flags the engine sets (zd_watch map).</summary>
[Flags]
public enum WatchFlags : uint
{
    None = 0,
    /// <summary>Report every open of the cgroup's processes, reads included.</summary>
    AllOpens = 1,
}
