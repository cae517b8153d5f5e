using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Risk;

/// <summary>An open vulnerability with its rank and the reasons for it, strongest first.</summary>
public sealed record RankedRisk(
    string Subject, string VulnId, string Package, string Version, string Purl, string Severity, double? Cvss, string? FixedIn,
    double Risk, int RunningContainers, IReadOnlyList<string> Hosts, bool InUse, bool Exposed, IReadOnlyList<string> Reasons, long FirstSeen, string Summary)
{
    /// <summary>The newest remediation job of the workload that was asked to close this vulnerability (pending, claimed, done with the patched image, failed).</summary>
    public RemediationView? Remediation { get; init; }
}

/// <summary>
/// Ranks open vulnerabilities with what only runtime knows: does the affected thing run (containers of the scanned
/// workload or image), is a file of the package executed or opened by a running process (the sensor's exec and
/// file events), is the workload reachable from outside, is there a fix. The base is the CVSS score, else a
/// value per severity; each fact multiplies it, and each becomes a line of the explanation (docs/server.md).
/// </summary>
public static class RiskRanker
{
    public const double NotRunning = 0.5, InUse = 1.5, Exposed = 1.3, Fixable = 1.1;

    /// <summary>Package databases name no file of the package: they cannot show that the package is in use.</summary>
    private static readonly string[] PackageDatabases = ["/var/lib/dpkg/", "/lib/apk/db/", "/var/lib/rpm/", "/usr/lib/sysimage/rpm/", "/var/lib/apk/"];

    public static async Task<IReadOnlyList<RankedRisk>> RankAsync(IServerStore store, int limit, CancellationToken ct)
    {
        var open = await store.OpenVulnerabilitiesAsync(20_000, ct).ConfigureAwait(false);
        var containers = await store.ContainersAsync(ct).ConfigureAwait(false);
        var workloads = (await store.WorkloadsAsync(ct).ConfigureAwait(false)).ToDictionary(w => w.Name, StringComparer.Ordinal);
        var observed = new Dictionary<string, IReadOnlyDictionary<string, long>>(StringComparer.Ordinal);
        var remediations = await store.RemediationsAsync(5000, ct).ConfigureAwait(false);
        var ranked = new List<RankedRisk>(open.Count);
        foreach (var v in open)
        {
            var running = containers.Where(x => x.State == "running" && (x.Workload == v.Subject || x.Image == v.Subject)).ToList();
            var reasons = new List<string>();
            double risk;
            if (v.Score is { } cvss)
            {
                risk = cvss;
                reasons.Add($"CVSS {cvss:0.0} ({v.Severity})");
            }
            else
            {
                risk = v.Severity switch { "critical" => 9.5, "high" => 7.5, "medium" => 5.0, "low" => 2.5, _ => 1.0 };
                reasons.Add($"severity {v.Severity} (no CVSS score): base {risk:0.0}");
            }
            var inUse = false;
            var exposed = false;
            if (running.Count == 0)
            {
                risk *= NotRunning;
                reasons.Add($"not seen running: ×{NotRunning}");
            }
            else
            {
                reasons.Add($"runs in {running.Count} container(s) on {string.Join(", ", running.Select(x => x.Host).Distinct())}");
                foreach (var workload in running.Select(x => x.Workload).Distinct())
                {
                    if (!observed.TryGetValue(workload, out var paths))
                        observed[workload] = paths = await store.ObservedPathsAsync(workload, ["exec", "file"], 200_000, ct).ConfigureAwait(false);
                    if (!inUse && FileInUse(v.Paths, paths) is { } hit)
                    {
                        inUse = true;
                        risk *= InUse;
                        reasons.Add($"in use: {hit.Path} executed or opened in {workload} at {DateTimeOffset.FromUnixTimeMilliseconds(hit.At):u}: ×{InUse}");
                    }
                    if (!exposed && (workloads.TryGetValue(workload, out var w) && w.Exposed || running.Any(x => x.Workload == workload && x.Exposed)))
                    {
                        exposed = true;
                        risk *= Exposed;
                        reasons.Add($"{workload} is reachable from outside: ×{Exposed}");
                    }
                }
                if (!inUse)
                    reasons.Add(v.Paths.All(IsPackageDatabase)
                        ? "no file-level evidence: the package is known from a package database"
                        : "no process was seen using its files");
            }
            if (v.FixedIn is { Length: > 0 } fix)
            {
                risk *= Fixable;
                reasons.Add($"fix available: upgrade {v.Package} to {fix}: ×{Fixable}");
            }
            else reasons.Add("no fix available yet");
            ranked.Add(new RankedRisk(v.Subject, v.VulnId, v.Package, v.Version, v.Purl, v.Severity, v.Score, v.FixedIn, Math.Round(risk, 2), running.Count,
                [.. running.Select(x => x.Host).Distinct().Order(StringComparer.Ordinal)], inUse, exposed, reasons, v.FirstSeen, v.Summary)
            {
                Remediation = remediations.FirstOrDefault(r => r.Subject == v.Subject && r.Findings.Contains(v.VulnId, StringComparer.Ordinal)),
            });
        }
        return [.. ranked.OrderByDescending(r => r.Risk).ThenBy(r => r.VulnId, StringComparer.Ordinal).Take(limit)];
    }

    private static bool IsPackageDatabase(string path) => PackageDatabases.Any(d => path.StartsWith(d, StringComparison.Ordinal));

    /// <summary>
    /// A package location that is a file of the package matches exactly; a language package known from its
    /// manifest (package.json, METADATA, a .jar, …) matches any file under the manifest's directory.
    /// </summary>
    internal static (string Path, long At)? FileInUse(IReadOnlyList<string> locations, IReadOnlyDictionary<string, long> observed)
    {
        foreach (var location in locations)
        {
            if (IsPackageDatabase(location)) continue;
            var path = location.StartsWith('/') ? location : "/" + location;
            if (observed.TryGetValue(path, out var at)) return (path, at);
            var dir = path[..(path.LastIndexOf('/') + 1)];
            if (dir.Length <= 1) continue;
            foreach (var (p, t) in observed)
                if (p.StartsWith(dir, StringComparison.Ordinal)) return (p, t);
        }
        return null;
    }
}
