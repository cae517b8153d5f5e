using ZeroDrift.Core;
using ZeroDrift.Vulnerabilities.Database;
using ZeroDrift.Vulnerabilities.Matching;
using ZeroDrift.Vulnerabilities.Osv;
using ZeroDrift.Vulnerabilities.Scanning;
using ZeroDrift.Vulnerabilities.Versions;

namespace ZeroDrift.Remediation.Dependencies;

/// <summary>
/// Chooses, per vulnerable package version, the smallest version that no advisory in the database affects:
/// the candidates are the advisories' <c>fixed</c> events above the current version, ordered by the
/// ecosystem's own comparator, and each is checked against every advisory of the package (not only the ones
/// that affect the current version, since a later release can bring its own). OS packages are the image
/// fixer's business and are left out here.
/// </summary>
public sealed class UpgradePlanner(VulnerabilityDatabase database)
{
    public IReadOnlyList<DependencyUpgrade> Plan(IEnumerable<VulnerabilityFinding> findings, bool allowMajor, List<string> warnings)
    {
        var upgrades = new List<DependencyUpgrade>();
        var groups = findings
            .Where(f => f.Status == MatchStatus.Affected && !f.Package.Ecosystem.IsOperatingSystem())
            .GroupBy(f => (f.Package.Ecosystem, f.Query.Ecosystem, f.Query.Name, f.Query.Version));
        foreach (var group in groups.OrderBy(g => g.Key.Name, StringComparer.Ordinal).ThenBy(g => g.Key.Version, StringComparer.Ordinal))
        {
            var (ecosystem, osvEcosystem, name, version) = group.Key;
            var ids = group.Select(f => f.Id).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var order = VersionSchemes.For(osvEcosystem);
            if (order is null) continue;
            var records = Records(osvEcosystem, name, warnings);
            var smallest = SmallestClean(records, osvEcosystem, name, version, order);
            IReadOnlyList<string> remaining = [];
            if (smallest is null)
            {
                // Advisories with no fix at all cannot be closed by any upgrade: close the others, and say which stay.
                var unfixable = records.Where(r => !HasFix(r, osvEcosystem, name)).Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
                var open = group.Where(f => f.Advisories.Any(a => unfixable.Contains(a.Id))).Select(f => f.Id).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
                if (unfixable.Count > 0 && open.Count < ids.Count)
                {
                    smallest = SmallestClean(records.Where(r => !unfixable.Contains(r.Id)).ToList(), osvEcosystem, name, version, order);
                    if (smallest is not null)
                    {
                        remaining = open;
                        ids = ids.Except(open, StringComparer.Ordinal).ToList();
                    }
                }
            }
            // Go advisories write versions without the "v" that go.mod and the module proxy use.
            if (smallest is not null && ecosystem == Ecosystem.Go && version.StartsWith('v') && !smallest.StartsWith('v')) smallest = "v" + smallest;
            var upgrade = new DependencyUpgrade { Ecosystem = ecosystem, Name = name, From = version, Advisories = ids, Remaining = remaining };
            if (smallest is null)
            {
                upgrades.Add(upgrade with { SkipReason = "no version in the database closes these advisories" });
                continue;
            }
            var major = MajorVersion.Crosses(ecosystem, version, smallest);
            if (major && ecosystem == Ecosystem.Go && FirstComponent(smallest) >= 2)
                upgrades.Add(upgrade with { Smallest = smallest, CrossesMajor = true, SkipReason = $"{smallest} is a new major version, which Go publishes under another module path (/v{FirstComponent(smallest)}): imports must change" });
            else if (major && !allowMajor)
                upgrades.Add(upgrade with { Smallest = smallest, CrossesMajor = true, SkipReason = $"the smallest version that closes every advisory, {smallest}, crosses a major version (pass --allow-major to take it)" });
            else
                upgrades.Add(upgrade with { To = smallest, Smallest = smallest, CrossesMajor = major });
        }
        return upgrades;
    }

    private List<OsvRecord> Records(string ecosystem, string name, List<string> warnings)
    {
        var records = new List<OsvRecord>();
        foreach (var stored in database.Lookup(ecosystem, name))
        {
            try
            {
                var record = stored.Parse();
                if (!record.IsWithdrawn) records.Add(record);
            }
            catch (OsvFormatException e) { warnings.Add($"advisory {stored.Id} could not be read and was not considered: {e.Message}"); }
        }
        return records;
    }

    private static string? SmallestClean(List<OsvRecord> records, string ecosystem, string name, string version, VersionScheme order)
    {
        var normalized = EcosystemNames.NormalizeName(ecosystem, name);
        var entries = records.SelectMany(r => r.Affected)
            .Where(a => a.Package is { } p && OsvEcosystemMap.SameRelease(p.Ecosystem, ecosystem) && EcosystemNames.NormalizeName(p.Ecosystem, p.Name) == normalized)
            .ToList();
        var candidates = new List<string>();
        foreach (var range in entries.SelectMany(a => a.Ranges).Where(r => r.Type != "GIT"))
        {
            var comparer = range.Type == "SEMVER" ? VersionSchemes.SemVer : order;
            foreach (var fix in range.Events.Select(e => e.Fixed).OfType<string>())
                if (comparer.Compare(fix, version).Order is > 0 && !candidates.Contains(fix, StringComparer.Ordinal)) candidates.Add(fix);
        }
        // Ordered by the ecosystem's comparator; a candidate it cannot read sorts last and is never chosen unread.
        candidates.Sort((x, y) => order.Compare(x, y).Order ?? 0);
        return candidates.FirstOrDefault(c => order.IsValid(c, out _)
            && entries.All(a => RangeEvaluator.Evaluate(a, c, order, VersionSchemes.SemVer).Affected == false));
    }

    /// <summary>Whether the record names a fixed version of this package at all (one with only "introduced" has none).</summary>
    private static bool HasFix(OsvRecord record, string ecosystem, string name)
    {
        var normalized = EcosystemNames.NormalizeName(ecosystem, name);
        return record.Affected.Any(a => a.Package is { } p && OsvEcosystemMap.SameRelease(p.Ecosystem, ecosystem) && EcosystemNames.NormalizeName(p.Ecosystem, p.Name) == normalized
            && a.Ranges.Any(r => r.Type != "GIT" && r.Events.Any(e => e.Fixed is not null)));
    }

    private static int FirstComponent(string version)
    {
        var digits = new string(version.TrimStart('v').TakeWhile(char.IsAsciiDigit).ToArray());
        return digits.Length is > 0 and < 9 ? int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }
}
