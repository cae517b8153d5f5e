using ZeroDrift.Core;

namespace ZeroDrift.Vulnerabilities.Severities;

/// <summary>
/// Picks one severity from what an advisory offers: the valid CVSS vector of the newest version first (v4.0, then
/// v3.1, v3.0, v2; the first given wins within a version), scored with its base score; failing that, the first
/// advisory rating that maps to a known severity; failing that, <see cref="Severity.Unknown"/>.
/// </summary>
public static class SeverityResolver
{
    public static SeverityAssessment Resolve(IEnumerable<CvssEvidence> vectors, IEnumerable<RatingEvidence> ratings)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(ratings);
        var rejected = new List<string>();
        (CvssVector Vector, string Source)? best = null;
        foreach (var evidence in vectors)
        {
            var result = CvssVector.Parse(evidence.Vector);
            if (!result.IsValid)
            {
                rejected.Add($"{evidence.Source}: {result.Error}");
                continue;
            }
            if (best is null || result.Vector.Version > best.Value.Vector.Version) best = (result.Vector, evidence.Source);
        }
        if (best is { } chosen)
        {
            var v = chosen.Vector;
            return new SeverityAssessment(v.BaseSeverity, v.BaseScore, v.Text, v.Version, chosen.Source) { Rejected = rejected };
        }
        foreach (var rating in ratings)
        {
            var severity = AdvisoryRatings.Map(rating.Scheme, rating.Rating);
            if (severity != Severity.Unknown)
                return new SeverityAssessment(severity, null, null, null, rating.Source) { Rejected = rejected };
            rejected.Add($"{rating.Source}: '{rating.Rating}' is not a known {rating.Scheme} rating");
        }
        return SeverityAssessment.Unknown(rejected);
    }
}
