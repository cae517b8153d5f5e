namespace ZeroDrift.Runtime.Audit;

/// <summary>
/// Bounds on audit input, which is untrusted: an EventList or CloudTrail file larger than this, nested deeper, or
/// decompressing past its bound is refused with one line; a record that is not one is a warning and the rest goes on.
/// </summary>
public sealed record AuditLimits
{
    /// <summary>An EventList body or a plain CloudTrail file (the API server's webhook batches are a few MiB).</summary>
    public long MaxDocumentBytes { get; init; } = 32L << 20;
    /// <summary>A CloudTrail file after gzip (AWS delivers files of a few MiB; 5 minutes of a busy account stay far below).</summary>
    public long MaxDecompressedBytes { get; init; } = 128L << 20;
    /// <summary>JSON nesting; audit events nest a request object, which real ones keep well under this.</summary>
    public int MaxDepth { get; init; } = 64;
    /// <summary>Events in one EventList or records in one CloudTrail file.</summary>
    public int MaxRecords { get; init; } = 100_000;
    /// <summary>Files read from one folder.</summary>
    public int MaxFiles { get; init; } = 100_000;

    public static AuditLimits Default { get; } = new();
}

/// <summary>Input refused as a whole (too large, not JSON, not an EventList): the message is one line for the user.</summary>
public sealed class AuditInputException(string message, bool tooLarge = false) : Exception(message)
{
    /// <summary>The refusal is about size (HTTP 413), not shape (400).</summary>
    public bool TooLarge { get; } = tooLarge;
}
