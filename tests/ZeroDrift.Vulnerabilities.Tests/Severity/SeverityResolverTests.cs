using System.Text.Json;
using ZeroDrift.Vulnerabilities.Severities;
using Sev = ZeroDrift.Core.Severity;

namespace ZeroDrift.Vulnerabilities.Tests.Severity;

public class SeverityResolverTests
{
    [Theory]
    [InlineData(0.0, Sev.None)]
    [InlineData(0.1, Sev.Low)]
    [InlineData(3.9, Sev.Low)]
    [InlineData(4.0, Sev.Medium)]
    [InlineData(6.9, Sev.Medium)]
    [InlineData(7.0, Sev.High)]
    [InlineData(8.9, Sev.High)]
    [InlineData(9.0, Sev.Critical)]
    [InlineData(10.0, Sev.Critical)]
    [InlineData(10.1, Sev.Unknown)]
    [InlineData(-1, Sev.Unknown)]
    public void Version_3_and_4_bands(double score, Sev expected) => Assert.Equal(expected, SeverityBands.FromV3OrV4Score(score));

    [Theory]
    [InlineData(0.0, Sev.Low)]
    [InlineData(3.9, Sev.Low)]
    [InlineData(4.0, Sev.Medium)]
    [InlineData(6.9, Sev.Medium)]
    [InlineData(7.0, Sev.High)]
    [InlineData(10.0, Sev.High)]
    public void Version_2_bands_as_NVD(double score, Sev expected) => Assert.Equal(expected, SeverityBands.FromV2Score(score));

    [Theory]
    [InlineData(RatingScheme.Ghsa, "LOW", Sev.Low)]
    [InlineData(RatingScheme.Ghsa, "MODERATE", Sev.Medium)]
    [InlineData(RatingScheme.Ghsa, "HIGH", Sev.High)]
    [InlineData(RatingScheme.Ghsa, "CRITICAL", Sev.Critical)]
    [InlineData(RatingScheme.Ghsa, "MEDIUM", Sev.Unknown)]
    [InlineData(RatingScheme.DebianUrgency, "unimportant", Sev.Low)]
    [InlineData(RatingScheme.DebianUrgency, "low", Sev.Low)]
    [InlineData(RatingScheme.DebianUrgency, "medium**", Sev.Medium)]
    [InlineData(RatingScheme.DebianUrgency, "high", Sev.High)]
    [InlineData(RatingScheme.DebianUrgency, "not yet assigned", Sev.Unknown)]
    [InlineData(RatingScheme.DebianUrgency, "end-of-life", Sev.Unknown)]
    [InlineData(RatingScheme.RedHat, "Low", Sev.Low)]
    [InlineData(RatingScheme.RedHat, "Moderate", Sev.Medium)]
    [InlineData(RatingScheme.RedHat, "Important", Sev.High)]
    [InlineData(RatingScheme.RedHat, "Critical", Sev.Critical)]
    [InlineData(RatingScheme.Ubuntu, "negligible", Sev.Low)]
    [InlineData(RatingScheme.Ubuntu, "low", Sev.Low)]
    [InlineData(RatingScheme.Ubuntu, "medium", Sev.Medium)]
    [InlineData(RatingScheme.Ubuntu, "high", Sev.High)]
    [InlineData(RatingScheme.Ubuntu, "critical", Sev.Critical)]
    [InlineData(RatingScheme.Ubuntu, "untriaged", Sev.Unknown)]
    [InlineData(RatingScheme.Ubuntu, "", Sev.Unknown)]
    public void Advisory_ratings(RatingScheme scheme, string rating, Sev expected) => Assert.Equal(expected, AdvisoryRatings.Map(scheme, rating));

    [Fact]
    public void The_newest_valid_vector_wins_and_says_where_it_came_from()
    {
        var result = SeverityResolver.Resolve(
            [
                new("AV:N/AC:L/Au:N/C:P/I:P/A:P", "severity[0] CVSS_V2"),
                new("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "severity[1] CVSS_V3"),
                new("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N", "severity[2] CVSS_V4"),
                new("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", "severity[3] CVSS_V3"),
            ],
            [new(RatingScheme.Ghsa, "LOW", "database_specific.severity")]);
        Assert.Equal(Sev.Critical, result.Severity);
        Assert.Equal(9.8, result.Score);
        Assert.Equal(CvssVersion.V3_1, result.Version);
        Assert.Equal("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", result.Vector);
        Assert.Equal("severity[1] CVSS_V3", result.Source);
        var rejected = Assert.Single(result.Rejected);
        Assert.StartsWith("severity[2] CVSS_V4: CVSS v4.0: missing base metric SA", rejected, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_valid_vector_the_first_known_rating_wins()
    {
        var result = SeverityResolver.Resolve(
            [new("CVSS:3.1/AV:N", "severity[0] CVSS_V3")],
            [new(RatingScheme.Ubuntu, "untriaged", "severity[1] Ubuntu"), new(RatingScheme.Ghsa, "MODERATE", "database_specific.severity")]);
        Assert.Equal(Sev.Medium, result.Severity);
        Assert.Null(result.Score);
        Assert.Null(result.Vector);
        Assert.Equal("database_specific.severity", result.Source);
        Assert.Equal(2, result.Rejected.Count);
    }

    [Fact]
    public void Nothing_usable_is_unknown()
    {
        var result = SeverityResolver.Resolve([], []);
        Assert.Equal(Sev.Unknown, result.Severity);
        Assert.Equal("none", result.Source);
    }

    [Fact]
    public void Reads_the_evidence_of_an_OSV_record()
    {
        var record = Osv.OsvParser.Parse("""
            {
              "id": "GHSA-xxxx-xxxx-xxxx",
              "modified": "2024-01-01T00:00:00Z",
              "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"}],
              "affected": [{"package": {"ecosystem": "Ubuntu:22.04:LTS", "name": "x"},
                            "severity": [{"type": "Ubuntu", "score": "medium"}, {"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}]},
                           {"package": {"ecosystem": "PyPI", "name": "y"}}],
              "database_specific": {"severity": "MODERATE"}
            }
            """u8, "test");
        var (vectors, ratings) = OsvSeverity.Evidence(record);
        Assert.Equal(["severity[0] CVSS_V3", "affected[0].severity[1] CVSS_V4"], vectors.Select(v => v.Source));
        Assert.Equal(["affected[0].severity[0] Ubuntu", "database_specific.severity"], ratings.Select(r => r.Source));
        var assessment = OsvSeverity.Resolve(record);
        Assert.Equal(CvssVersion.V4_0, assessment.Version);
        Assert.Equal(9.3, assessment.Score);
        Assert.Equal(Sev.Critical, assessment.Severity);
        Assert.Equal("affected[0].severity[1] CVSS_V4", assessment.Source);
    }
}
