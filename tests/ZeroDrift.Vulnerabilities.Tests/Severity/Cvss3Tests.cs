using ZeroDrift.Vulnerabilities.Severities;

namespace ZeroDrift.Vulnerabilities.Tests.Severity;

public class Cvss3Tests(Xunit.Abstractions.ITestOutputHelper output)
{
    // Base scores as NVD and FIRST's "CVSS v3.1 Examples" document publish them.
    [Theory]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0)] // CVE-2021-44228 Log4Shell
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5)] // CVE-2014-0160 Heartbleed
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8)] // CVE-2014-6271 Shellshock
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1)] // CVE-2013-1937 phpMyAdmin XSS
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4)] // CVE-2013-0375 MySQL
    [InlineData("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1)] // CVE-2014-3566 POODLE
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9)] // CVE-2012-1516 VMware
    [InlineData("CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L", 4.2)] // CVE-2009-0783 Tomcat
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8)] // CVE-2012-0384 Cisco IOS
    [InlineData("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8)] // CVE-2015-1098 Apple iWork
    [InlineData("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N", 6.8)] // CVE-2008-1447 DNS cache poisoning
    [InlineData("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N", 7.4)] // CVE-2014-0224 OpenSSL CCS
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", 9.6)] // CVE-2012-5376 Chrome IPC
    [InlineData("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8)] // CVE-2016-5195 Dirty COW
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 5.3)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5)]
    [InlineData("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8)] // CVE-2017-5638 Struts
    [InlineData("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1)] // CVE-2017-0144 EternalBlue
    [InlineData("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5)]
    [InlineData("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0)]
    public void Scores_known_vectors(string vector, double expected)
    {
        var v = Assert.IsType<Cvss3Vector>(CvssVector.Parse(vector).Vector);
        Assert.Equal(expected, v.BaseScore);
        Assert.Equal(expected, v.OverallScore); // no temporal or environmental metric
    }

    [Theory]
    [InlineData(4.02, 4.1)] // specification Appendix A
    [InlineData(4.0, 4.0)]
    [InlineData(4.00000000000001, 4.0)] // floating-point noise does not round up in v3.1...
    [InlineData(0.0, 0.0)]
    [InlineData(9.99999, 10.0)]
    [InlineData(6.000001, 6.0)] // rounded to 5 decimals first
    [InlineData(6.00001, 6.1)]
    public void Roundup_of_version_3_1(double input, double expected) => Assert.Equal(expected, CvssRounding.RoundUpV31(input));

    [Fact]
    public void Roundup_of_version_3_0_is_a_plain_ceiling()
    {
        Assert.Equal(4.1, CvssRounding.RoundUpV30(4.02));
        Assert.Equal(4.1, CvssRounding.RoundUpV30(4.00000000000001)); // ...but does in v3.0
        Assert.Equal(4.0, CvssRounding.RoundUpV30(4.0));
    }

    [Fact]
    public void The_same_vector_scores_a_tenth_apart_in_v3_0_and_v3_1_when_binary_noise_sits_on_a_tenth()
    {
        // 10.0 × 0.92 is 9.200000000000001 in binary: v3.0's ceiling gives 9.3, v3.1's Roundup 9.2.
        const string metrics = "AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H/RC:U";
        var v30 = Assert.IsType<Cvss3Vector>(CvssVector.Parse("CVSS:3.0/" + metrics).Vector);
        var v31 = Assert.IsType<Cvss3Vector>(CvssVector.Parse("CVSS:3.1/" + metrics).Vector);
        Assert.Equal(10.0, v30.BaseScore);
        Assert.Equal(9.3, v30.TemporalScore);
        Assert.Equal(9.2, v31.TemporalScore);
    }

    [Fact]
    public void Scope_changed_with_no_impact_scores_zero()
    {
        var v = CvssVector.Parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:N").Vector!;
        Assert.Equal(0.0, v.BaseScore);
        Assert.Equal(Core.Severity.None, v.BaseSeverity);
    }

    [Fact]
    public void Temporal_scores_follow_the_temporal_equation()
    {
        // 9.8 × 0.91 × 0.95 × 0.92 = 7.794… → 7.8
        var v = Assert.IsType<Cvss3Vector>(CvssVector.Parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U").Vector);
        Assert.Equal(9.8, v.BaseScore);
        Assert.Equal(7.8, v.TemporalScore);
        Assert.Equal(7.8, v.OverallScore);
        // 9.8 × 0.97 × 0.95 = 9.03… → 9.1
        Assert.Equal(9.1, CvssVector.Parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:F/RL:O/RC:C").Vector!.OverallScore);
        // Not Defined temporal metrics leave the base score.
        Assert.Equal(9.8, CvssVector.Parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/RL:X/RC:X").Vector!.OverallScore);
    }

    [Fact]
    public void Environmental_scores_follow_the_environmental_equation()
    {
        // MISS = 1 − (1 − 0.5×0.56)³ = 0.626752; impact 6.42 × MISS = 4.0237; exploitability with MAV:L
        // 8.22 × 0.55 × 0.77 × 0.85 × 0.85 = 2.5151; Roundup(6.5388) = 6.6.
        var v = Assert.IsType<Cvss3Vector>(CvssVector.Parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:L/IR:L/AR:L/MAV:L").Vector);
        Assert.Equal(9.8, v.BaseScore);
        Assert.Equal(6.6, v.EnvironmentalScore);
        Assert.Equal(6.6, v.OverallScore);
        // Modified scope changed turns PR:L into 0.68 and the impact into the changed-scope form.
        var changed = Assert.IsType<Cvss3Vector>(CvssVector.Parse("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H/MS:C").Vector);
        Assert.Equal(8.8, changed.BaseScore);
        // v3.1's changed-scope modified impact, 7.52×(MISS−0.029) − 3.25×(MISS×0.9731−0.02)^13, is higher than the
        // base equation's: 1.08 × (6.1280 + 3.1016) = 9.968 → 10.0, where the base score with S:C is 9.9.
        Assert.Equal(10.0, changed.EnvironmentalScore);
        Assert.Equal(9.9, CvssVector.Parse("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H").Vector!.BaseScore);
        // No impact after modification: 0.
        Assert.Equal(0.0, CvssVector.Parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MC:N/MI:N/MA:N").Vector!.OverallScore);
    }

    [Fact]
    public void All_2592_base_vectors_and_their_temporal_variants_match_exact_decimal_arithmetic()
    {
        // The base and temporal equations of v3.0 and v3.1 are the same; only Roundup differs. v3.1's Roundup
        // exists to give what exact decimal arithmetic gives, so an independent decimal computation is the
        // oracle for v3.1; v3.0's plain ceiling on binary doubles may only ever be a tenth higher.
        string[] av = ["N", "A", "L", "P"], ac = ["L", "H"], pr = ["N", "L", "H"], ui = ["N", "R"], s = ["U", "C"], cia = ["H", "L", "N"];
        (string Name, decimal Weight)[] e = [("X", 1m), ("H", 1m), ("F", 0.97m), ("P", 0.94m), ("U", 0.91m)];
        (string Name, decimal Weight)[] rl = [("X", 1m), ("U", 1m), ("W", 0.97m), ("T", 0.96m), ("O", 0.95m)];
        (string Name, decimal Weight)[] rc = [("X", 1m), ("C", 1m), ("R", 0.96m), ("U", 0.92m)];
        int bases = 0, temporals = 0, v30BaseDiffers = 0, v30TemporalDiffers = 0;
        foreach (var a in av) foreach (var c in ac) foreach (var p in pr) foreach (var u in ui) foreach (var sc in s)
        foreach (var conf in cia) foreach (var integ in cia) foreach (var avail in cia)
        {
            var body = $"AV:{a}/AC:{c}/PR:{p}/UI:{u}/S:{sc}/C:{conf}/I:{integ}/A:{avail}";
            var v31 = CvssVector.Parse("CVSS:3.1/" + body).Vector!;
            var v30 = CvssVector.Parse("CVSS:3.0/" + body).Vector!;
            var exact = ExactBaseScore(a, c, p, u, sc == "C", conf, integ, avail);
            Assert.True((double)exact == v31.BaseScore, $"{body}: v3.1 {v31.BaseScore}, exact {exact}");
            if (v30.BaseScore != (double)exact)
            {
                v30BaseDiffers++;
                Assert.Equal((double)(exact + 0.1m), v30.BaseScore);
            }
            Assert.Equal(SeverityBands.FromV3OrV4Score((double)exact), v31.BaseSeverity);
            bases++;
            foreach (var te in e) foreach (var tl in rl) foreach (var tc in rc)
            {
                var temporal = $"{body}/E:{te.Name}/RL:{tl.Name}/RC:{tc.Name}";
                var t31 = Assert.IsType<Cvss3Vector>(CvssVector.Parse("CVSS:3.1/" + temporal).Vector);
                var t30 = Assert.IsType<Cvss3Vector>(CvssVector.Parse("CVSS:3.0/" + temporal).Vector);
                var exactTemporal = Math.Ceiling(exact * te.Weight * tl.Weight * tc.Weight * 10) / 10;
                Assert.True((double)exactTemporal == t31.TemporalScore, $"{temporal}: v3.1 {t31.TemporalScore}, exact {exactTemporal}");
                if (t30.TemporalScore != (double)exactTemporal)
                {
                    v30TemporalDiffers++;
                    Assert.Equal((double)(exactTemporal + 0.1m), t30.TemporalScore);
                }
                temporals++;
            }
        }
        Assert.Equal(2592, bases);
        Assert.Equal(2592 * 100, temporals);
        Assert.Equal(0, v30BaseDiffers); // no base vector hits binary noise at a tenth
        output.WriteLine($"v3.0 Roundup differs from exact arithmetic on {v30BaseDiffers} of {bases} base vectors and {v30TemporalDiffers} of {temporals} temporal vectors");
    }

    [Fact]
    public void Metrics_may_come_in_any_order()
    {
        var v = CvssVector.Parse("CVSS:3.1/A:H/I:H/C:H/S:C/UI:N/PR:N/AC:L/AV:N").Vector!;
        Assert.Equal(10.0, v.BaseScore);
        Assert.Equal("H", v["A"]);
        Assert.Null(v["E"]);
        Assert.Null(v["nonsense"]);
    }

    private static decimal ExactBaseScore(string av, string ac, string pr, string ui, bool changed, string c, string i, string a)
    {
        static decimal Cia(string v) => v switch { "H" => 0.56m, "L" => 0.22m, _ => 0m };
        static decimal Pow(decimal x, int n) { var r = 1m; for (var k = 0; k < n; k++) r *= x; return r; }
        var iss = 1 - (1 - Cia(c)) * (1 - Cia(i)) * (1 - Cia(a));
        var impact = changed ? 7.52m * (iss - 0.029m) - 3.25m * Pow(iss - 0.02m, 15) : 6.42m * iss;
        var exploitability = 8.22m
            * av switch { "N" => 0.85m, "A" => 0.62m, "L" => 0.55m, _ => 0.2m }
            * (ac == "L" ? 0.77m : 0.44m)
            * pr switch { "N" => 0.85m, "L" => changed ? 0.68m : 0.62m, _ => changed ? 0.5m : 0.27m }
            * (ui == "N" ? 0.85m : 0.62m);
        if (impact <= 0) return 0;
        var sum = Math.Min(changed ? 1.08m * (impact + exploitability) : impact + exploitability, 10m);
        return Math.Ceiling(sum * 10) / 10;
    }
}
