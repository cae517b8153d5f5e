using System.Text.Json.Nodes;
using ZeroDrift.Core;

namespace ZeroDrift.Supply.Policy;

/// <summary>One vulnerability as a scan result attested it.</summary>
public sealed record AttestedVulnerability(string Id, Severity Severity, bool HasFix);

/// <summary>
/// What a verified vulnerability attestation says: whether the scan looked for vulnerabilities and what it found, and,
/// when it looked for secrets, how many it found. Reads the result of cosign's vuln predicate (<c>scanner.result</c>) as
/// <c>zerodrift scan --format json</c> writes it (docs/formats.md): <c>scanners</c> names what ran, <c>findings[]</c>
/// (<c>severity.level</c>, <c>fixedIn</c>, <c>suppressed</c>) the vulnerabilities, <c>contentFindings[]</c> with
/// <c>class: secret</c> the secrets; and Trivy's and Grype's JSON, which other pipelines attest. Suppressed findings
/// (ignore file, VEX, baseline) do not count.
/// </summary>
/// <param name="VulnerabilitiesScanned">False when the scan did not look for vulnerabilities: an empty list then proves nothing.</param>
/// <param name="Secrets">Unsuppressed secrets found, or null when the scan did not look for secrets.</param>
public sealed record ScanEvidence(IReadOnlyList<AttestedVulnerability> Vulnerabilities, bool VulnerabilitiesScanned, int? Secrets, string? FinishedOn)
{
    public static ScanEvidence FromVulnPredicate(JsonNode? predicate)
    {
        var result = predicate?["scanner"]?["result"];
        var finished = Workload.Str(predicate?["metadata"]?["scanFinishedOn"]);
        var vulns = new List<AttestedVulnerability>();
        var scanned = false;
        int? secrets = null;
        // ZeroDrift: `scanners` lists what ran (a report without it is a vulnerability-only report of older versions).
        var ours = (result?["scanners"] as JsonArray)?.Select(Workload.Str).OfType<string>().ToHashSet(StringComparer.Ordinal);
        if (result?["findings"] is JsonArray findings && (ours is null || ours.Contains("vuln")))
        {
            scanned = true;
            foreach (var f in findings.OfType<JsonObject>())
            {
                if (f["suppressed"] is JsonObject) continue;
                vulns.Add(new(Workload.Str(f["id"]) ?? "?", Level(Workload.Str(f["severity"]?["level"])), !string.IsNullOrEmpty(Workload.Str(f["fixedIn"]))));
            }
        }
        if (ours?.Contains("secret") == true)
            secrets = (result?["contentFindings"] as JsonArray ?? []).OfType<JsonObject>()
                .Count(f => Workload.Str(f["class"]) == "secret" && f["suppressed"] is not JsonObject);
        if (result?["Results"] is JsonArray trivy)
        {
            foreach (var r in trivy.OfType<JsonObject>())
            {
                var vulnerabilities = r["Vulnerabilities"] as JsonArray;
                if (vulnerabilities is not null || Workload.Str(r["Class"]) is "os-pkgs" or "lang-pkgs") scanned = true;
                foreach (var v in (vulnerabilities ?? []).OfType<JsonObject>())
                    vulns.Add(new(Workload.Str(v["VulnerabilityID"]) ?? "?", Level(Workload.Str(v["Severity"])), !string.IsNullOrEmpty(Workload.Str(v["FixedVersion"]))));
                if (r["Secrets"] is JsonArray s) secrets = (secrets ?? 0) + s.Count;
                else if (Workload.Str(r["Class"]) == "secret") secrets ??= 0;
            }
        }
        if (result?["matches"] is JsonArray grype)
        {
            scanned = true;
            foreach (var m in grype.OfType<JsonObject>())
                vulns.Add(new(Workload.Str(m["vulnerability"]?["id"]) ?? "?", Level(Workload.Str(m["vulnerability"]?["severity"])),
                    (m["vulnerability"]?["fix"]?["versions"] as JsonArray)?.Count > 0));
        }
        return new ScanEvidence(vulns, scanned, secrets, finished);
    }

    private static Severity Level(string? name) => Enum.TryParse<Severity>(name, ignoreCase: true, out var s) ? s : Severity.Unknown;
}
