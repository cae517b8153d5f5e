using ZeroDrift.Vulnerabilities.Osv;
using ZeroDrift.Vulnerabilities.Versions;

namespace ZeroDrift.Vulnerabilities.Matching;

/// <summary>Why a version is affected: the versions list, or one range and the events around the version.</summary>
public sealed record MatchEvidence(string Kind, int RangeIndex, string? RangeType, string? Introduced, string? Fixed, string? LastAffected, string? Limit)
{
    public override string ToString() => Kind switch
    {
        "versions" => "listed in the affected versions",
        _ => $"{RangeType} range #{RangeIndex}: introduced {Introduced ?? "0"}"
             + (Fixed is not null ? $", fixed {Fixed}" : "")
             + (LastAffected is not null ? $", last affected {LastAffected}" : "")
             + (Limit is not null ? $", limit {Limit}" : "")
             + (Fixed is null && LastAffected is null ? ", no fix" : ""),
    };
}

/// <summary>Affected (with evidence and the smallest fix above the version), not affected, or undecidable (with the reason).</summary>
public sealed record RangeVerdict(bool? Affected, MatchEvidence? Evidence, string? FixedIn, string? Error)
{
    public static RangeVerdict No { get; } = new(false, null, null, null);
}

/// <summary>
/// Evaluates an OSV <c>affected</c> entry for one installed version exactly as the OSV specification says:
/// the <c>versions</c> list, then each SEMVER/ECOSYSTEM range with its events sorted (introduced "0" lowest),
/// introduced → affected, fixed at or below → not, last_affected below → not, and a limit bounding the range.
/// GIT ranges count only through the versions list. A comparison that cannot be made is never "not affected".
/// </summary>
public static class RangeEvaluator
{
    /// <param name="order">The ecosystem's scheme, for ECOSYSTEM ranges.</param>
    /// <param name="semver">The scheme for SEMVER ranges (<see cref="VersionSchemes.SemVer"/> unless a test says otherwise).</param>
    public static RangeVerdict Evaluate(OsvAffected affected, string version, VersionScheme order, VersionScheme? semver)
    {
        if (affected.Versions.Contains(version, StringComparer.Ordinal))
            return new RangeVerdict(true, new MatchEvidence("versions", -1, null, null, null, null, null), SmallestFix(affected, version, order, semver), null);

        string? error = null;
        for (var i = 0; i < affected.Ranges.Count; i++)
        {
            var range = affected.Ranges[i];
            if (range.Type == "GIT") continue;
            var comparer = range.Type == "SEMVER" && semver is not null ? semver : order;
            var verdict = EvaluateRange(range, i, version, comparer);
            if (verdict.Affected == true)
                return verdict with { FixedIn = SmallestFix(affected, version, order, semver) };
            if (verdict.Affected is null) error ??= verdict.Error;
        }
        return error is null ? RangeVerdict.No : new RangeVerdict(null, null, null, error);
    }

    private static RangeVerdict EvaluateRange(OsvRange range, int index, string version, VersionScheme order)
    {
        var failure = (string?)null;
        int Cmp(string a, string b)
        {
            var r = order.Compare(a, b);
            if (r.IsKnown) return r.Order!.Value;
            failure ??= $"{order.Name} cannot compare '{a}' with '{b}': {r.Error}";
            return 0;
        }

        foreach (var limit in range.Events.Select(e => e.Limit).Where(l => l is not null && l != "*"))
        {
            if (Cmp(version, limit!) >= 0 && failure is null) return RangeVerdict.No;
        }
        var events = range.Events.Where(e => e.Limit is null).ToList();
        // Sort by the event's version, "0" (the beginning of time) first; a stable sort keeps the order of equals.
        var sorted = events.Select((e, i) => (Event: e, Index: i))
            .OrderBy(x => x, Comparer<(OsvEvent Event, int Index)>.Create((x, y) =>
            {
                var vx = EventVersion(x.Event);
                var vy = EventVersion(y.Event);
                if (vx == vy) return x.Index.CompareTo(y.Index);
                if (x.Event.Introduced == "0") return -1;
                if (y.Event.Introduced == "0") return 1;
                var c = Cmp(vx, vy);
                return c != 0 ? c : x.Index.CompareTo(y.Index);
            }))
            .Select(x => x.Event).ToList();

        var affected = false;
        OsvEvent? introduced = null;
        OsvEvent? closing = null;
        foreach (var e in sorted)
        {
            if (e.Introduced is { } intro)
            {
                if (intro == "0" || Cmp(version, intro) >= 0) { affected = true; introduced = e; closing = null; }
            }
            else if (e.Fixed is { } fixedVersion)
            {
                if (Cmp(version, fixedVersion) >= 0) affected = false;
                else if (affected && closing is null) closing = e;
            }
            else if (e.LastAffected is { } last)
            {
                if (Cmp(version, last) > 0) affected = false;
                else if (affected && closing is null) closing = e;
            }
        }
        if (failure is not null) return new RangeVerdict(null, null, null, failure);
        if (!affected) return RangeVerdict.No;
        return new RangeVerdict(true, new MatchEvidence("range", index, range.Type, introduced?.Introduced, closing?.Fixed, closing?.LastAffected,
            range.Events.FirstOrDefault(e => e.Limit is not null)?.Limit), null, null);
    }

    private static string EventVersion(OsvEvent e) => e.Introduced ?? e.Fixed ?? e.LastAffected ?? e.Limit ?? "";

    /// <summary>The smallest fixed version above the installed one, across the entry's ranges.</summary>
    private static string? SmallestFix(OsvAffected affected, string version, VersionScheme order, VersionScheme? semver)
    {
        string? best = null;
        VersionScheme? bestOrder = null;
        foreach (var range in affected.Ranges.Where(r => r.Type != "GIT"))
        {
            var comparer = range.Type == "SEMVER" && semver is not null ? semver : order;
            foreach (var f in range.Events.Select(e => e.Fixed).Where(f => f is not null))
            {
                if (comparer.Compare(f!, version).Order is not > 0) continue;
                if (best is null || (bestOrder ?? comparer).Compare(f!, best).Order is < 0) { best = f; bestOrder = comparer; }
            }
        }
        return best;
    }
}
