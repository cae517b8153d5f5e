namespace ZeroDrift.Vulnerabilities.Severities;

/// <summary>
/// A CVSS v3.0 or v3.1 vector (<c>CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H</c>, optionally with temporal and
/// environmental metrics). Scores follow the specification documents, section 7 (v3.1) and section 8 (v3.0):
/// the same base and temporal equations, but v3.1 changed Roundup (Appendix A) and the changed-scope
/// modified impact of the environmental equation.
/// </summary>
public sealed class Cvss3Vector : CvssVector
{
    private static readonly string[] XHML = ["X", "H", "M", "L"];
    private static readonly string[] XHLN = ["X", "H", "L", "N"];

    private static readonly MetricTable Table = new(
        new("AV", true, ["N", "A", "L", "P"]),
        new("AC", true, ["L", "H"]),
        new("PR", true, ["N", "L", "H"]),
        new("UI", true, ["N", "R"]),
        new("S", true, ["U", "C"]),
        new("C", true, ["H", "L", "N"]),
        new("I", true, ["H", "L", "N"]),
        new("A", true, ["H", "L", "N"]),
        new("E", false, ["X", "H", "F", "P", "U"]),
        new("RL", false, ["X", "U", "W", "T", "O"]),
        new("RC", false, ["X", "C", "R", "U"]),
        new("CR", false, XHML),
        new("IR", false, XHML),
        new("AR", false, XHML),
        new("MAV", false, ["X", "N", "A", "L", "P"]),
        new("MAC", false, ["X", "L", "H"]),
        new("MPR", false, ["X", "N", "L", "H"]),
        new("MUI", false, ["X", "N", "R"]),
        new("MS", false, ["X", "U", "C"]),
        new("MC", false, XHLN),
        new("MI", false, XHLN),
        new("MA", false, XHLN));

    private const int AV = 0, AC = 1, PR = 2, UI = 3, S = 4, C = 5, I = 6, A = 7, E = 8, RL = 9, RC = 10,
        CR = 11, IR = 12, AR = 13, MAV = 14, MAC = 15, MPR = 16, MUI = 17, MS = 18, MC = 19, MI = 20, MA = 21;

    private Cvss3Vector(string text, string?[] values, CvssVersion version) : base(text, Table, values)
    {
        Version = version;
        BaseScore = ComputeBase();
        TemporalScore = RoundUp(BaseScore * TemporalFactor());
        EnvironmentalScore = ComputeEnvironmental();
        HasTemporal = Defined(E) || Defined(RL) || Defined(RC);
        HasEnvironmental = Enumerable.Range(CR, MA - CR + 1).Any(Defined);
    }

    public override CvssVersion Version { get; }

    public override double BaseScore { get; }

    public double TemporalScore { get; }

    public double EnvironmentalScore { get; }

    public bool HasTemporal { get; }

    public bool HasEnvironmental { get; }

    public override double OverallScore => HasEnvironmental ? EnvironmentalScore : HasTemporal ? TemporalScore : BaseScore;

    internal static CvssParseResult ParseBody(string vector, string body, CvssVersion version)
    {
        // Both specifications (section 6) require readers to "accept metrics in any order"; each at most once.
        var values = Table.Parse(body, canonicalOrder: false, out var error);
        return values is null
            ? CvssParseResult.Fail($"CVSS v{version.Label()}: {error}")
            : CvssParseResult.Ok(new Cvss3Vector(vector, values, version));
    }

    private double RoundUp(double value) =>
        Version == CvssVersion.V3_0 ? CvssRounding.RoundUpV30(value) : CvssRounding.RoundUpV31(value);

    private bool Defined(int metric) => Value(metric) is { } v && v != "X";

    private double ComputeBase()
    {
        var changed = Value(S) == "C";
        var iss = 1 - ((1 - Cia(Value(C))) * (1 - Cia(Value(I))) * (1 - Cia(Value(A))));
        var impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.Pow(iss - 0.02, 15) : 6.42 * iss;
        var exploitability = 8.22 * AttackVector(Value(AV)) * AttackComplexity(Value(AC))
            * PrivilegesRequired(Value(PR), changed) * UserInteraction(Value(UI));
        if (impact <= 0) return 0;
        return changed ? RoundUp(Math.Min(1.08 * (impact + exploitability), 10)) : RoundUp(Math.Min(impact + exploitability, 10));
    }

    private double TemporalFactor() =>
        Value(E) switch { "F" => 0.97, "P" => 0.94, "U" => 0.91, _ => 1.0 }
        * Value(RL) switch { "W" => 0.97, "T" => 0.96, "O" => 0.95, _ => 1.0 }
        * Value(RC) switch { "R" => 0.96, "U" => 0.92, _ => 1.0 };

    private double ComputeEnvironmental()
    {
        var changed = Modified(MS, S) == "C";
        var miss = Math.Min(1 - ((1 - Requirement(CR) * Cia(Modified(MC, C)))
                                 * (1 - Requirement(IR) * Cia(Modified(MI, I)))
                                 * (1 - Requirement(AR) * Cia(Modified(MA, A)))), 0.915);
        var impact = !changed ? 6.42 * miss
            : Version == CvssVersion.V3_0 ? 7.52 * (miss - 0.029) - 3.25 * Math.Pow(miss - 0.02, 15)
            : 7.52 * (miss - 0.029) - 3.25 * Math.Pow(miss * 0.9731 - 0.02, 13);
        var exploitability = 8.22 * AttackVector(Modified(MAV, AV)) * AttackComplexity(Modified(MAC, AC))
            * PrivilegesRequired(Modified(MPR, PR), changed) * UserInteraction(Modified(MUI, UI));
        if (impact <= 0) return 0;
        var sum = changed ? Math.Min(1.08 * (impact + exploitability), 10) : Math.Min(impact + exploitability, 10);
        return RoundUp(RoundUp(sum) * TemporalFactor());
    }

    /// <summary>A modified base metric's value, or the base metric's when it is absent or Not Defined.</summary>
    private string? Modified(int modified, int baseMetric) => Defined(modified) ? Value(modified) : Value(baseMetric);

    private static double AttackVector(string? v) => v switch { "N" => 0.85, "A" => 0.62, "L" => 0.55, _ => 0.2 };

    private static double AttackComplexity(string? v) => v == "L" ? 0.77 : 0.44;

    // Privileges Required weighs more when the scope changes (specification 7.4 / 8.4).
    private static double PrivilegesRequired(string? v, bool scopeChanged) => v switch
    {
        "N" => 0.85,
        "L" => scopeChanged ? 0.68 : 0.62,
        _ => scopeChanged ? 0.5 : 0.27,
    };

    private static double UserInteraction(string? v) => v == "N" ? 0.85 : 0.62;

    private static double Cia(string? v) => v switch { "H" => 0.56, "L" => 0.22, _ => 0 };

    private double Requirement(int metric) => Value(metric) switch { "H" => 1.5, "L" => 0.5, _ => 1.0 };
}
