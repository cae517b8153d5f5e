using System.Text.Json;
using System.Text.Json.Nodes;

namespace ZeroDrift.Supply.Signing;

/// <summary>
/// A Sigstore bundle v0.3 (https://github.com/sigstore/protobuf-specs) for key-pair signing as cosign 3 writes it: the
/// public key named by its hint, no transparency-log entry, and a DSSE envelope as content.
/// </summary>
public static class SigstoreBundle
{
    public const string MediaType = "application/vnd.dev.sigstore.bundle.v0.3+json";

    public static byte[] Create(DsseEnvelope envelope, string publicKeyHint) => Json.Bytes(new JsonObject
    {
        ["mediaType"] = MediaType,
        ["verificationMaterial"] = new JsonObject
        {
            ["publicKey"] = new JsonObject { ["hint"] = publicKeyHint },
            ["tlogEntries"] = new JsonArray(),
        },
        ["dsseEnvelope"] = envelope.ToJson(),
    });

    public static DsseEnvelope Envelope(byte[] bundle, string what)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(bundle, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) as JsonObject
                ?? throw new SupplyException($"{what}: the bundle is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new SupplyException($"{what}: malformed bundle ({e.Message})", e);
        }
        var mediaType = root["mediaType"] is JsonValue v && v.TryGetValue<string>(out var mt) ? mt : "";
        if (!mediaType.StartsWith("application/vnd.dev.sigstore.bundle", StringComparison.Ordinal))
            throw new SupplyException($"{what}: not a Sigstore bundle (mediaType '{mediaType}')");
        return DsseEnvelope.FromJson(root["dsseEnvelope"] ?? throw new SupplyException($"{what}: the bundle holds no DSSE envelope (message signatures are not supported)"), what);
    }
}
