using System.Text.Json;

namespace ZeroDrift.Vulnerabilities.Severities;

/// <summary>
/// Reads the severity evidence of an OSV record (https://ossf.github.io/osv-schema/): the <c>severity</c> arrays
/// of the record and of each <c>affected</c> entry (types CVSS_V2, CVSS_V3, CVSS_V4 and Ubuntu), and GitHub's
/// <c>database_specific.severity</c>.
/// </summary>
public static class OsvSeverity
{
    public static (List<CvssEvidence> Vectors, List<RatingEvidence> Ratings) Evidence(JsonElement record)
    {
        var vectors = new List<CvssEvidence>();
        var ratings = new List<RatingEvidence>();
        if (record.ValueKind != JsonValueKind.Object) return (vectors, ratings);
        Read(record, "severity", vectors, ratings);
        if (record.TryGetProperty("affected", out var affected) && affected.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var entry in affected.EnumerateArray())
            {
                if (entry.ValueKind == JsonValueKind.Object) Read(entry, $"affected[{i}].severity", vectors, ratings);
                i++;
            }
        }
        if (record.TryGetProperty("database_specific", out var specific) && specific.ValueKind == JsonValueKind.Object
            && specific.TryGetProperty("severity", out var ghsa) && ghsa.ValueKind == JsonValueKind.String)
            ratings.Add(new RatingEvidence(RatingScheme.Ghsa, ghsa.GetString()!, "database_specific.severity"));
        return (vectors, ratings);
    }

    public static SeverityAssessment Resolve(JsonElement record)
    {
        var (vectors, ratings) = Evidence(record);
        return SeverityResolver.Resolve(vectors, ratings);
    }

    private static void Read(JsonElement owner, string path, List<CvssEvidence> vectors, List<RatingEvidence> ratings)
    {
        if (!owner.TryGetProperty("severity", out var severity) || severity.ValueKind != JsonValueKind.Array) return;
        var i = 0;
        foreach (var item in severity.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object
                && item.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                && item.TryGetProperty("score", out var score) && score.ValueKind == JsonValueKind.String)
            {
                var typeName = type.GetString()!;
                var source = $"{path}[{i}] {typeName}";
                if (typeName is "CVSS_V2" or "CVSS_V3" or "CVSS_V4") vectors.Add(new CvssEvidence(score.GetString()!, source));
                else if (typeName == "Ubuntu") ratings.Add(new RatingEvidence(RatingScheme.Ubuntu, score.GetString()!, source));
            }
            i++;
        }
    }
}
