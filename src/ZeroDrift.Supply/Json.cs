using System.Text.Encodings.Web;
using System.Text.Json;

namespace ZeroDrift.Supply;

/// <summary>JSON written the way Go's encoding/json writes cosign's documents: no escaping of '+' or other ASCII
/// that base64 and URLs carry (System.Text.Json's default escapes '+' as \u002B).</summary>
internal static class Json
{
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Bytes(System.Text.Json.Nodes.JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node, Options);
}
