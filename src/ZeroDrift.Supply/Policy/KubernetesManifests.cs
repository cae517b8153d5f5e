using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Core.IO;
using ZeroDrift.Parsing.Streams;
using ZeroDrift.Parsing.Yaml;

namespace ZeroDrift.Supply.Policy;

/// <summary>
/// Reads Kubernetes manifests (YAML or JSON, several documents, <c>List</c> kinds) into JSON objects, with YAML 1.2 core
/// scalar types (booleans, integers, null) so that <c>privileged: true</c> is a boolean as the API server sees it. The
/// file is attacker data: its size is checked from <c>stat</c> before it is read, and it is parsed by the one hardened
/// YAML parser within a <see cref="ParseBudget"/> (nesting refused before any recursion, aliases counted as what they
/// expand to, time).
/// </summary>
public static partial class KubernetesManifests
{
    public const int MaxBytes = 4 << 20;

    // Each workload of a manifest may cost a registry round trip in policy check.
    private const int MaxDocuments = 1000;

    /// <summary>The budget of a manifest read by <c>policy check</c>: the scan's defaults, at most <see cref="MaxBytes"/>.</summary>
    public static ParseBudget Budget { get; } = ParseBudget.Default.WithMaxBytes(MaxBytes);

    public static IReadOnlyList<JsonObject> Load(string path, ParseBudget? budget = null)
    {
        budget ??= Budget;
        return Parse(BoundedFile.ReadAllText(path, budget.MaxBytes, "manifest"), path, budget);
    }

    public static IReadOnlyList<JsonObject> Parse(string text, string source, ParseBudget? budget = null)
    {
        YamlStream stream;
        try
        {
            stream = SafeYaml.LoadStream(text, budget ?? Budget, source);
        }
        catch (YamlException e)
        {
            throw new SupplyException($"{source}: line {e.Start.Line}: {e.Message}", e);
        }
        catch (BudgetExceededException e)
        {
            throw new SupplyException(e.Message, e);
        }
        if (stream.Documents.Count > MaxDocuments) throw new SupplyException($"{source}: more than {MaxDocuments} documents");
        var objects = new List<JsonObject>();
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlScalarNode { Value: null or "" }) continue;
            if (Convert(document.RootNode, source) is not JsonObject obj) throw new SupplyException($"{source}: a document is not a mapping");
            if (obj["kind"] is JsonValue k && k.TryGetValue<string>(out var kind) && kind.EndsWith("List", StringComparison.Ordinal) && obj["items"] is JsonArray items)
                objects.AddRange(items.OfType<JsonObject>().Select(i => (JsonObject)i.DeepClone()));
            else
                objects.Add(obj);
        }
        return objects;
    }

    // Recursion is bounded: the parser refused nesting past the budget, and aliases past its nodes.
    private static JsonNode? Convert(YamlNode node, string source)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (key, value) in map.Children)
                {
                    var name = (key as YamlScalarNode)?.Value ?? throw new SupplyException($"{source}: line {key.Start.Line}: keys must be scalars");
                    obj[name] = Convert(value, source);
                }
                return obj;
            case YamlSequenceNode seq:
                var array = new JsonArray();
                foreach (var child in seq.Children) array.Add(Convert(child, source));
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
