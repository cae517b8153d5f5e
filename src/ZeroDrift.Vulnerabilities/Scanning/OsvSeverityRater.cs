using System.Text.Json;
using ZeroDrift.Vulnerabilities.Matching;
using ZeroDrift.Vulnerabilities.Osv;
using ZeroDrift.Vulnerabilities.Severities;
using OsvSeverityEntry = ZeroDrift.Vulnerabilities.Osv.OsvSeverity;

namespace ZeroDrift.Vulnerabilities.Scanning;

/// <summary>
/// Rates a finding from every matched advisory's severity data (CVSS vectors of the record and of the matched
/// package, GHSA's rating) through <see cref="SeverityResolver"/>; the source names the advisory it came from.
/// </summary>
public sealed class OsvSeverityRater : ISeverityRater
{
    public SeverityRating Rate(VulnerabilityFinding finding)
    {
        var vectors = new List<CvssEvidence>();
        var ratings = new List<RatingEvidence>();
        foreach (var advisory in finding.Advisories)
        {
            foreach (var (s, i) in advisory.Severity.Select((s, i) => (s, i)))
                Add(s, $"{advisory.Id} severity[{i}] {s.Type}");
            foreach (var (a, ai) in advisory.Affected.Select((a, i) => (a, i)))
                foreach (var (s, i) in a.Severity.Select((s, i) => (s, i)))
                    Add(s, $"{advisory.Id} affected[{ai}].severity[{i}] {s.Type}");
            if (advisory.DatabaseSpecific is { ValueKind: JsonValueKind.Object } specific
                && specific.TryGetProperty("severity", out var rating) && rating.ValueKind == JsonValueKind.String)
                ratings.Add(new RatingEvidence(RatingScheme.Ghsa, rating.GetString()!, $"{advisory.Id} database_specific.severity"));
        }
        var assessment = SeverityResolver.Resolve(vectors, ratings);
        return new SeverityRating(assessment.Severity, assessment.Score, assessment.Vector, assessment.Source);

        void Add(OsvSeverityEntry s, string source)
        {
            if (s.Type is "CVSS_V2" or "CVSS_V3" or "CVSS_V4") vectors.Add(new CvssEvidence(s.Score, source));
            else if (s.Type == "Ubuntu") ratings.Add(new RatingEvidence(RatingScheme.Ubuntu, s.Score, source));
        }
    }
}
