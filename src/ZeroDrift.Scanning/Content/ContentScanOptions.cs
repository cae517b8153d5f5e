using ZeroDrift.Artifacts;

namespace ZeroDrift.Scanning.Content;

/// <summary>Bounds of the content scan beyond the target's own <see cref="ScanLimits"/>.</summary>
public sealed record ContentScanOptions
{
    public ScanLimits Limits { get; init; } = ScanLimits.Default;

    /// <summary>Archives inside archives opened: 1 opens archives in the target, 2 also the archives inside those.</summary>
    public int MaxArchiveDepth { get; init; } = 2;

    /// <summary>Bytes decompressed from one archive of the target, nested archives included: a zip bomb stops here.</summary>
    public long MaxArchiveBytes { get; init; } = 1L << 30;

    /// <summary>Entries read from one archive.</summary>
    public int MaxArchiveEntries { get; init; } = 100_000;

    /// <summary>Findings one detector reports for one file (60,000 Pods in one manifest are 480,000 findings and a
    /// gigabyte of report); past it, a warning says the rest is not reported.</summary>
    public int MaxFindingsPerFile { get; init; } = 10_000;

    /// <summary>A file several detectors read is held in memory up to this size, else read again (or spilled) per detector.</summary>
    public int SharedBufferBytes { get; init; } = 8 << 20;
}
