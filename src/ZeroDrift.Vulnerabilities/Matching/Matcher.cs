using ZeroDrift.Core;
using ZeroDrift.Vulnerabilities.Database;
using ZeroDrift.Vulnerabilities.Osv;
using ZeroDrift.Vulnerabilities.Versions;

namespace ZeroDrift.Vulnerabilities.Matching;

/// <summary>Packages a scan could not match, and why (no advisories source for their ecosystem, say).</summary>
public sealed record UnmatchedPackage(Package Package, string Reason);

public sealed record MatchResult(IReadOnlyList<VulnerabilityFinding> Findings, IReadOnlyList<UnmatchedPackage> Unmatched, int PackagesMatched, IReadOnlyList<string> Warnings);

/// <summary>
/// Matches packages against the advisories of their ecosystem: one indexed look-up per package, ranges evaluated
/// by <see cref="RangeEvaluator"/> with the ecosystem's comparator, withdrawn records never, and advisories that
/// are aliases of one another grouped into one finding per package.
/// </summary>
public sealed class Matcher(VulnerabilityDatabase database, Func<string, VersionScheme?> schemeFor, VersionScheme? semver)
{
    /// <summary>The schemes every ecosystem uses.</summary>
    public Matcher(VulnerabilityDatabase database) : this(database, VersionSchemes.For, VersionSchemes.SemVer) { }

    public MatchResult Match(IEnumerable<Package> packages, Distro? distro)
    {
        var findings = new List<VulnerabilityFinding>();
        var unmatched = new List<UnmatchedPackage>();
        var matched = 0;
        var warnings = new List<string>();
        var cache = new Dictionary<(string, string), IReadOnlyList<OsvRecord>>();
        foreach (var package in packages)
        {
            // A library an OS package installed is matched as the OS package, not twice.
            if (package.OwnedBy is not null) continue;
            var query = OsvEcosystemMap.For(package, distro, out var reason);
            if (query is null) { unmatched.Add(new UnmatchedPackage(package, reason!)); continue; }
            var order = schemeFor(query.Ecosystem);
            if (order is null) { unmatched.Add(new UnmatchedPackage(package, $"no version comparator for {query.Ecosystem}")); continue; }
            matched++;
            var key = (query.Ecosystem, EcosystemNames.NormalizeName(query.Ecosystem, query.Name));
            if (!cache.TryGetValue(key, out var records))
                cache[key] = records = Read(database.Lookup(query.Ecosystem, query.Name), warnings);
            findings.AddRange(MatchPackage(package, query, records, order));
        }
        return new MatchResult(findings, unmatched, matched, warnings);
    }

    /// <summary>A stored record that no longer parses is named in a warning, never dropped silently.</summary>
    private static List<OsvRecord> Read(IReadOnlyList<StoredAdvisory> stored, List<string> warnings)
    {
        var records = new List<OsvRecord>(stored.Count);
        foreach (var advisory in stored)
        {
            try { records.Add(advisory.Parse()); }
            catch (OsvFormatException e) { warnings.Add($"advisory {advisory.Id} could not be read and was not evaluated: {e.Message}"); }
        }
        return records;
    }

    private IEnumerable<VulnerabilityFinding> MatchPackage(Package package, OsvQuery query, IReadOnlyList<OsvRecord> records, VersionScheme order)
    {
        var hits = new List<(OsvRecord Record, RangeVerdict Verdict)>();
        var normalized = EcosystemNames.NormalizeName(query.Ecosystem, query.Name);
        foreach (var record in records.Where(r => !r.IsWithdrawn))
        {
            RangeVerdict? best = null;
            foreach (var affected in record.Affected)
            {
                if (affected.Package is not { } p) continue;
                if (!OsvEcosystemMap.SameRelease(p.Ecosystem, query.Ecosystem)) continue;
                if (EcosystemNames.NormalizeName(p.Ecosystem, p.Name) != normalized) continue;
                var verdict = RangeEvaluator.Evaluate(affected, query.Version, order, semver);
                if (verdict.Affected == true) { best = verdict; break; }
                if (verdict.Affected is null) best ??= verdict;
            }
            if (best is not null) hits.Add((record, best));
        }
        foreach (var group in GroupByAliases(hits))
        {
            var affected = group.Where(h => h.Verdict.Affected == true).ToList();
            var chosen = affected.Count > 0 ? affected : group;
            var ids = group.SelectMany(h => new[] { h.Record.Id }.Concat(h.Record.Aliases)).Distinct(StringComparer.Ordinal).ToList();
            var primary = ids.FirstOrDefault(i => i.StartsWith("CVE-", StringComparison.Ordinal)) ?? group[0].Record.Id;
            ids.Remove(primary);
            ids.Sort(StringComparer.Ordinal);
            ids.Insert(0, primary);
            yield return new VulnerabilityFinding
            {
                Id = primary,
                Ids = ids,
                Package = package,
                Query = query,
                Status = affected.Count > 0 ? MatchStatus.Affected : MatchStatus.Undetermined,
                Comparator = order.Name,
                Advisories = chosen.Select(h => h.Record).ToList(),
                Evidence = chosen[0].Verdict.Evidence,
                FixedIn = affected.Select(h => h.Verdict.FixedIn).Where(f => f is not null).OrderBy(f => f, Comparer<string?>.Create((a, b) => order.Compare(a!, b!).Order ?? 0)).FirstOrDefault(),
                Reason = affected.Count > 0 ? null : chosen[0].Verdict.Error,
            };
        }
    }

    /// <summary>Records that share an id or alias (GHSA ↔ CVE ↔ PYSEC) describe one vulnerability: union them.</summary>
    private static List<List<(OsvRecord Record, RangeVerdict Verdict)>> GroupByAliases(List<(OsvRecord Record, RangeVerdict Verdict)> hits)
    {
        var parent = Enumerable.Range(0, hits.Count).ToArray();
        int Find(int i) => parent[i] == i ? i : parent[i] = Find(parent[i]);
        var owner = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < hits.Count; i++)
        {
            foreach (var id in new[] { hits[i].Record.Id }.Concat(hits[i].Record.Aliases))
            {
                if (owner.TryGetValue(id, out var j)) parent[Find(i)] = Find(j);
                else owner[id] = i;
            }
        }
        return Enumerable.Range(0, hits.Count).GroupBy(Find).Select(g => g.Select(i => hits[i]).ToList()).ToList();
    }
}
