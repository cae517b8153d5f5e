using ZeroDrift.Core;

namespace ZeroDrift.Vulnerabilities.Severities;

/// <summary>A CVSS vector an advisory gives, and where in the advisory it is (e.g. "severity[0] CVSS_V3").</summary>
public sealed record CvssEvidence(string Vector, string Source);

/// <summary>A textual rating an advisory gives, its scale, and where it is (e.g. "database_specific.severity").</summary>
public sealed record RatingEvidence(RatingScheme Scheme, string Rating, string Source);

/// <summary>
/// The severity ZeroDrift reports for a vulnerability, and what it rests on. <see cref="Source"/> always names
/// the vector or advisory field it came from, so a user can check it.
/// </summary>
public sealed record SeverityAssessment(Severity Severity, double? Score, string? Vector, CvssVersion? Version, string Source)
{
    /// <summary>Vectors and ratings that were present but unusable, with the reason (malformed vector, unknown rating).</summary>
    public IReadOnlyList<string> Rejected { get; init; } = [];

    public static SeverityAssessment Unknown(IReadOnlyList<string> rejected) =>
        new(Severity.Unknown, null, null, null, "none") { Rejected = rejected };
}
