using ZeroDrift.Vulnerabilities.Matching;
using ZeroDrift.Vulnerabilities.Severities;

namespace ZeroDrift.Vulnerabilities.Scanning;

/// <summary>
/// Rates a finding from every matched advisory's severity data (<see cref="OsvSeverity"/>) through
/// <see cref="SeverityResolver"/>; the source names the advisory it came from.
/// </summary>
public sealed class OsvSeverityRater : ISeverityRater
{
    public SeverityRating Rate(VulnerabilityFinding finding)
    {
        var vectors = new List<CvssEvidence>();
        var ratings = new List<RatingEvidence>();
        foreach (var advisory in finding.Advisories)
        {
            var (v, r) = OsvSeverity.Evidence(advisory, advisory.Id + " ");
            vectors.AddRange(v);
            ratings.AddRange(r);
        }
        var assessment = SeverityResolver.Resolve(vectors, ratings);
        return new SeverityRating(assessment.Severity, assessment.Score, assessment.Vector, assessment.Source);
    }
}
