namespace ZeroDrift.Vulnerabilities.Severities;

/// <summary>
/// A CVSS v2 vector (<c>AV:N/AC:L/Au:N/C:P/I:P/A:P</c>, optionally followed by temporal and environmental
/// metrics, optionally wrapped in parentheses as NVD used to print it). Scores follow "A Complete Guide to the
/// Common Vulnerability Scoring System Version 2.0" (FIRST, 2007), section 3.2.
/// </summary>
public sealed class Cvss2Vector : CvssVector
{
    private static readonly MetricTable Table = new(
        new("AV", true, ["L", "A", "N"]),
        new("AC", true, ["H", "M", "L"]),
        new("Au", true, ["M", "S", "N"]),
        new("C", true, ["N", "P", "C"]),
        new("I", true, ["N", "P", "C"]),
        new("A", true, ["N", "P", "C"]),
        new("E", false, ["U", "POC", "F", "H", "ND"]),
        new("RL", false, ["OF", "TF", "W", "U", "ND"]),
        new("RC", false, ["UC", "UR", "C", "ND"]),
        new("CDP", false, ["N", "L", "LM", "MH", "H", "ND"]),
        new("TD", false, ["N", "L", "M", "H", "ND"]),
        new("CR", false, ["L", "M", "H", "ND"]),
        new("IR", false, ["L", "M", "H", "ND"]),
        new("AR", false, ["L", "M", "H", "ND"]));

    private const int AV = 0, AC = 1, Au = 2, C = 3, I = 4, A = 5, E = 6, RL = 7, RC = 8, CDP = 9, TD = 10, CR = 11, IR = 12, AR = 13;

    private Cvss2Vector(string text, string?[] values) : base(text, Table, values)
    {
        var impact = Impact(1, 1, 1);
        BaseScore = BaseEquation(impact);
        HasTemporal = Defined(E) || Defined(RL) || Defined(RC);
        HasEnvironmental = Defined(CDP) || Defined(TD) || Defined(CR) || Defined(IR) || Defined(AR);
        TemporalScore = Temporal(BaseScore);

        // Environmental (guide 3.2.3): the temporal equation re-run with the impact adjusted by the security
        // requirements, then spread by collateral damage potential and target distribution.
        var adjustedImpact = Math.Min(10, Impact(Requirement(CR), Requirement(IR), Requirement(AR)));
        var adjustedTemporal = Temporal(BaseEquation(adjustedImpact));
        EnvironmentalScore = CvssRounding.RoundToOneDecimal(
            (adjustedTemporal + (10 - adjustedTemporal) * CollateralDamage()) * TargetDistribution());
    }

    public override CvssVersion Version => CvssVersion.V2;

    public override double BaseScore { get; }

    public double TemporalScore { get; }

    public double EnvironmentalScore { get; }

    public bool HasTemporal { get; }

    public bool HasEnvironmental { get; }

    public override double OverallScore => HasEnvironmental ? EnvironmentalScore : HasTemporal ? TemporalScore : BaseScore;

    internal static CvssParseResult ParseBody(string vector)
    {
        // NVD printed v2 vectors as "(AV:N/AC:L/…)"; the guide (section 2.4) writes them bare.
        var body = vector.Length >= 2 && vector[0] == '(' && vector[^1] == ')' ? vector[1..^1] : vector;
        // The guide lists the metrics "in a predetermined order" (section 2.4), so order is enforced.
        var values = Table.Parse(body, canonicalOrder: true, out var error);
        return values is null ? CvssParseResult.Fail("CVSS v2: " + error) : CvssParseResult.Ok(new Cvss2Vector(body, values));
    }

    private bool Defined(int metric) => Value(metric) is { } v && v != "ND";

    private double Impact(double cr, double ir, double ar) =>
        10.41 * (1 - (1 - ImpactWeight(C) * cr) * (1 - ImpactWeight(I) * ir) * (1 - ImpactWeight(A) * ar));

    private double BaseEquation(double impact)
    {
        var exploitability = 20 * AccessVector() * AccessComplexity() * Authentication();
        var f = impact == 0 ? 0 : 1.176;
        return CvssRounding.RoundToOneDecimal(((0.6 * impact) + (0.4 * exploitability) - 1.5) * f);
    }

    private double Temporal(double baseScore) =>
        CvssRounding.RoundToOneDecimal(baseScore * Exploitability() * RemediationLevel() * ReportConfidence());

    private double AccessVector() => Value(AV) switch { "L" => 0.395, "A" => 0.646, _ => 1.0 };

    private double AccessComplexity() => Value(AC) switch { "H" => 0.35, "M" => 0.61, _ => 0.71 };

    private double Authentication() => Value(Au) switch { "M" => 0.45, "S" => 0.56, _ => 0.704 };

    private double ImpactWeight(int metric) => Value(metric) switch { "N" => 0.0, "P" => 0.275, _ => 0.660 };

    private double Exploitability() => Value(E) switch { "U" => 0.85, "POC" => 0.9, "F" => 0.95, _ => 1.0 };

    private double RemediationLevel() => Value(RL) switch { "OF" => 0.87, "TF" => 0.90, "W" => 0.95, _ => 1.0 };

    private double ReportConfidence() => Value(RC) switch { "UC" => 0.90, "UR" => 0.95, _ => 1.0 };

    private double CollateralDamage() => Value(CDP) switch { "L" => 0.1, "LM" => 0.3, "MH" => 0.4, "H" => 0.5, _ => 0.0 };

    private double TargetDistribution() => Value(TD) switch { "N" => 0.0, "L" => 0.25, "M" => 0.75, _ => 1.0 };

    private double Requirement(int metric) => Value(metric) switch { "L" => 0.5, "H" => 1.51, _ => 1.0 };
}
