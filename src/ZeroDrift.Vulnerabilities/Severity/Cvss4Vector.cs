namespace ZeroDrift.Vulnerabilities.Severities;

/// <summary>
/// A CVSS v4.0 vector (<c>CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N</c>, optionally with
/// threat, environmental and supplemental metrics). v4.0 has no equation: a vector is scored from the score of
/// its macro vector (its EQ1–EQ6 levels) minus the mean proportional severity distance to the next lower macro
/// vectors, exactly as FIRST's reference calculator (cvss_score.js) computes it, floating point included.
/// </summary>
public sealed class Cvss4Vector : CvssVector
{
    private static readonly string[] HLN = ["H", "L", "N"];
    private static readonly string[] XHML = ["X", "H", "M", "L"];
    private static readonly string[] XHLN = ["X", "H", "L", "N"];
    private static readonly string[] XSHLN = ["X", "S", "H", "L", "N"];

    private static readonly MetricTable Table = new(
        new("AV", true, ["N", "A", "L", "P"]),
        new("AC", true, ["L", "H"]),
        new("AT", true, ["N", "P"]),
        new("PR", true, ["N", "L", "H"]),
        new("UI", true, ["N", "P", "A"]),
        new("VC", true, HLN),
        new("VI", true, HLN),
        new("VA", true, HLN),
        new("SC", true, HLN),
        new("SI", true, HLN),
        new("SA", true, HLN),
        new("E", false, ["X", "A", "P", "U"]),
        new("CR", false, XHML),
        new("IR", false, XHML),
        new("AR", false, XHML),
        new("MAV", false, ["X", "N", "A", "L", "P"]),
        new("MAC", false, ["X", "L", "H"]),
        new("MAT", false, ["X", "N", "P"]),
        new("MPR", false, ["X", "N", "L", "H"]),
        new("MUI", false, ["X", "N", "P", "A"]),
        new("MVC", false, XHLN),
        new("MVI", false, XHLN),
        new("MVA", false, XHLN),
        new("MSC", false, XHLN),
        new("MSI", false, XSHLN),
        new("MSA", false, XSHLN),
        new("S", false, ["X", "N", "P"]),
        new("AU", false, ["X", "N", "Y"]),
        new("R", false, ["X", "A", "U", "I"]),
        new("V", false, ["X", "D", "C"]),
        new("RE", false, ["X", "L", "M", "H"]),
        new("U", false, ["X", "Clear", "Green", "Amber", "Red"]));

    private const int E = 11, CR = 12, IR = 13, AR = 14, FirstModified = 15, LastEnvironmental = 25;

    // The 14 metrics severity distances are measured on, in this order; the base ones map to their modified
    // counterpart (index + FirstModified), the security requirements have none.
    private const int DAV = 0, DPR = 1, DUI = 2, DAC = 3, DAT = 4, DVC = 5, DVI = 6, DVA = 7, DSC = 8, DSI = 9, DSA = 10, DCR = 11, DIR = 12, DAR = 13;
    private static readonly string[] DistanceMetrics = ["AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR"];

    // The reference calculator's severity levels of each value (cvss_score.js), 0.1 apart, lower is more severe.
    private static readonly Dictionary<string, double>[] Levels =
    [
        new() { ["N"] = 0.0, ["A"] = 0.1, ["L"] = 0.2, ["P"] = 0.3 },
        new() { ["N"] = 0.0, ["L"] = 0.1, ["H"] = 0.2 },
        new() { ["N"] = 0.0, ["P"] = 0.1, ["A"] = 0.2 },
        new() { ["L"] = 0.0, ["H"] = 0.1 },
        new() { ["N"] = 0.0, ["P"] = 0.1 },
        new() { ["H"] = 0.0, ["L"] = 0.1, ["N"] = 0.2 },
        new() { ["H"] = 0.0, ["L"] = 0.1, ["N"] = 0.2 },
        new() { ["H"] = 0.0, ["L"] = 0.1, ["N"] = 0.2 },
        new() { ["H"] = 0.1, ["L"] = 0.2, ["N"] = 0.3 },
        new() { ["S"] = 0.0, ["H"] = 0.1, ["L"] = 0.2, ["N"] = 0.3 },
        new() { ["S"] = 0.0, ["H"] = 0.1, ["L"] = 0.2, ["N"] = 0.3 },
        new() { ["H"] = 0.0, ["M"] = 0.1, ["L"] = 0.2 },
        new() { ["H"] = 0.0, ["M"] = 0.1, ["L"] = 0.2 },
        new() { ["H"] = 0.0, ["M"] = 0.1, ["L"] = 0.2 },
    ];

