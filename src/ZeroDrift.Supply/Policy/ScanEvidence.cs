using System.Text.Json.Nodes;
using ZeroDrift.Core;

namespace ZeroDrift.Supply.Policy;

/// <summary>One vulnerability as a scan result attested it.</summary>
public sealed record AttestedVulnerability(string Id, Severity Severity, bool HasFix);

/// <summary>
/// What a verified vulnerability attestation says: its findings and, when the scan looked for them, its secrets. Reads
/// the result of cosign's vuln predicate (<c>scanner.result</c>) as ZeroDrift's JSON report writes it
/// (<c>findings[].severity.level</c>, <c>fixedIn</c>, <c>suppressed</c>; <c>secrets[]</c>), and Trivy's and Grype's JSON,
/// which other pipelines attest.
/// </summary>
public sealed record ScanEvidence(IReadOnlyList<AttestedVulnerability> Vulnerabilities, int? Secrets, string? FinishedOn)
{
    public static ScanEvidence FromVulnPredicate(JsonNode? predicate)
    {
        var result = predicate?["scanner"]?["result"];
        var finished = Workload.Str(predicate?["metadata"]?["scanFinishedOn"]);
        var vulns = new List<AttestedVulnerability>();
        int? secrets = null;
        if (result?["findings"] is JsonArray findings)
        {
            foreach (var f in findings.OfType<JsonObject>())
            {
                if (f["suppressed"] is JsonObject) continue;
                vulns.Add(new(Workload.Str(f["id"]) ?? "?", Level(Workload.Str(f["severity"]?["level"])), !string.IsNullOrEmpty(Workload.Str(f["fixedIn"]))));
            }
        }
        if (result?["secrets"] is JsonArray ours) secrets = ours.Count;
        if (result?["Results"] is JsonArray trivy)
        {
            foreach (var r in trivy.OfType<JsonObject>())
            {
                foreach (var v in (r["Vulnerabilities"] as JsonArray ?? []).OfType<JsonObject>())
                    vulns.Add(new(Workload.Str(v["VulnerabilityID"]) ?? "?", Level(Workload.Str(v["Severity"])), !string.IsNullOrEmpty(Workload.Str(v["FixedVersion"]))));
                if (r["Secrets"] is JsonArray s) secrets = (secrets ?? 0) + s.Count;
                else if (Workload.Str(r["Class"]) == "secret") secrets ??= 0;
            }
        }
        if (result?["matches"] is JsonArray grype)
            foreach (var m in grype.OfType<JsonObject>())
                vulns.Add(new(Workload.Str(m["vulnerability"]?["id"]) ?? "?", Level(Workload.Str(m["vulnerability"]?["severity"])),
                    (m["vulnerability"]?["fix"]?["versions"] as JsonArray)?.Count > 0));
        return new ScanEvidence(vulns, secrets, finished);
    }

    private static Severity Level(string? name) => Enum.TryParse<Severity>(name, ignoreCase: true, out var s) ? s : Severity.Unknown;
}
