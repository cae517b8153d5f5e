using System.Text.Json;
using ZeroDrift.Vulnerabilities.Osv;

namespace ZeroDrift.Vulnerabilities.Severities;

/// <summary>
/// Reads the severity evidence of an OSV record (https://ossf.github.io/osv-schema/): the <c>severity</c> arrays
/// of the record and of each <c>affected</c> entry (types CVSS_V2, CVSS_V3, CVSS_V4 and Ubuntu), and GitHub's
/// <c>database_specific.severity</c>.
/// </summary>
public static class OsvSeverity
{
    /// <param name="sourcePrefix">Put before every source (an advisory id, when several records are rated together).</param>
    public static (List<CvssEvidence> Vectors, List<RatingEvidence> Ratings) Evidence(OsvRecord record, string sourcePrefix = "")
    {
        var vectors = new List<CvssEvidence>();
        var ratings = new List<RatingEvidence>();
        Read(record.Severity, $"{sourcePrefix}severity", vectors, ratings);
        for (var i = 0; i < record.Affected.Count; i++)
            Read(record.Affected[i].Severity, $"{sourcePrefix}affected[{i}].severity", vectors, ratings);
        if (record.DatabaseSpecific is { ValueKind: JsonValueKind.Object } specific
            && specific.TryGetProperty("severity", out var ghsa) && ghsa.ValueKind == JsonValueKind.String)
            ratings.Add(new RatingEvidence(RatingScheme.Ghsa, ghsa.GetString()!, $"{sourcePrefix}database_specific.severity"));
        return (vectors, ratings);
    }

    public static SeverityAssessment Resolve(OsvRecord record)
    {
        var (vectors, ratings) = Evidence(record);
        return SeverityResolver.Resolve(vectors, ratings);
    }

    private static void Read(IReadOnlyList<Osv.OsvSeverity> severity, string path, List<CvssEvidence> vectors, List<RatingEvidence> ratings)
    {
        for (var i = 0; i < severity.Count; i++)
        {
            var (type, score) = (severity[i].Type, severity[i].Score);
            var source = $"{path}[{i}] {type}";
            if (type is "CVSS_V2" or "CVSS_V3" or "CVSS_V4") vectors.Add(new CvssEvidence(score, source));
            else if (type == "Ubuntu") ratings.Add(new RatingEvidence(RatingScheme.Ubuntu, score, source));
        }
    }
}