    // The highest-severity vectors as level arrays (NaN where an EQ does not set the metric).
    private static readonly double[][][] Eq1Max = ToLevels(Cvss4Tables.Eq1Maxes);
    private static readonly double[][][] Eq2Max = ToLevels(Cvss4Tables.Eq2Maxes);
    private static readonly double[][][][] Eq3Eq6Max = [.. Cvss4Tables.Eq3Eq6Maxes.Select(ToLevels)];
    private static readonly double[][][] Eq4Max = ToLevels(Cvss4Tables.Eq4Maxes);

    private Cvss4Vector(string text, string?[] values) : base(text, Table, values)
    {
        var threat = Defined(E);
        var environmental = Enumerable.Range(CR, LastEnvironmental - CR + 1).Any(Defined);
        BaseScore = Score(baseOnly: true, out var macro);
        BaseMacroVector = macro;
        // Supplemental metrics and Not Defined values do not change the score: score again only when needed.
        if (threat || environmental)
        {
            OverallScore = Score(baseOnly: false, out macro);
        }
        else
        {
            OverallScore = BaseScore;
        }
        MacroVector = macro;
        Nomenclature = (threat, environmental) switch
        {
            (false, false) => "CVSS-B",
            (true, false) => "CVSS-BT",
            (false, true) => "CVSS-BE",
            _ => "CVSS-BTE",
        };
    }

    public override CvssVersion Version => CvssVersion.V4_0;

    /// <summary>CVSS-B: the score of the base metrics alone (threat and environmental metrics taken as Not Defined).</summary>
    public override double BaseScore { get; }

    /// <summary>The score of all the vector's metrics; <see cref="Nomenclature"/> says which groups it covers.</summary>
    public override double OverallScore { get; }

    /// <summary>What <see cref="OverallScore"/> is, in the specification's nomenclature: CVSS-B, CVSS-BT, CVSS-BE or CVSS-BTE.</summary>
    public string Nomenclature { get; }

    /// <summary>The macro vector (EQ1…EQ6 levels, e.g. "000200") of all the vector's metrics.</summary>
    public string MacroVector { get; }

    /// <summary>The macro vector of the base metrics alone.</summary>
    public string BaseMacroVector { get; }

    internal static CvssParseResult ParseBody(string vector, string body)
    {
        // Any order is accepted, each metric at most once: the specification's own examples page and real
        // advisories (GitHub's among them) write threat and environmental metrics out of table order.
        var values = Table.Parse(body, canonicalOrder: false, out var error);
        return values is null ? CvssParseResult.Fail("CVSS v4.0: " + error) : CvssParseResult.Ok(new Cvss4Vector(vector, values));
    }

    private bool Defined(int metric) => Value(metric) is { } v && v != "X";

    /// <summary>The value scoring uses (the calculator's <c>m()</c>): Not Defined threat and security
    /// requirements assume the worst (E:A, CR/IR/AR:H); a defined modified metric replaces its base metric.</summary>
    private string Effective(int distanceMetric, bool baseOnly)
    {
        if (distanceMetric >= DCR)
        {
            var requirement = CR + distanceMetric - DCR;
            return !baseOnly && Defined(requirement) ? Value(requirement)! : "H";
        }
        var baseIndex = Table.IndexOf(DistanceMetrics[distanceMetric]);
        var modified = FirstModified + baseIndex;
        return !baseOnly && Defined(modified) ? Value(modified)! : Value(baseIndex)!;
    }

