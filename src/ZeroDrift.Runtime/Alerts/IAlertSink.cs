namespace ZeroDrift.Runtime.Alerts;

/// <summary>
/// Where alerts go. An alert arrives as one JSON object on one line (Falco's alert shape plus ZeroDrift's fields);
/// a sink never blocks the caller for long and never throws for a delivery problem: it counts it.
/// </summary>
public interface IAlertSink : IAsyncDisposable
{
    string Name { get; }

    /// <summary>Hands one alert over; returns false when it had to be dropped (a full queue).</summary>
    bool Publish(string jsonLine);

    AlertSinkStats Stats { get; }
}

public sealed record AlertSinkStats(long Delivered, long Dropped, long Failed);
