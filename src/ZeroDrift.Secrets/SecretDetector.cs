using System.Globalization;
using System.Text;
using ZeroDrift.Core;
using ZeroDrift.Core.Findings;

namespace ZeroDrift.Secrets;

/// <summary>
/// The secret scanner as a content detector of the one-pass scan: every text file goes through
/// <see cref="SecretScanner"/>, and each <see cref="SecretFinding"/> becomes a <see cref="ContentFinding"/> whose
/// match is redacted unless the user asked to see secrets.
/// </summary>
public sealed class SecretDetector : IContentDetector
{
    private const string Remediation =
        "Revoke and rotate the credential first (it is compromised once committed or shipped), then remove it from the file, " +
        "from git history and from every image layer; load it at run time from a secret store instead.";

    private readonly SecretScanner _scanner;
    private readonly bool _showSecrets;

    public SecretDetector(SecretScanner scanner, bool showSecrets = false)
    {
        _scanner = scanner;
        _showSecrets = showSecrets;
        Rules = scanner.RuleSet.Rules.Select(r => new RuleDescriptor
        {
            Class = FindingClass.Secret,
            Id = r.Id,
            Title = string.IsNullOrEmpty(r.Description) ? r.Id : r.Description,
            Severity = SeverityOf(r.Id),
            Description = (string.IsNullOrEmpty(r.Description) ? r.Id : r.Description) + ": a credential found in clear text.",
            Remediation = Remediation,
        }).ToList();
    }

    public FindingClass Class => FindingClass.Secret;

    public IReadOnlyList<RuleDescriptor> Rules { get; }

    /// <summary>Every file: binary files are recognised by content (a NUL byte near the start) and cost one small read.</summary>
    public bool FileRequired(string path, long size) => true;

    public IEnumerable<ContentFinding> Scan(string path, Stream content, Action<string> warn, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyList<SecretFinding> found;
        try
        {
            found = _scanner.Scan(path, content);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or DecoderFallbackException)
        {
            warn($"{path}: secret scan stopped: {e.Message.Split('\n')[0]}");
            return [];
        }
        return WithoutGenericDuplicates(found).Select(ToContent).ToList();
    }

    /// <summary>
    /// As gitleaks does: a generic rule's finding is dropped when a specific rule found a secret inside it on the
    /// same line (<c>aws_access_key_id = AKIA…</c> is one AWS key, not also a "generic API key").
    /// </summary>
    private static IEnumerable<SecretFinding> WithoutGenericDuplicates(IReadOnlyList<SecretFinding> found)
    {
        foreach (var f in found)
        {
            if (f.RuleId.StartsWith("generic", StringComparison.Ordinal)
                && found.Any(o => !o.RuleId.StartsWith("generic", StringComparison.Ordinal) && o.File == f.File && o.Line == f.Line
                                  && o.Secret.Length > 0 && (f.Match.Contains(o.Secret, StringComparison.Ordinal) || o.Match.Contains(f.Secret, StringComparison.Ordinal))))
                continue;
            yield return f;
        }
    }

    /// <summary>Private keys give away more than one service; everything else is a credential for one.</summary>
    private static Severity SeverityOf(string ruleId) =>
        ruleId.Contains("private-key", StringComparison.OrdinalIgnoreCase) ? Severity.Critical : Severity.High;

    private ContentFinding ToContent(SecretFinding f)
    {
        var shown = _showSecrets ? f.Match : f.RedactedMatch;
        var properties = new Dictionary<string, string>
        {
            ["entropy"] = f.Entropy.ToString("0.####", CultureInfo.InvariantCulture),
        };
        if (f.Tags.Count > 0) properties["tags"] = string.Join(",", f.Tags);
        if (_showSecrets && f.Secret.Length > 0) properties["secret"] = f.Secret;
        return new ContentFinding
        {
            Class = FindingClass.Secret,
            RuleId = f.RuleId,
            Title = string.IsNullOrEmpty(f.Description) ? f.RuleId : f.Description,
            Severity = SeverityOf(f.RuleId),
            Path = f.File,
            Span = f.Line > 0 ? Span(f) : null,
            Message = f.Line > 0
                ? $"{(string.IsNullOrEmpty(f.Description) ? f.RuleId : f.Description)} in clear text: {(_showSecrets ? f.Secret : f.RedactedSecret)}"
                : $"{(string.IsNullOrEmpty(f.Description) ? f.RuleId : f.Description)}: the file itself is the secret",
            Match = shown,
            Fingerprint = Fingerprint(f.File, f.RuleId, f.Line),
            Properties = properties,
        };
    }

    /// <summary>gitleaks' fingerprint (<c>file:rule:line</c>, the file relative to the scan root), so gitleaks baselines apply.</summary>
    public static string Fingerprint(string path, string ruleId, int line) =>
        $"{path.TrimStart('/')}:{ruleId}:{line}";

    private static TextSpan Span(SecretFinding f)
    {
        var lastNewline = f.Match.LastIndexOf('\n');
        var endColumn = lastNewline < 0 ? f.Column + Math.Max(f.Match.Length, 1) - 1 : Math.Max(f.Match.Length - lastNewline - 1, 1);
        return new TextSpan(f.Line, f.Column, Math.Max(f.EndLine, f.Line), endColumn);
    }
}
