namespace ZeroDrift.Vulnerabilities.Severities;

/// <summary>The CVSS versions FIRST has published, oldest first (so newer compares greater).</summary>
public enum CvssVersion
{
    V2,
    V3_0,
    V3_1,
    V4_0,
}

public static class CvssVersionExtensions
{
    /// <summary>The version as FIRST writes it: "2.0", "3.0", "3.1", "4.0".</summary>
    public static string Label(this CvssVersion version) => version switch
    {
        CvssVersion.V2 => "2.0",
        CvssVersion.V3_0 => "3.0",
        CvssVersion.V3_1 => "3.1",
        CvssVersion.V4_0 => "4.0",
        _ => throw new ArgumentOutOfRangeException(nameof(version)),
    };
}
