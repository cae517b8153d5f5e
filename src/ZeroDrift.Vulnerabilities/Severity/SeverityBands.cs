using ZeroDrift.Core;

namespace ZeroDrift.Vulnerabilities.Severities;

/// <summary>The qualitative severity rating scales that turn a CVSS score into a <see cref="Severity"/>.</summary>
public static class SeverityBands
{
    /// <summary>
    /// CVSS v3.x and v4.0 (both specifications' "Qualitative Severity Rating Scale"): None 0.0, Low 0.1–3.9,
    /// Medium 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0.
    /// </summary>
    public static Severity FromV3OrV4Score(double score) => score switch
    {
        < 0 or > 10 or double.NaN => Severity.Unknown,
        < 0.1 => Severity.None,
        < 4.0 => Severity.Low,
        < 7.0 => Severity.Medium,
        < 9.0 => Severity.High,
        _ => Severity.Critical,
    };

    /// <summary>
    /// CVSS v2 has no rating scale of its own; NVD's is the one everyone uses: Low 0.0–3.9, Medium 4.0–6.9,
    /// High 7.0–10.0 (no None, no Critical).
    /// </summary>
    public static Severity FromV2Score(double score) => score switch
    {
        < 0 or > 10 or double.NaN => Severity.Unknown,
        < 4.0 => Severity.Low,
        < 7.0 => Severity.Medium,
        _ => Severity.High,
    };

    public static Severity FromScore(CvssVersion version, double score) =>
        version == CvssVersion.V2 ? FromV2Score(score) : FromV3OrV4Score(score);
}
