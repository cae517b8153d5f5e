namespace ZeroDrift.Core.Findings;

/// <summary>The scanners that read file contents (as opposed to the package-based vulnerability scanner).</summary>
public enum FindingClass
{
    Secret,
    Pii,
    Misconfig,
}

/// <summary>1-based line and column positions of a finding in its file, end inclusive, as SARIF regions count them.</summary>
public sealed record TextSpan(int StartLine, int StartColumn, int EndLine, int EndColumn)
{
    public static TextSpan Line(int line, int column = 1) => new(line, column, line, column);
}

/// <summary>The commit a finding from git history was added in.</summary>
public sealed record GitProvenance(string Commit, string Author, string Email, DateTimeOffset Date);

/// <summary>
/// One finding of a content scanner (secret, sensitive data, misconfiguration), in the one shape every report
/// writer reads. Values users must not see in clear (secrets, personal data) are already masked in
/// <see cref="Match"/>; <see cref="Fingerprint"/> identifies the finding across runs for baselines.
/// </summary>
public sealed record ContentFinding
{
    public required FindingClass Class { get; init; }

    /// <summary>The rule or check id, stable across versions (<c>aws-access-token</c>, <c>ZD-K8S-001</c>).</summary>
    public required string RuleId { get; init; }

    public required string Title { get; init; }

    public required Severity Severity { get; init; }

    /// <summary>Absolute path inside the target (for archives inside the target: <c>/app/lib.jar!/conf/x.properties</c>).</summary>
    public required string Path { get; init; }

    public TextSpan? Span { get; init; }

    /// <summary>What was found, in a sentence a reader acts on.</summary>
    public string Message { get; init; } = "";

    /// <summary>The matched text as shown to users: masked unless the user asked otherwise.</summary>
    public string? Match { get; init; }

    public required string Fingerprint { get; init; }

    /// <summary>The image layer holding the file, when the target is an image.</summary>
    public LayerRef? Layer { get; init; }

    /// <summary>True when the file was deleted by a later layer: it is still in the image, just not visible.</summary>
    public bool InDeletedLayer { get; init; }

    public GitProvenance? Git { get; init; }

    /// <summary>Scanner-specific extras (entropy, counts per kind, the resource a check looked at).</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();
}

/// <summary>What a rule or check is, for reports (SARIF rule metadata, the JSON rules section, docs).</summary>
public sealed record RuleDescriptor
{
    public required FindingClass Class { get; init; }
    public required string Id { get; init; }
    public required string Title { get; init; }
    public required Severity Severity { get; init; }
    public string Description { get; init; } = "";
    public string Remediation { get; init; } = "";
    public IReadOnlyList<string> References { get; init; } = [];
}

/// <summary>
/// A scanner over file contents. The scan pipeline walks the target once and hands each file that any
/// detector requires to every detector that requires it, so each file is read once however many run.
/// </summary>
public interface IContentDetector
{
    FindingClass Class { get; }

    /// <summary>The rules this detector may report, for report metadata.</summary>
    IReadOnlyList<RuleDescriptor> Rules { get; }

    /// <summary>Cheap: decided from the path and size alone.</summary>
    bool FileRequired(string path, long size);

    /// <summary>Scans one file. <paramref name="content"/> is read-only and may not be seekable; malformed content is a
    /// warning through <paramref name="warn"/>, never an exception that stops the scan.</summary>
    IEnumerable<ContentFinding> Scan(string path, Stream content, Action<string> warn, CancellationToken cancellationToken);
}

/// <summary>
/// A detector that judges some files only together with others of the same target (Terraform: a directory is a module,
/// and modules call each other). It gathers what it needs in <see cref="IContentDetector.Scan"/> and reports those
/// findings when the target's files have all been read.
/// </summary>
public interface IDeferredContentDetector : IContentDetector
{
    /// <summary>Called once, after every file of the target went through <see cref="IContentDetector.Scan"/>.</summary>
    IEnumerable<ContentFinding> Complete(Action<string> warn, CancellationToken cancellationToken);
}
