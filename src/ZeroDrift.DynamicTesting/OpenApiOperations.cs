using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace ZeroDrift.DynamicTesting;

/// <summary>One operation of an OpenAPI document, ready to send: path parameters filled, query and body from examples.</summary>
public sealed record OpenApiCall(string Method, string PathAndQuery, string? JsonBody, string OperationId);

/// <summary>
/// Reads an OpenAPI 3 document (JSON or YAML: YAML reads both) and turns each operation into a request with the
/// document's examples: a parameter's <c>example</c>, its first <c>examples</c> value, or its schema's
/// <c>example</c>/<c>default</c>/first <c>enum</c> value; a required parameter with none of them gets <c>1</c>
/// (integer) or <c>test</c>. The JSON request body comes the same way from the media type or its schema.
/// Bounded: documents up to 4 MiB, 500 operations.
/// </summary>
public static class OpenApiOperations
{
    public const long MaxBytes = 4 * 1024 * 1024;
    public const int MaxOperations = 500;
    private static readonly string[] Methods = ["get", "put", "post", "delete", "options", "head", "patch"];

    public static IReadOnlyList<OpenApiCall> Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new DynamicTestException($"--openapi {path}: no such file");
        if (info.Length > MaxBytes) throw new DynamicTestException($"--openapi {path}: larger than {MaxBytes / (1024 * 1024)} MiB");
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or InvalidOperationException or FormatException)
        {
            throw new DynamicTestException($"--openapi {path}: not an OpenAPI document ({e.Message.Split('\n')[0]})");
        }
    }

    public static IReadOnlyList<OpenApiCall> Parse(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root) throw new FormatException("the document is not a mapping");
        if (Child(root, "paths") is not YamlMappingNode paths) throw new FormatException("no paths");
        var calls = new List<OpenApiCall>();
        foreach (var (key, value) in paths.Children)
        {
            if (key is not YamlScalarNode { Value: { } template } || value is not YamlMappingNode item) continue;
            var shared = Child(item, "parameters") as YamlSequenceNode;
            foreach (var method in Methods)
            {
                if (Child(item, method) is not YamlMappingNode operation) continue;
                if (calls.Count >= MaxOperations) throw new FormatException($"more than {MaxOperations} operations");
                calls.Add(Call(method, template, operation, shared, root));
            }
        }
        return calls;
    }

    private static OpenApiCall Call(string method, string template, YamlMappingNode operation, YamlSequenceNode? shared, YamlMappingNode root)
    {
        var path = template;
        var query = new List<string>();
        var parameters = (shared?.Children ?? []).Concat((Child(operation, "parameters") as YamlSequenceNode)?.Children ?? []);
        foreach (var node in parameters)
        {
            if (Resolve(node, root) is not YamlMappingNode p || Scalar(p, "name") is not { } name) continue;
            var where = Scalar(p, "in");
            var required = where == "path" || Scalar(p, "required") == "true";
            var example = ExampleOf(p, root);
            if (example is null && !required) continue;
            var value = example is null ? Fallback(Child(p, "schema"), root) : ScalarText(example);
            if (where == "path") path = path.Replace("{" + name + "}", Uri.EscapeDataString(value), StringComparison.Ordinal);
            else if (where == "query") query.Add($"{Uri.EscapeDataString(name)}={Uri.EscapeDataString(value)}");
        }
        string? body = null;
        if (Resolve(Child(operation, "requestBody"), root) is YamlMappingNode requestBody
            && Child(requestBody, "content") is YamlMappingNode content
            && content.Children.FirstOrDefault(c => c.Key is YamlScalarNode { Value: { } type } && type.Contains("json", StringComparison.OrdinalIgnoreCase)).Value is YamlMappingNode media)
            body = ExampleOf(media, root) is { } example ? ToJson(example)?.ToJsonString() : "{}";
        var id = Scalar(operation, "operationId") ?? $"{method.ToUpperInvariant()} {template}";
        return new OpenApiCall(method.ToUpperInvariant(), path + (query.Count > 0 ? "?" + string.Join('&', query) : ""), body, id);
    }

    private static YamlNode? ExampleOf(YamlMappingNode node, YamlMappingNode root)
    {
        if (Child(node, "example") is { } example) return example;
        if (Child(node, "examples") is YamlMappingNode examples && examples.Children.Count > 0
            && Resolve(examples.Children.First().Value, root) is YamlMappingNode first && Child(first, "value") is { } value) return value;
        if (Resolve(Child(node, "schema"), root) is YamlMappingNode schema)
        {
            if (Child(schema, "example") is { } schemaExample) return schemaExample;
            if (Child(schema, "default") is { } byDefault) return byDefault;
            if (Child(schema, "enum") is YamlSequenceNode { Children.Count: > 0 } values) return values.Children[0];
        }
        return null;
    }

    private static string Fallback(YamlNode? schema, YamlMappingNode root) =>
        Resolve(schema, root) is YamlMappingNode s && Scalar(s, "type") is "integer" or "number" ? "1" : "test";

    /// <summary>A local <c>$ref</c> (<c>#/components/…</c>) followed up to 16 times; anything else as it is.</summary>
    private static YamlNode? Resolve(YamlNode? node, YamlMappingNode root)
    {
        for (var depth = 0; depth < 16 && node is YamlMappingNode m && Scalar(m, "$ref") is { } reference; depth++)
        {
            if (!reference.StartsWith("#/", StringComparison.Ordinal)) return null;
            YamlNode? current = root;
            foreach (var part in reference[2..].Split('/'))
                current = current is YamlMappingNode map ? Child(map, part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)) : null;
            node = current;
        }
        return node;
    }

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? Scalar(YamlMappingNode node, string key) => Child(node, key) is YamlScalarNode s ? s.Value : null;

    private static string ScalarText(YamlNode node) => node is YamlScalarNode s ? s.Value ?? "" : ToJson(node)?.ToJsonString() ?? "";

    /// <summary>A YAML node as JSON: plain scalars that read as numbers or booleans become those, the rest strings.</summary>
    internal static JsonNode? ToJson(YamlNode node, int depth = 0)
    {
        if (depth > 64) throw new FormatException("an example nested deeper than 64 levels");
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (k, v) in map.Children) obj[(k as YamlScalarNode)?.Value ?? ""] = ToJson(v, depth + 1);
                return obj;
            case YamlSequenceNode seq:
                return new JsonArray(seq.Children.Select(c => ToJson(c, depth + 1)).ToArray());
            case YamlScalarNode { Value: var value } scalar:
                if (value is null) return null;
                if (scalar.Style is YamlDotNet.Core.ScalarStyle.Plain)
                {
                    if (value is "null" or "~") return null;
                    if (value is "true" or "false") return JsonValue.Create(value == "true");
                    if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
                    if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return JsonValue.Create(d);
                }
                return JsonValue.Create(value);
            default:
                return null;
        }
    }
}
