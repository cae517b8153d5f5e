namespace ZeroDrift.Artifacts;

/// <summary>Bounds against hostile input. Every reader checks the ones that concern it.</summary>
public sealed record ScanLimits
{
    /// <summary>Total bytes decompressed from all layers and archives of one target.</summary>
    public long MaxTotalBytes { get; init; } = 64L << 30;

    /// <summary>Entries in one archive or layer, and files in the final view.</summary>
    public long MaxEntries { get; init; } = 2_000_000;

    /// <summary>Largest single file a cataloger parses; larger files are skipped with a warning.</summary>
    public long MaxFileBytes { get; init; } = 512L << 20;

    /// <summary>Decompressed-to-compressed ratio above which a stream is treated as a bomb.</summary>
    public double MaxCompressionRatio { get; init; } = 200;

    /// <summary>The ratio check starts once this many bytes have been decompressed (small, highly compressible files are normal).</summary>
    public long RatioCheckThresholdBytes { get; init; } = 64L << 20;

    /// <summary>JSON and YAML nesting depth.</summary>
    public int MaxNesting { get; init; } = 64;

    /// <summary>Symbolic links followed while resolving one path.</summary>
    public int MaxSymlinkHops { get; init; } = 40;

    /// <summary>Nested archives (jar in war in ear) opened inside a target.</summary>
    public int MaxArchiveDepth { get; init; } = 4;

    public static ScanLimits Default { get; } = new();
}
