using System.CommandLine;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// The options of <c>zerodrift scan</c> that tune the sensitive-data and misconfiguration scanners:
/// <c>--pii-min N</c> (docs/pii.md), <c>--config-check FILE</c> (docs/misconfig.md, custom CEL checks; the name
/// Trivy users know for their own checks) and <c>--pss-version</c> (the Pod Security policy version manifests are judged at).
/// </summary>
public sealed class ContentScannerOptions
{
    private readonly Option<int?> _piiMin = new("--pii-min")
    {
        Description = "Report sensitive data only in files holding at least N items, all kinds together (default 1; needs --scanners pii)",
    };

    private readonly Option<FileInfo[]> _configCheck = new("--config-check")
    {
        Description = "A file of custom misconfiguration checks written in CEL (repeatable; needs --scanners misconfig)",
    };

    private readonly Option<string?> _pssVersion = PssVersionOption.Create("Kubernetes manifests (needs --scanners misconfig)");

    public void AddTo(Command command)
    {
        command.Options.Add(_piiMin);
        command.Options.Add(_configCheck);
        command.Options.Add(_pssVersion);
    }

    /// <summary>The options as <see cref="ContentScannerSettings"/>, checked against the chosen scanners.</summary>
    public ContentScannerSettings Apply(ParseResult parse, ContentScannerSettings settings, IReadOnlyCollection<string> scanners)
    {
        var piiMin = parse.GetValue(_piiMin);
        if (piiMin is { } n)
        {
            if (!scanners.Contains("pii")) throw new UsageException("--pii-min needs --scanners pii");
            if (n < 1) throw new UsageException($"--pii-min {n}: expected a number of items of at least 1");
        }
        var checks = parse.GetValue(_configCheck) ?? [];
        if (checks.Length > 0)
        {
            if (!scanners.Contains("misconfig")) throw new UsageException("--config-check needs --scanners misconfig");
            foreach (var file in checks)
                if (!file.Exists) throw new UsageException($"{file.FullName}: no such custom check file");
        }
        var pssVersion = PssVersionOption.Read(parse, _pssVersion);
        if (parse.GetValue(_pssVersion) is not null && !scanners.Contains("misconfig")) throw new UsageException("--pss-version needs --scanners misconfig");
        return settings with { PiiMinItems = piiMin ?? 1, CustomCheckFiles = [.. checks.Select(f => f.FullName)], PssVersion = pssVersion };
    }
}
