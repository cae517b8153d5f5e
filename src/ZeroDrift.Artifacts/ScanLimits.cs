using ZeroDrift.Core.Budgets;

namespace ZeroDrift.Artifacts;

/// <summary>
/// Bounds against hostile input, as the command line names them. Every reader checks the ones that concern it: the
/// archive and layer readers these, the parsers of the files inside the <see cref="ParseBudget"/> derived from them
/// (<see cref="Parsing"/>).
/// </summary>
public sealed record ScanLimits
{
    /// <summary>Total bytes decompressed from all layers and archives of one target.</summary>
    public long MaxTotalBytes { get; init; } = 64L << 30;

    /// <summary>Entries in one archive or layer, and files in the final view; items (nodes, rows, elements) in one parsed file.</summary>
    public long MaxEntries { get; init; } = ParseBudget.Default.MaxItems;

    /// <summary>Largest single file a cataloger parses; larger files are skipped with a warning.</summary>
    public long MaxFileBytes { get; init; } = ParseBudget.Default.MaxBytes;

    /// <summary>Decompressed-to-compressed ratio above which a stream is treated as a bomb.</summary>
    public double MaxCompressionRatio { get; init; } = 200;

    /// <summary>The ratio check starts once this many bytes have been decompressed (small, highly compressible files are normal).</summary>
    public long RatioCheckThresholdBytes { get; init; } = 64L << 20;

    /// <summary>JSON, YAML and XML nesting depth.</summary>
    public int MaxNesting { get; init; } = ParseBudget.Default.MaxDepth;

    /// <summary>Time to parse one file (a database query, a lockfile, a manifest).</summary>
    public TimeSpan MaxParseTime { get; init; } = ParseBudget.Default.MaxTime;

    /// <summary>Symbolic links followed while resolving one path.</summary>
    public int MaxSymlinkHops { get; init; } = 40;

    /// <summary>Nested archives (jar in war in ear) opened inside a target.</summary>
    public int MaxArchiveDepth { get; init; } = 4;

    /// <summary>The budget of each file parsed from the target: its bytes, nesting, items and time.</summary>
    public ParseBudget Parsing => new()
    {
        MaxBytes = MaxFileBytes,
        MaxDepth = MaxNesting,
        MaxItems = MaxEntries,
        MaxTime = MaxParseTime,
    };

    public static ScanLimits Default { get; } = new();
}
