using ZeroDrift.Core;

namespace ZeroDrift.Vulnerabilities.Severities;

/// <summary>The textual severity scales advisory sources use instead of (or beside) a CVSS vector.</summary>
public enum RatingScheme
{
    /// <summary>GitHub advisories, OSV <c>database_specific.severity</c>: LOW, MODERATE, HIGH, CRITICAL.</summary>
    Ghsa,

    /// <summary>Debian security tracker urgency: unimportant, low, medium, high, not yet assigned.</summary>
    DebianUrgency,

    /// <summary>Red Hat, and AlmaLinux/Rocky which reuse it: Low, Moderate, Important, Critical.</summary>
    RedHat,

    /// <summary>Ubuntu CVE tracker priority (OSV severity type "Ubuntu"): negligible, low, medium, high, critical.</summary>
    Ubuntu,
}

/// <summary>Maps advisory ratings to <see cref="Severity"/>; anything unrecognised is <see cref="Severity.Unknown"/>.</summary>
public static class AdvisoryRatings
{
    public static Severity Map(RatingScheme scheme, string? rating)
    {
        if (string.IsNullOrWhiteSpace(rating)) return Severity.Unknown;
        var value = rating.Trim().ToUpperInvariant();
        return scheme switch
        {
            RatingScheme.Ghsa => value switch
            {
                "LOW" => Severity.Low,
                "MODERATE" => Severity.Medium,
                "HIGH" => Severity.High,
                "CRITICAL" => Severity.Critical,
                _ => Severity.Unknown,
            },
            // The tracker marks urgencies it took from elsewhere with trailing asterisks ("low**").
            // "unimportant" is still a security issue, one Debian will not fix: Low, as Trivy reads it.
            RatingScheme.DebianUrgency => value.TrimEnd('*') switch
            {
                "UNIMPORTANT" or "LOW" => Severity.Low,
                "MEDIUM" => Severity.Medium,
                "HIGH" => Severity.High,
                _ => Severity.Unknown, // "not yet assigned", "end-of-life"
            },
            RatingScheme.RedHat => value switch
            {
                "LOW" => Severity.Low,
                "MODERATE" => Severity.Medium,
                "IMPORTANT" => Severity.High,
                "CRITICAL" => Severity.Critical,
                _ => Severity.Unknown,
            },
            RatingScheme.Ubuntu => value switch
            {
                "NEGLIGIBLE" or "LOW" => Severity.Low,
                "MEDIUM" => Severity.Medium,
                "HIGH" => Severity.High,
                "CRITICAL" => Severity.Critical,
                _ => Severity.Unknown, // "untriaged"
            },
            _ => Severity.Unknown,
        };
    }
}
