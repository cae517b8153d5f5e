using System.Diagnostics.CodeAnalysis;
using ZeroDrift.Core;

namespace ZeroDrift.Vulnerabilities.Severities;

/// <summary>
/// A parsed, validated CVSS vector of any version, with its scores computed as FIRST's specification for that
/// version defines them. Parse with <see cref="Parse"/>; a malformed string gives an error, never an exception.
/// </summary>
public abstract class CvssVector
{
    /// <summary>Longer than any valid vector (a v4.0 vector with every metric is about 270 characters).</summary>
    public const int MaxLength = 1024;

    private readonly MetricTable _table;
    private readonly string?[] _values;

    private protected CvssVector(string text, MetricTable table, string?[] values)
    {
        Text = text;
        _table = table;
        _values = values;
    }

    public abstract CvssVersion Version { get; }

    /// <summary>The vector string as it was given (surrounding white space and a v2 "(…)" wrapper removed).</summary>
    public string Text { get; }

    /// <summary>The base score, 0.0–10.0 (for v4.0: CVSS-B, threat and environmental metrics ignored).</summary>
    public abstract double BaseScore { get; }

    /// <summary>
    /// The most specific score the vector's metrics allow: v2 and v3.x environmental if any environmental metric
    /// is defined, else temporal if any temporal metric is, else base; v4.0 the CVSS-BTE score (which is the
    /// base score when no threat or environmental metric is given).
    /// </summary>
    public abstract double OverallScore { get; }

    public Severity BaseSeverity => SeverityBands.FromScore(Version, BaseScore);

    public Severity OverallSeverity => SeverityBands.FromScore(Version, OverallScore);

    /// <summary>The value of a metric as written in the vector (e.g. "N" for AV), or null if the vector omits it.</summary>
    public string? this[string metric] => _table.TryIndexOf(metric, out var i) ? _values[i] : null;

    private protected string? Value(int index) => _values[index];

    public override string ToString() => Text;

    /// <summary>Parses a v2, v3.0, v3.1 or v4.0 vector string, telling the version from its prefix.</summary>
    public static CvssParseResult Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return CvssParseResult.Fail("the vector is empty");
        if (text.Length > MaxLength) return CvssParseResult.Fail($"the vector is longer than {MaxLength} characters");
        var vector = text.Trim();
        if (vector.StartsWith("CVSS:", StringComparison.Ordinal))
        {
            var slash = vector.IndexOf('/', StringComparison.Ordinal);
            var label = slash < 0 ? vector[5..] : vector[5..slash];
            var body = slash < 0 ? "" : vector[(slash + 1)..];
            return label switch
            {
                "3.0" => Cvss3Vector.ParseBody(vector, body, CvssVersion.V3_0),
                "3.1" => Cvss3Vector.ParseBody(vector, body, CvssVersion.V3_1),
                "4.0" => Cvss4Vector.ParseBody(vector, body),
                _ => CvssParseResult.Fail($"unsupported CVSS version '{Truncate(label)}' (expected 3.0, 3.1 or 4.0, or a v2 vector without prefix)"),
            };
        }
        return Cvss2Vector.ParseBody(vector);
    }

    public static bool TryParse(string? text, [NotNullWhen(true)] out CvssVector? vector, out string? error)
    {
        var result = Parse(text);
        vector = result.Vector;
        error = result.Error;
        return result.IsValid;
    }

    private static string Truncate(string s) => s.Length <= 16 ? s : s[..16] + "…";
}
