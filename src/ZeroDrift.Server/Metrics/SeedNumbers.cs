using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Metrics;

public sealed record Distribution(int Count, double? MedianSeconds, double? P90Seconds);
/// <summary>What "risks found before deployment" adds up: vulnerabilities and content findings first seen by a build or registry scan, and deployments the admission webhook refused.</summary>
public sealed record RisksBeforeDeployment(long Vulnerabilities, long ContentFindings, long DeploymentsDenied);
/// <summary>Vulnerabilities fixed, by severity, from one source: fixes ZeroDrift made, or fixes only seen in later scans.</summary>
public sealed record FixedCounts(long Critical, long High, long Medium, long Total);
public sealed record TrendPoint(string Period, long Alerts, long Incidents, long Fixed, long Blocked);

/// <summary>
/// The seed's numbers, computed from stored timestamps (definitions in docs/server.md, "The seed's numbers").
/// </summary>
public sealed record SeedNumbers(
    long RisksFoundBeforeDeployment,
    RisksBeforeDeployment RisksBeforeDeploymentByKind,
    long FixedCritical,
    long FixedHigh,
    long FixedMedium,
    Distribution VulnerabilityResponse,
    Distribution TimeToDetect,
    Distribution TimeToBlock,
    double ManualInterventionSeconds,
    int IncidentsHandledByPeople,
    long IncidentsClosedAutomatically,
    long IncidentsOpen,
    long AttacksBlocked,
    long EventsStored,
    long AlertsStored,
    IReadOnlyList<TrendPoint> Daily,
    IReadOnlyList<TrendPoint> Weekly)
{
    /// <summary>Of the fixed vulnerabilities, those ZeroDrift fixed: a rescan of an image it patched, or a dependency fix reported back.</summary>
    public FixedCounts FixedByZeroDrift { get; init; } = new(0, 0, 0, 0);
    /// <summary>Of the fixed vulnerabilities, those only seen gone in a later scan (someone else fixed them).</summary>
    public FixedCounts FixedSeenInLaterScans { get; init; } = new(0, 0, 0, 0);
    public Distribution VulnerabilityResponseByZeroDrift { get; init; } = new(0, null, null);
    public Distribution VulnerabilityResponseSeenInLaterScans { get; init; } = new(0, null, null);

    public static SeedNumbers From(SeedFacts f)
    {
        long Fixed(string s) => f.FixedBySeverity.TryGetValue(s, out var n) ? n : 0;
        var byDay = f.Daily.GroupBy(d => d.Day).OrderBy(g => g.Key).ToList();
        var daily = byDay.Select(g => Point(DateOnly.FromDateTime(DateTime.UnixEpoch.AddDays(g.Key)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), g)).ToList();
        var weekly = f.Daily.GroupBy(d => IsoWeek(d.Day)).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Point(g.Key, g)).ToList();
        return new SeedNumbers(f.RisksFoundInAdvance + f.ContentRisksFoundInAdvance + f.DeploymentsDenied,
            new RisksBeforeDeployment(f.RisksFoundInAdvance, f.ContentRisksFoundInAdvance, f.DeploymentsDenied), Fixed("critical"), Fixed("high"), Fixed("medium"),
            Distribute(f.ResponseTimesMs), Distribute(f.DetectTimesMs), Distribute(f.BlockTimesMs),
            f.ManualTimesMs.Sum() / 1000.0, f.ManualTimesMs.Count, f.IncidentsClosedAutomatically, f.IncidentsOpen, f.AttacksBlocked, f.Events, f.Alerts, daily, weekly)
        {
            FixedByZeroDrift = Counts(f.FixedByZeroDriftBySeverity),
            FixedSeenInLaterScans = Counts(f.FixedBySeverity.ToDictionary(x => x.Key, x => x.Value - (f.FixedByZeroDriftBySeverity.TryGetValue(x.Key, out var z) ? z : 0), StringComparer.Ordinal)),
            VulnerabilityResponseByZeroDrift = Distribute(f.ZeroDriftResponseTimesMs),
            VulnerabilityResponseSeenInLaterScans = Distribute(f.ScanResponseTimesMs),
        };
    }

    private static FixedCounts Counts(IReadOnlyDictionary<string, long> bySeverity)
    {
        long Of(string s) => bySeverity.TryGetValue(s, out var n) ? n : 0;
        return new FixedCounts(Of("critical"), Of("high"), Of("medium"), bySeverity.Values.Sum());
    }

    private static TrendPoint Point(string period, IEnumerable<(long Day, string Series, long Count)> rows)
    {
        long Sum(string s) => rows.Where(r => r.Series == s).Sum(r => r.Count);
        return new TrendPoint(period, Sum("alerts"), Sum("incidents"), Sum("fixed"), Sum("blocked"));
    }

    private static string IsoWeek(long day)
    {
        var date = DateTime.UnixEpoch.AddDays(day);
        return $"{System.Globalization.ISOWeek.GetYear(date)}-W{System.Globalization.ISOWeek.GetWeekOfYear(date):00}";
    }

    /// <summary>Median and 90th percentile by nearest rank; negative durations (clock skew between hosts) count as zero.</summary>
    internal static Distribution Distribute(IReadOnlyList<long> millis)
    {
        if (millis.Count == 0) return new Distribution(0, null, null);
        var sorted = millis.Select(m => Math.Max(0, m)).Order().ToArray();
        double At(double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)] / 1000.0;
        return new Distribution(sorted.Length, At(0.5), At(0.9));
    }
}
