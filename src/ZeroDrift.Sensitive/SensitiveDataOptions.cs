namespace ZeroDrift.Sensitive;

public sealed record SensitiveDataOptions
{
    /// <summary>Report only files holding at least this many items of personal data, all kinds together (the CLI's <c>--pii-min</c>).</summary>
    public int MinItemsPerFile { get; init; } = 1;

    /// <summary>Masked samples kept per file and kind, with their lines.</summary>
    public int SamplesPerFinding { get; init; } = 3;

    /// <summary>Files larger than this are not read.</summary>
    public long MaxFileBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>The kinds looked for; all by default.</summary>
    public IReadOnlySet<PiiKind>? Kinds { get; init; }

    /// <summary>The date birth dates in identity numbers may not pass; today by default (tests pin it).</summary>
    public DateOnly? Today { get; init; }
}
