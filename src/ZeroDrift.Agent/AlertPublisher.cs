using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ZeroDrift.Runtime.Alerts;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Sensor.Output;
using ZeroDrift.Server.Client;

namespace ZeroDrift.Agent;

/// <summary>What was done about an alert.</summary>
public enum AlertAction
{
    /// <summary>Alerted only (Learn, Monitor, or a deviation that cannot be blocked).</summary>
    Alerted,

    /// <summary>Refused or killed by the kernel enforcer before the program's first instruction / before the connection.</summary>
    Blocked,

    /// <summary>Killed from user space (the fallback where kernel enforcement is not loaded): after the event, not before.</summary>
    Killed,

    /// <summary>A kill was attempted and failed (the process had already exited, …).</summary>
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
    string? ContainerId = null);

/// <summary>
/// Turns alerts into one JSON line each (Falco's shape, plus a <c>zerodrift</c> object), hands the line to every
/// sink and, with an uplink, the alert to the server. Measures the seed's numbers per alert: detect latency (kernel
/// event → alert written) and block latency (kernel event → block). Thread-safe.
/// </summary>
public sealed class AlertPublisher(IReadOnlyList<IAlertSink> sinks, Func<long>? monotonicNs = null)
{
    private readonly Func<long> _now = monotonicNs ?? MonotonicNs;
    private readonly Lock _lock = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly LatencyHistogram _detect = new();
    private long _published, _blocked, _killed, _sequence;

    /// <summary>Receives every alert as a server record (the uplink), when set.</summary>
    public Action<AlertRecord>? Uplink { get; set; }

    public long Published => Interlocked.Read(ref _published);
    public long Blocked => Interlocked.Read(ref _blocked);
    public long Killed => Interlocked.Read(ref _killed);
    public IReadOnlyList<IAlertSink> Sinks => sinks;

    public static long MonotonicNs() =>
        Stopwatch.Frequency == 1_000_000_000 ? Stopwatch.GetTimestamp() : (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));

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
            var detectNs = Math.Max(0, _now() - context.KernelTimeNs);
            _detect.Add(detectNs);
            _buffer.ResetWrittenCount();
            using (var json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
                AlertJsonWriter.Write(json, alert, j => WriteContext(j, context, detectNs));
            line = Encoding.UTF8.GetString(_buffer.WrittenSpan);
            sequence = ++_sequence;
        }
        Interlocked.Increment(ref _published);
        if (context.Action == AlertAction.Blocked) Interlocked.Increment(ref _blocked);
        if (context.Action == AlertAction.Killed) Interlocked.Increment(ref _killed);
        foreach (var sink in sinks) sink.Publish(line);
        Uplink?.Invoke(ServerRecords.Alert(alert, context, $"{Environment.ProcessId}-{alert.UnixTimeNanoseconds}-{sequence}", DateTimeOffset.UtcNow));
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
        _ => "alerted",
    };
}