    private double Score(bool baseOnly, out string macroVector)
    {
        var v = new string[DistanceMetrics.Length];
        for (var i = 0; i < v.Length; i++) v[i] = Effective(i, baseOnly);
        var exploit = !baseOnly && Defined(E) ? Value(E) : "A";

        var eq1 = v[DAV] == "N" && v[DPR] == "N" && v[DUI] == "N" ? 0
            : (v[DAV] == "N" || v[DPR] == "N" || v[DUI] == "N") && v[DAV] != "P" ? 1
            : 2;
        var eq2 = v[DAC] == "L" && v[DAT] == "N" ? 0 : 1;
        var eq3 = v[DVC] == "H" && v[DVI] == "H" ? 0 : v[DVC] == "H" || v[DVI] == "H" || v[DVA] == "H" ? 1 : 2;
        var eq4 = v[DSI] == "S" || v[DSA] == "S" ? 0 : v[DSC] == "H" || v[DSI] == "H" || v[DSA] == "H" ? 1 : 2;
        var eq5 = exploit switch { "A" => 0, "P" => 1, _ => 2 };
        var eq6 = (v[DCR] == "H" && v[DVC] == "H") || (v[DIR] == "H" && v[DVI] == "H") || (v[DAR] == "H" && v[DVA] == "H") ? 0 : 1;
        macroVector = string.Create(6, (eq1, eq2, eq3, eq4, eq5, eq6), static (span, eq) =>
        {
            span[0] = (char)('0' + eq.eq1); span[1] = (char)('0' + eq.eq2); span[2] = (char)('0' + eq.eq3);
            span[3] = (char)('0' + eq.eq4); span[4] = (char)('0' + eq.eq5); span[5] = (char)('0' + eq.eq6);
        });

        // No impact on either system: the calculator's shortcut to 0.
        if (v[DVC] == "N" && v[DVI] == "N" && v[DVA] == "N" && v[DSC] == "N" && v[DSI] == "N" && v[DSA] == "N") return 0.0;

        var value = Cvss4Tables.Score(Cvss4Tables.Key(eq1, eq2, eq3, eq4, eq5, eq6));

        // 1a. The score of the next lower macro vector along each EQ (NaN when there is none).
        var lowerEq1 = Cvss4Tables.Score(Cvss4Tables.Key(eq1 + 1, eq2, eq3, eq4, eq5, eq6));
        var lowerEq2 = Cvss4Tables.Score(Cvss4Tables.Key(eq1, eq2 + 1, eq3, eq4, eq5, eq6));
        double lowerEq3Eq6;
        if (eq3 == 0 && eq6 == 0)
        {
            // Two ways down (00 → 01 or 00 → 10): the calculator takes the higher, "left > right ? left : right".
            var left = Cvss4Tables.Score(Cvss4Tables.Key(eq1, eq2, eq3, eq4, eq5, eq6 + 1));
            var right = Cvss4Tables.Score(Cvss4Tables.Key(eq1, eq2, eq3 + 1, eq4, eq5, eq6));
            lowerEq3Eq6 = left > right ? left : right;
        }
        else
        {
            var (n3, n6) = (eq3, eq6) switch
            {
                (1, 0) => (1, 1),
                (2, 1) => (3, 2), // does not exist
                _ => (eq3 + 1, eq6), // 01 → 11, 11 → 21
            };
            lowerEq3Eq6 = Cvss4Tables.Score(Cvss4Tables.Key(eq1, eq2, n3, eq4, eq5, n6));
        }
        var lowerEq4 = Cvss4Tables.Score(Cvss4Tables.Key(eq1, eq2, eq3, eq4 + 1, eq5, eq6));
        var lowerEq5 = Cvss4Tables.Score(Cvss4Tables.Key(eq1, eq2, eq3, eq4, eq5 + 1, eq6));

        // 1b. The severity distance from the first composed highest-severity vector of this macro vector that
        // the scored vector does not exceed on any metric (the last one tried if none qualifies, as in the calculator).
        var selected = new double[DistanceMetrics.Length];
        for (var i = 0; i < selected.Length; i++) selected[i] = Levels[i][v[i]];
        var distance = Distances(selected, eq1, eq2, eq3, eq4, eq6);

        var distanceEq1 = distance[DAV] + distance[DPR] + distance[DUI];
        var distanceEq2 = distance[DAC] + distance[DAT];
        var distanceEq3Eq6 = distance[DVC] + distance[DVI] + distance[DVA] + distance[DCR] + distance[DIR] + distance[DAR];
        var distanceEq4 = distance[DSC] + distance[DSI] + distance[DSA];
        const double step = 0.1;

        // 1c–d. Each EQ's available score difference times the proportion of its depth the vector lies at;
        // EQ5 always contributes 0 but still counts in the mean when a lower macro vector exists.
        var existing = 0;
        var sum = 0.0;
        if (!double.IsNaN(value - lowerEq1)) { existing++; sum += (value - lowerEq1) * (distanceEq1 / (Cvss4Tables.Eq1Depth[eq1] * step)); }
        if (!double.IsNaN(value - lowerEq2)) { existing++; sum += (value - lowerEq2) * (distanceEq2 / (Cvss4Tables.Eq2Depth[eq2] * step)); }
        if (!double.IsNaN(value - lowerEq3Eq6)) { existing++; sum += (value - lowerEq3Eq6) * (distanceEq3Eq6 / (Cvss4Tables.Eq3Eq6Depth[eq3][eq6] * step)); }
        if (!double.IsNaN(value - lowerEq4)) { existing++; sum += (value - lowerEq4) * (distanceEq4 / (Cvss4Tables.Eq4Depth[eq4] * step)); }
        if (!double.IsNaN(value - lowerEq5)) { existing++; sum += (value - lowerEq5) * 0; }

        // 2–3. The macro vector's score minus the mean distance, clamped and rounded to one decimal.
        var mean = existing == 0 ? 0 : sum / existing;
        value -= mean;
        if (value < 0) value = 0.0;
        if (value > 10) value = 10.0;
        return CvssRounding.RoundV40(value);
    }

