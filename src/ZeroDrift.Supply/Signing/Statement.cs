using System.Text.Json;
using System.Text.Json.Nodes;

namespace ZeroDrift.Supply.Signing;

/// <summary>Predicate types as cosign names them, and the names <c>--type</c> accepts for them.</summary>
public static class PredicateTypes
{
    public const string CosignSign = "https://sigstore.dev/cosign/sign/v1";
    public const string CycloneDx = "https://cyclonedx.org/bom";
    public const string Spdx = "https://spdx.dev/Document";
    public const string Vuln = "https://cosign.sigstore.dev/attestation/vuln/v1";
    public const string Custom = "https://cosign.sigstore.dev/attestation/v1";

    /// <summary>A workload's tested behaviour profile (<c>zerodrift profile attest</c>; docs/testing.md).</summary>
    public const string BehaviourProfile = "https://zerodrift.dev/behaviour-profile/v1";

    /// <summary>cyclonedx, spdx, vuln, custom, behaviour-profile, or an absolute URI taken as it is.</summary>
    public static string Resolve(string type) => type.ToLowerInvariant() switch
    {
        "cyclonedx" => CycloneDx,
        "spdx" or "spdxjson" => Spdx,
        "vuln" => Vuln,
        "custom" => Custom,
        "behaviour-profile" or "behavior-profile" => BehaviourProfile,
        // cosign's names for SLSA provenance predicates.
        "slsaprovenance" or "slsaprovenance02" => "https://slsa.dev/provenance/v0.2",
        "slsaprovenance1" => "https://slsa.dev/provenance/v1",
        _ when Uri.TryCreate(type, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" => type,
        _ => throw new SupplyException($"unknown attestation type '{type}' (cyclonedx, spdx, vuln, custom, behaviour-profile, slsaprovenance, slsaprovenance1, or a predicate type URI)"),
    };
}

/// <summary>An in-toto Statement (v1, or v0.1 as older cosign writes it) about one image digest.</summary>
public sealed record InTotoStatement(string Type, IReadOnlyList<(string Name, string Sha256)> Subjects, string PredicateType, JsonNode? Predicate)
{
    public const string V1 = "https://in-toto.io/Statement/v1";
    public const string V01 = "https://in-toto.io/Statement/v0.1";

    public static byte[] Create(string subjectName, string digest, string predicateType, JsonNode? predicate)
    {
        var hex = digest.StartsWith("sha256:", StringComparison.Ordinal) ? digest["sha256:".Length..] : throw new SupplyException($"only sha256 subjects are supported, not {digest}");
        var statement = new JsonObject
        {
            ["_type"] = V1,
            ["subject"] = new JsonArray(new JsonObject { ["name"] = subjectName, ["digest"] = new JsonObject { ["sha256"] = hex } }),
            ["predicateType"] = predicateType,
            ["predicate"] = predicate?.DeepClone() ?? new JsonObject(),
        };
        return Json.Bytes(statement);
    }

    public static InTotoStatement Parse(byte[] payload, string what)
    {
        try
        {
            var node = JsonNode.Parse(payload, documentOptions: new JsonDocumentOptions { MaxDepth = 256 }) as JsonObject
                ?? throw new SupplyException($"{what}: the statement is not a JSON object");
            var type = node["_type"]?.GetValue<string>() ?? "";
            if (type is not (V1 or V01)) throw new SupplyException($"{what}: not an in-toto statement (_type '{type}')");
            var subjects = (node["subject"] as JsonArray ?? [])
                .OfType<JsonObject>()
                .Select(s => (s["name"]?.GetValue<string>() ?? "", s["digest"]?["sha256"]?.GetValue<string>() ?? ""))
                .ToList();
            return new InTotoStatement(type, subjects, node["predicateType"]?.GetValue<string>() ?? "", node["predicate"]);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new SupplyException($"{what}: malformed in-toto statement ({e.Message})", e);
        }
    }

    public bool HasSubject(string digest) => Subjects.Any(s => "sha256:" + s.Sha256 == digest);
}
