using System.Text.Json;
using System.Text.Json.Nodes;

namespace ZeroDrift.Supply.Signing;

/// <summary>
/// The "simple signing" payload cosign 2 signs (containers/image's format as cosign writes it):
/// <c>{"critical":{"identity":{"docker-reference":R},"image":{"docker-manifest-digest":D},"type":"cosign container image signature"},"optional":O}</c>,
/// keys in this order, as Go's encoding/json writes cosign's structs.
/// </summary>
public static class SimpleSigning
{
    public const string MediaType = "application/vnd.dev.cosign.simplesigning.v1+json";
    public const string SignatureAnnotation = "dev.cosignproject.cosign/signature";
    public const string Type = "cosign container image signature";

    public static byte[] Payload(string dockerReference, string digest, IReadOnlyDictionary<string, string>? optional = null)
    {
        var payload = new JsonObject
        {
            ["critical"] = new JsonObject
            {
                ["identity"] = new JsonObject { ["docker-reference"] = dockerReference },
                ["image"] = new JsonObject { ["docker-manifest-digest"] = digest },
                ["type"] = Type,
            },
            ["optional"] = optional is { Count: > 0 } ? new JsonObject(optional.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))) : null,
        };
        return Json.Bytes(payload);
    }

    public sealed record Claims(string DockerReference, string Digest, string Type);

    public static Claims Parse(byte[] payload, string what)
    {
        try
        {
            var root = JsonNode.Parse(payload, documentOptions: new JsonDocumentOptions { MaxDepth = 32 }) as JsonObject
                ?? throw new SupplyException($"{what}: the payload is not a JSON object");
            var critical = root["critical"] as JsonObject ?? throw new SupplyException($"{what}: the payload has no 'critical' section");
            return new Claims(
                critical["identity"]?["docker-reference"]?.GetValue<string>() ?? "",
                critical["image"]?["docker-manifest-digest"]?.GetValue<string>() ?? "",
                critical["type"]?.GetValue<string>() ?? "");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new SupplyException($"{what}: malformed simple-signing payload ({e.Message})", e);
        }
    }
}