    private static double[] Distances(double[] selected, int eq1, int eq2, int eq3, int eq4, int eq6)
    {
        var distance = new double[DistanceMetrics.Length];
        foreach (var m1 in Eq1Max[eq1])
        foreach (var m2 in Eq2Max[eq2])
        foreach (var m3 in Eq3Eq6Max[eq3][eq6])
        foreach (var m4 in Eq4Max[eq4])
        {
            var negative = false;
            for (var i = 0; i < distance.Length; i++)
            {
                var max = !double.IsNaN(m1[i]) ? m1[i] : !double.IsNaN(m2[i]) ? m2[i] : !double.IsNaN(m3[i]) ? m3[i] : m4[i];
                distance[i] = selected[i] - max;
                negative |= distance[i] < 0;
            }
            if (!negative) return distance;
        }
        return distance;
    }

    private static double[][][] ToLevels(string[][] maxes) => [.. maxes.Select(level => level.Select(ToLevels).ToArray())];

    private static double[] ToLevels(string partialVector)
    {
        var levels = Enumerable.Repeat(double.NaN, DistanceMetrics.Length).ToArray();
        foreach (var metric in partialVector.Split('/'))
        {
            var (name, value) = (metric[..metric.IndexOf(':', StringComparison.Ordinal)], metric[(metric.IndexOf(':', StringComparison.Ordinal) + 1)..]);
            var i = Array.IndexOf(DistanceMetrics, name);
            levels[i] = Levels[i][value];
        }
        return levels;
    }
}
