namespace ZeroDrift.Vulnerabilities.Severities;

/// <summary>The rounding rules each CVSS version defines. They differ, and scores depend on the difference.</summary>
internal static class CvssRounding
{
    /// <summary>CVSS v2 "round_to_1_decimal": ordinary rounding to one decimal, halves up.</summary>
    public static double RoundToOneDecimal(double value) => Math.Round(value * 10, MidpointRounding.AwayFromZero) / 10;

    /// <summary>
    /// CVSS v3.0 Roundup: "the smallest number, specified to one decimal place, that is equal to or higher than
    /// its input", computed on binary doubles as FIRST's v3.0 calculator does (<c>Math.ceil(d * 10) / 10</c>),
    /// so 4.000000000000001 rounds to 4.1.
    /// </summary>
    public static double RoundUpV30(double value) => Math.Ceiling(value * 10) / 10;

    /// <summary>
    /// CVSS v3.1 Roundup (specification Appendix A): first round to 5 decimals as an integer, so that
    /// floating-point noise such as 4.000000000000001 does not push a score up a tenth, then round up.
    /// </summary>
    public static double RoundUpV31(double value)
    {
        var scaled = (long)Math.Round(value * 100_000, MidpointRounding.AwayFromZero);
        return scaled % 10_000 == 0 ? scaled / 100_000.0 : (Math.Floor(scaled / 10_000.0) + 1) / 10.0;
    }

    /// <summary>
    /// CVSS v4.0: FIRST's calculator (cvss_score.js) rounds half up at one decimal after lifting the value by
    /// 10^-6, because the interpolation can land one ULP below an x.x5 tie (8.549999999999999 for 8.55); the fix
    /// landed upstream on 2024-11-01 (RedHatProductSecurity/cvss-v4-calculator#66, #67) and changes 522 of the
    /// 104,976 base vectors. JavaScript's <c>Math.round</c> rounds halves up: away from zero for scores.
    /// </summary>
    public static double RoundV40(double value) => Math.Round((value + 1e-6) * 10, MidpointRounding.AwayFromZero) / 10;
}
