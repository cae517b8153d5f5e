using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using ZeroDrift.Core.IO;

namespace ZeroDrift.Supply.Policy;

/// <summary>
/// Reads Kubernetes manifests (YAML or JSON, several documents, <c>List</c> kinds) into JSON objects, with YAML 1.2 core
/// scalar types (booleans, integers, null) so that <c>privileged: true</c> is a boolean as the API server sees it.
/// </summary>
public static partial class KubernetesManifests
{
    public const int MaxBytes = 4 << 20;
    private const int MaxDepth = 64;
    private const int MaxDocuments = 1000;
    // Aliases make a small file expand to many nodes (billion laughs): the conversion has a budget.
    private const int MaxNodes = 1_000_000;

    public static IReadOnlyList<JsonObject> Load(string path)
    {
        return Parse(BoundedFile.ReadAllText(path, MaxBytes, "manifest"), path);
    }

    public static IReadOnlyList<JsonObject> Parse(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new SupplyException($"{source}: line {e.Start.Line}: {e.Message}", e);
        }
        if (stream.Documents.Count > MaxDocuments) throw new SupplyException($"{source}: more than {MaxDocuments} documents");
        var objects = new List<JsonObject>();
        var budget = MaxNodes;
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlScalarNode { Value: null or "" }) continue;
            if (Convert(document.RootNode, 0, source, ref budget) is not JsonObject obj) throw new SupplyException($"{source}: a document is not a mapping");
            if (obj["kind"] is JsonValue k && k.TryGetValue<string>(out var kind) && kind.EndsWith("List", StringComparison.Ordinal) && obj["items"] is JsonArray items)
                objects.AddRange(items.OfType<JsonObject>().Select(i => (JsonObject)i.DeepClone()));
            else
                objects.Add(obj);
        }
        return objects;
    }

    private static JsonNode? Convert(YamlNode node, int depth, string source, ref int budget)
    {
        if (--budget < 0) throw new SupplyException($"{source}: more than {MaxNodes} YAML nodes (after expanding aliases)");
        if (depth > MaxDepth) throw new SupplyException($"{source}: nested deeper than {MaxDepth} levels");
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (key, value) in map.Children)
                {
                    var name = (key as YamlScalarNode)?.Value ?? throw new SupplyException($"{source}: line {key.Start.Line}: keys must be scalars");
                    obj[name] = Convert(value, depth + 1, source, ref budget);
                }
                return obj;
            case YamlSequenceNode seq:
                var array = new JsonArray();
                foreach (var child in seq.Children) array.Add(Convert(child, depth + 1, source, ref budget));
                return array;
            case YamlScalarNode scalar:
                var text = scalar.Value ?? "";
                if (scalar.Style is not ScalarStyle.Plain) return JsonValue.Create(text);
                if (text is "" or "~" or "null" or "Null" or "NULL") return null;
                if (text is "true" or "True" or "TRUE") return JsonValue.Create(true);
                if (text is "false" or "False" or "FALSE") return JsonValue.Create(false);
                if (IntegerPattern().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
                if (FloatPattern().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return JsonValue.Create(d);
                return JsonValue.Create(text);
            default:
                throw new SupplyException($"{source}: line {node.Start.Line}: unsupported YAML node");
        }
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
