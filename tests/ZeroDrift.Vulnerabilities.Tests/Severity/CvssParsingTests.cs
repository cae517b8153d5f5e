using ZeroDrift.Vulnerabilities.Severities;

namespace ZeroDrift.Vulnerabilities.Tests.Severity;

public class CvssParsingTests
{
    private const string Base31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    private const string Base40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";

    [Theory]
    [InlineData(null, "empty")]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("CVSS:3.1", "no metrics")]
    [InlineData("CVSS:3.1/", "ends with '/'")]
    [InlineData(Base31 + "/", "ends with '/'")]
    [InlineData("CVSS:3.1/AV:N//AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "empty metric")]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "missing base metric A")]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H", "missing base metrics S, A")]
    [InlineData(Base31 + "/A:H", "A appears more than once")]
    [InlineData(Base31 + "/E:F/E:F", "E appears more than once")]
    [InlineData("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "invalid value 'X' for AV (expected one of N, A, L, P)")]
    [InlineData("CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "invalid value 'n' for AV")]
    [InlineData("CVSS:3.1/av:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "unknown metric 'av'")]
    [InlineData(Base31 + "/AT:N", "unknown metric 'AT'")]
    [InlineData(Base31 + "/MS:S", "invalid value 'S' for MS")]
    [InlineData("CVSS:3.1/AV:N:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "'AV:N:L' is not a NAME:VALUE metric")]
    [InlineData("CVSS:3.1/AV/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "'AV' is not a NAME:VALUE metric")]
    [InlineData("CVSS:3.1/AV:/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "'AV:' is not a NAME:VALUE metric")]
    [InlineData("CVSS:3.1/AV:N /AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "invalid value 'N ' for AV")]
    [InlineData("CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "unsupported CVSS version '3.2'")]
    [InlineData("CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P", "unsupported CVSS version '2.0'")]
    [InlineData("cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "unknown metric 'cvss'")]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:S/SI:N/SA:N", "invalid value 'S' for SC")]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N", "missing base metric SA")]
    [InlineData(Base40 + "/U:red", "invalid value 'red' for U")]
    [InlineData(Base40 + "/MSC:S", "invalid value 'S' for MSC")]
    [InlineData(Base40 + "/S:C", "invalid value 'C' for S")]
    [InlineData("CVSS:4.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "invalid value 'U' for S")] // S is v4's Safety
    public void Malformed_vectors_give_a_clear_error(string? vector, string reason)
    {
        var result = CvssVector.Parse(vector);
        Assert.False(result.IsValid);
        Assert.Null(result.Vector);
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
        Assert.False(CvssVector.TryParse(vector, out var parsed, out var error));
        Assert.Null(parsed);
        Assert.Equal(result.Error, error);
    }

    [Fact]
    public void An_overlong_string_is_refused_before_parsing()
    {
        var result = CvssVector.Parse(Base31 + new string('/', 5000));
        Assert.Contains("longer than 1024", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Surrounding_white_space_is_ignored_and_the_text_kept()
    {
        var v = CvssVector.Parse("  " + Base40 + "\n").Vector!;
        Assert.Equal(Base40, v.Text);
        Assert.Equal(Base40, v.ToString());
        Assert.Equal(CvssVersion.V4_0, v.Version);
    }

    [Fact]
    public void Version_4_accepts_metrics_out_of_table_order_as_real_advisories_write_them()
    {
        // GitHub advisory GHSA-28g4-38q8-3cwc wrote its impacts interleaved.
        var v = CvssVector.Parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/SC:N/VI:H/SI:N/VA:H/SA:N").Vector!;
        Assert.Equal(CvssVector.Parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").Vector!.BaseScore, v.BaseScore);
    }

    [Fact]
    public void Random_and_mutated_input_never_throws()
    {
        // Hostile input: mutations of valid vectors and random strings over the vectors' alphabet.
        var random = new Random(20261129);
        const string alphabet = "CVSS:3.14.0/AVNLPHURXMSIE()ACDTuO ";
        string[] seeds = [Base31, Base40, "AV:N/AC:L/Au:N/C:P/I:P/A:P/E:F/RL:OF/RC:C", Base40 + "/E:A/CR:H/MSI:S/U:Red"];
        var valid = 0;
        for (var n = 0; n < 20_000; n++)
        {
            string text;
            if (n % 2 == 0)
            {
                var chars = seeds[n / 2 % seeds.Length].ToCharArray();
                for (var k = random.Next(1, 4); k > 0; k--) chars[random.Next(chars.Length)] = alphabet[random.Next(alphabet.Length)];
                text = new string(chars);
            }
            else
            {
                text = new string(Enumerable.Range(0, random.Next(0, 80)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            }
            var result = CvssVector.Parse(text);
            if (result.IsValid)
            {
                valid++;
                Assert.InRange(result.Vector.BaseScore, 0.0, 10.0);
                Assert.InRange(result.Vector.OverallScore, 0.0, 10.0);
            }
            else
            {
                Assert.False(string.IsNullOrWhiteSpace(result.Error));
            }
        }
        Assert.InRange(valid, 1, 19_999); // some mutations stay valid (e.g. another valid value), most do not
    }
}
