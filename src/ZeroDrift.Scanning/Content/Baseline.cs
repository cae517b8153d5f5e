using System.Text.Json;

namespace ZeroDrift.Scanning.Content;

/// <summary>
/// Findings already known, by fingerprint: read from a previous ZeroDrift JSON report (its <c>contentFindings</c>)
/// or a gitleaks JSON report (an array of findings with <c>Fingerprint</c>), so a team adopting ZeroDrift after
/// gitleaks keeps its baseline. Findings in the baseline are reported as suppressed, not counted for the exit code.
/// </summary>
public sealed class Baseline
{
    private readonly HashSet<string> _fingerprints;

    public string Source { get; }

    private Baseline(string source, HashSet<string> fingerprints)
    {
        Source = source;
        _fingerprints = fingerprints;
    }

    public int Count => _fingerprints.Count;

    public bool Contains(string fingerprint) => _fingerprints.Contains(fingerprint);

    /// <summary>Largest baseline report read (its size from stat, before reading).</summary>
    public const long MaxBytes = 256L << 20;

    /// <summary>Parses a baseline; a file that is neither kind of report is a <see cref="FormatException"/>.</summary>
    public static Baseline Parse(string source, Stream json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new FormatException($"{source}: not a JSON report: {e.Message.Split('\n')[0]}", e);
        }
        using (doc)
        {
            var set = new HashSet<string>(StringComparer.Ordinal);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                // gitleaks: [{ "RuleID": ..., "Fingerprint": "commit:file:rule:line" or "file:rule:line" }, ...]
                foreach (var item in root.EnumerateArray())
                    if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("Fingerprint", out var fp) && fp.ValueKind == JsonValueKind.String)
                        set.Add(fp.GetString()!);
                    else throw new FormatException($"{source}: an array, but not a gitleaks report (an entry without \"Fingerprint\")");
                return new Baseline(source, set);
            }
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("contentFindings", out var findings) && findings.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in findings.EnumerateArray())
                    if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("fingerprint", out var fp) && fp.ValueKind == JsonValueKind.String)
                        set.Add(fp.GetString()!);
                return new Baseline(source, set);
            }
            throw new FormatException($"{source}: neither a zerodrift JSON report with contentFindings nor a gitleaks JSON report");
        }
    }
}
