using System.Buffers;
using System.Text;
using System.Text.Json;
using ZeroDrift.Runtime.Alerts;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Sensor.Output;

namespace ZeroDrift.Agent;

/// <summary>What was done about an alert, as far as the agent can confirm it.</summary>
public enum AlertAction
{
    /// <summary>Detected only: Learn, Monitor, a deviation that cannot be blocked, or a block nothing confirmed.</summary>
    Detected,

    /// <summary>Refused or killed by the kernel before the program's first instruction or before the connection, as the
    /// kernel's own record of that exec or connect confirms.</summary>
    Blocked,

    /// <summary>Killed from user space (best effort: after the event), confirmed by the process's exit (killed by SIGKILL).</summary>
    Killed,

    /// <summary>A kill from user space did not land: the process had exited first, or exited otherwise, or was not seen to exit.</summary>
    KillFailed,
}

/// <summary>ZeroDrift's own facts about an alert, written after Falco's keys inside the same object (<c>zerodrift</c>).</summary>
public sealed record AlertContext(
    string Kind,
    DeviationKind? Deviation,
    string? Workload,
    string? Mode,
    AlertAction Action,
    string? Enforcement,
    long KernelTimeNs,
    long? BlockedAtNs = null,
    string? Reason = null,
    string? ContainerId = null,
    string? Response = null,
    bool Learned = false);

/// <summary>
/// Turns alerts into one JSON line each (Falco's shape, plus a <c>zerodrift</c> object), hands the line to every
/// sink and, with an uplink, the alert to the server. Measures the seed's numbers per alert: detect latency (kernel
/// event → alert written) and block latency (kernel event → block), and counts alerts per action. Thread-safe.
/// </summary>
public sealed class AlertPublisher(IReadOnlyList<IAlertSink> sinks, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly LatencyHistogram _detect = new();
    private readonly long[] _byAction = new long[Enum.GetValues<AlertAction>().Length];
    private long _published, _sequence;

    /// <summary>Receives every alert with its context, for the server (<see cref="AgentUplink.Alert"/>), when set.</summary>
    public Action<Alert, AlertContext, long>? Uplink { get; set; }

    public long Published => Interlocked.Read(ref _published);

    /// <summary>Alerts published with this action.</summary>
    public long Count(AlertAction action) => Interlocked.Read(ref _byAction[(int)action]);

    public IReadOnlyList<IAlertSink> Sinks => sinks;

    /// <summary>CLOCK_MONOTONIC in nanoseconds (the kernel's event times) as <paramref name="clock"/> reads it.</summary>
    public static long MonotonicNs(TimeProvider? clock = null)
    {
        var c = clock ?? TimeProvider.System;
        var ts = c.GetTimestamp();
        return c.TimestampFrequency == 1_000_000_000 ? ts : (long)(ts * (1e9 / c.TimestampFrequency));
    }

    /// <summary>Detect latency quantile in milliseconds over every alert so far.</summary>
    public double DetectLatencyMs(double quantile)
    {
        lock (_lock) return _detect.QuantileUs(quantile) / 1000.0;
    }

    public string Publish(Alert alert, AlertContext context)
    {
        string line;
        long sequence;
        lock (_lock)
        {
            var detectNs = Math.Max(0, MonotonicNs(_clock) - context.KernelTimeNs);
            _detect.Add(detectNs);
            _buffer.ResetWrittenCount();
            using (var json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
                AlertJsonWriter.Write(json, alert, j => WriteContext(j, context, detectNs));
            line = Encoding.UTF8.GetString(_buffer.WrittenSpan);
            sequence = ++_sequence;
        }
        Interlocked.Increment(ref _published);
        Interlocked.Increment(ref _byAction[(int)context.Action]);
        foreach (var sink in sinks) sink.Publish(line);
        Uplink?.Invoke(alert, context, sequence);
        return line;
    }

    private static void WriteContext(Utf8JsonWriter json, AlertContext c, long detectNs)
    {
        json.WriteStartObject("zerodrift");
        json.WriteString("kind", c.Kind);
        if (c.Deviation is { } d) json.WriteString("deviation", d.ToString().ToLowerInvariant());
        if (c.Workload is not null) json.WriteString("workload", c.Workload);
        if (c.Mode is not null) json.WriteString("mode", c.Mode);
        json.WriteString("action", ActionName(c.Action));
        if (c.Enforcement is not null) json.WriteString("enforcement", c.Enforcement);
        if (c.Reason is not null) json.WriteString("reason", c.Reason);
        if (c.Response is not null) json.WriteString("response", c.Response);
        // A rule's alert for behaviour the workload's profile already holds: still raised, as Falco's would be.
        if (c.Learned) json.WriteBoolean("learned", true);
        json.WriteNumber("ktime", c.KernelTimeNs);
        json.WriteNumber("detectLatencyMs", Math.Round(detectNs / 1e6, 3));
        if (c.BlockedAtNs is { } blocked) json.WriteNumber("blockLatencyMs", Math.Round(Math.Max(0, blocked - c.KernelTimeNs) / 1e6, 3));
        json.WriteEndObject();
    }

    public static string ActionName(AlertAction action) => action switch
    {
        AlertAction.Blocked => "blocked",
        AlertAction.Killed => "killed",
        AlertAction.KillFailed => "kill-failed",
        _ => "detected",
    };
}
