using ZeroDrift.Vulnerabilities.Severities;

namespace ZeroDrift.Vulnerabilities.Tests.Severity;

public class Cvss2Tests
{
    [Theory]
    [InlineData("AV:N/AC:L/Au:N/C:P/I:N/A:N", 5.0)] // CVE-2014-0160 Heartbleed
    [InlineData("AV:N/AC:M/Au:N/C:C/I:C/A:C", 9.3)] // CVE-2021-44228 Log4Shell
    [InlineData("AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0)] // CVE-2014-6271 Shellshock
    [InlineData("AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5)]
    [InlineData("AV:N/AC:M/Au:N/C:N/I:P/A:N", 4.3)] // the typical XSS
    [InlineData("AV:L/AC:L/Au:N/C:C/I:C/A:C", 7.2)]
    [InlineData("AV:N/AC:L/Au:S/C:P/I:P/A:P", 6.5)]
    [InlineData("AV:N/AC:M/Au:N/C:P/I:P/A:P", 6.8)]
    [InlineData("AV:N/AC:L/Au:N/C:N/I:N/A:P", 5.0)]
    [InlineData("AV:L/AC:L/Au:N/C:P/I:N/A:N", 2.1)]
    [InlineData("AV:N/AC:L/Au:N/C:N/I:N/A:N", 0.0)]
    [InlineData("(AV:N/AC:L/Au:N/C:P/I:P/A:P)", 7.5)] // NVD's old parenthesised form
    public void Scores_known_vectors(string vector, double expected)
    {
        var v = Assert.IsType<Cvss2Vector>(CvssVector.Parse(vector).Vector);
        Assert.Equal(expected, v.BaseScore);
        Assert.Equal(CvssVersion.V2, v.Version);
    }

    // The guide's worked examples (section 3.3).
    [Fact]
    public void CVE_2002_0392_base_temporal_and_environmental()
    {
        var v = Assert.IsType<Cvss2Vector>(CvssVector.Parse("AV:N/AC:L/Au:N/C:N/I:N/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:H").Vector);
        Assert.Equal(7.8, v.BaseScore);
        Assert.Equal(6.4, v.TemporalScore);
        Assert.Equal(9.2, v.EnvironmentalScore);
        Assert.Equal(9.2, v.OverallScore);
    }

    [Fact]
    public void CVE_2003_0818_and_CVE_2003_0062_base_and_temporal()
    {
        var v = Assert.IsType<Cvss2Vector>(CvssVector.Parse("AV:N/AC:L/Au:N/C:C/I:C/A:C/E:F/RL:OF/RC:C").Vector);
        Assert.Equal(10.0, v.BaseScore);
        Assert.Equal(8.3, v.TemporalScore);
        Assert.Equal(8.3, v.OverallScore);
        var w = Assert.IsType<Cvss2Vector>(CvssVector.Parse("AV:L/AC:H/Au:N/C:C/I:C/A:C/E:POC/RL:OF/RC:C").Vector);
        Assert.Equal(6.2, w.BaseScore);
        Assert.Equal(4.9, w.TemporalScore);
    }

    [Fact]
    public void Target_distribution_none_zeroes_the_environmental_score()
    {
        var v = Assert.IsType<Cvss2Vector>(CvssVector.Parse("AV:N/AC:L/Au:N/C:C/I:C/A:C/CDP:H/TD:N").Vector);
        Assert.Equal(0.0, v.EnvironmentalScore);
        Assert.Equal(Core.Severity.Low, v.OverallSeverity); // NVD's v2 scale has no None
    }

    [Theory]
    [InlineData("AC:L/AV:N/Au:N/C:P/I:P/A:P", "out of order")]
    [InlineData("AV:N/AC:L/Au:N/C:P/I:P/A:P/RL:OF/E:F", "out of order")]
    [InlineData("AV:N/AC:L/AU:N/C:P/I:P/A:P", "unknown metric 'AU'")]
    [InlineData("AV:N/AC:L/Au:N/C:P/I:P", "missing base metric A")]
    [InlineData("(AV:N/AC:L/Au:N/C:P/I:P/A:P", "unknown metric '(AV'")]
    [InlineData("AV:N/AC:L/Au:N/C:P/I:P/A:P/E:X", "invalid value 'X' for E")]
    public void Rejects_malformed_vectors(string vector, string reason)
    {
        var result = CvssVector.Parse(vector);
        Assert.False(result.IsValid);
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
        Assert.StartsWith("CVSS v2: ", result.Error, StringComparison.Ordinal);
    }
}
