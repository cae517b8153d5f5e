using System.Globalization;
using ZeroDrift.Vulnerabilities.Matching;

namespace ZeroDrift.Vulnerabilities.Suppression;

/// <summary>
/// <c>.zerodriftignore</c>: one vulnerability id a line, optionally limited to packages (<c>pkg:TYPE/NAME</c>, any
/// version unless given) and to a date (<c>exp:YYYY-MM-DD</c>, after which the line no longer applies), with
/// the reason after <c>#</c>:
/// <code>CVE-2023-4863 pkg:deb/debian/libwebp exp:2026-12-31 # not reachable: no image decoding in this service</code>
/// </summary>
public sealed class IgnoreFile
{
    private sealed record Entry(string Id, string? Purl, DateOnly? Expires, string? Reason, int Line);

    private readonly List<Entry> _entries;
    private readonly string _path;

    private IgnoreFile(string path, List<Entry> entries)
    {
        _path = path;
        _entries = entries;
    }

    /// <summary>Largest ignore file read (its size from stat, before reading).</summary>
    public const long MaxBytes = 4 << 20;

    /// <summary>Parses the file; a malformed line is an error naming the line (the user wrote it, so say so).</summary>
    public static IgnoreFile Parse(string path, string text)
    {
        var entries = new List<Entry>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            string? reason = null;
            var hash = line.IndexOf('#');
            if (hash >= 0) { reason = line[(hash + 1)..].Trim(); line = line[..hash]; }
            var tokens = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0) continue;
            string? purl = null;
            DateOnly? expires = null;
            foreach (var token in tokens.Skip(1))
            {
                if (token.StartsWith("pkg:", StringComparison.Ordinal)) purl = token;
                else if (token.StartsWith("exp:", StringComparison.Ordinal) && DateOnly.TryParseExact(token[4..], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) expires = d;
                else throw new FormatException($"{path}:{i + 1}: cannot read '{token}' (expected pkg:PURL or exp:YYYY-MM-DD)");
            }
            entries.Add(new Entry(tokens[0], purl, expires, string.IsNullOrEmpty(reason) ? null : reason, i + 1));
        }
        return new IgnoreFile(path, entries);
    }

    public IEnumerable<string> ExpiredEntries(DateOnly today) =>
        _entries.Where(e => e.Expires < today).Select(e => $"{_path}:{e.Line}: {e.Id} expired on {e.Expires:yyyy-MM-dd} and no longer suppresses it");

    public ISuppressionRule Rule(DateOnly today) => new IgnoreRule(this, today);

    private sealed class IgnoreRule(IgnoreFile file, DateOnly today) : ISuppressionRule
    {
        public SuppressionReason? Suppresses(VulnerabilityFinding finding)
        {
            foreach (var e in file._entries)
            {
                if (e.Expires is { } exp && exp < today) continue;
                if (!finding.Ids.Contains(e.Id, StringComparer.OrdinalIgnoreCase)) continue;
                if (e.Purl is not null && !PurlMatch.Covers(e.Purl, finding.Package.Purl)) continue;
                return new SuppressionReason($"{file._path}:{e.Line}", "ignored", e.Reason);
            }
            return null;
        }
    }
}
