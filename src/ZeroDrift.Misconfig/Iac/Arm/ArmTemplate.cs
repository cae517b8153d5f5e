using System.Text.RegularExpressions;
using ZeroDrift.Misconfig.Documents;

namespace ZeroDrift.Misconfig.Iac.Arm;

/// <summary>
/// Azure Resource Manager deployment templates (JSON with a <c>$schema</c> naming deploymentTemplate.json): each
/// resource, child resources included (their type joined to the parent's), addressed as <c>type/name</c> with its
/// <c>properties</c> and top-level fields (kind, sku) as attributes. A template expression that is exactly
/// <c>[parameters('x')]</c> or <c>[variables('x')]</c> is replaced by the parameter's static <c>defaultValue</c> or the
/// variable's static value; any other <c>[…]</c> expression is unknown.
/// </summary>
public static partial class ArmTemplate
{
    public static bool MayBe(string text) => text.Contains("deploymentTemplate.json", StringComparison.OrdinalIgnoreCase);

    public static bool Is(DocNode? doc) => doc?["$schema"]?.Str?.Contains("deploymentTemplate.json", StringComparison.OrdinalIgnoreCase) == true
        && doc["resources"] is SeqNode;

    [GeneratedRegex(@"^\[\s*(parameters|variables)\(\s*'([^']+)'\s*\)\s*\]$")]
    private static partial Regex Reference();

    public static IEnumerable<IacResource> Resources(DocNode doc, string path)
    {
        var parameters = new Dictionary<string, DocNode>(StringComparer.Ordinal);
        foreach (var p in doc["parameters"]?.Entries ?? [])
            if (p.Value["defaultValue"] is { } d && !IsExpression(d)) parameters[p.Key] = d;
        var variables = new Dictionary<string, DocNode>(StringComparer.Ordinal);
        foreach (var v in doc["variables"]?.Entries ?? [])
            if (!IsExpression(v.Value)) variables[v.Key] = v.Value;
        DocNode? Resolve(DocNode n)
        {
            if (n is not ScalarNode { Type: ScalarType.String } s || !s.Value.StartsWith('[') || s.Value.StartsWith("[[", StringComparison.Ordinal)) return null;
            var m = Reference().Match(s.Value);
            if (m.Success && (m.Groups[1].Value == "parameters" ? parameters : variables).TryGetValue(m.Groups[2].Value, out var value)) return value with { Start = s.Start };
            return s with { Type = ScalarType.Unknown };
        }
        var output = new List<IacResource>();
        Walk((SeqNode)doc["resources"]!, "", "", path, Resolve, output);
        return output;
    }

    private static bool IsExpression(DocNode n) => n is ScalarNode { Type: ScalarType.String } s && s.Value.StartsWith('[') && !s.Value.StartsWith("[[", StringComparison.Ordinal);

    private static void Walk(SeqNode resources, string parentType, string parentName, string path, Func<DocNode, DocNode?> resolve, List<IacResource> output)
    {
        foreach (var r in resources.Children.OfType<MapNode>())
        {
            if (r["type"]?.Str is not { } type) continue;
            if (parentType.Length > 0 && !type.Contains('/')) type = parentType + "/" + type;
            var resolved = (MapNode)Trees.Rewrite(r, resolve);
            var name = resolved["name"] is ScalarNode { Type: not ScalarType.Unknown } n ? n.Value : r["name"]?.Str ?? "?";
            if (parentName.Length > 0 && !name.Contains('/')) name = parentName + "/" + name;
            var pairs = new List<MapEntry>();
            if (resolved["properties"] is MapNode props) pairs.AddRange(props.Pairs);
            foreach (var top in resolved.Pairs.Where(p => p.Key is "kind" or "sku" or "location" or "identity"))
                pairs.Add(top);
            output.Add(new IacResource(type, type + "/" + name, new MapNode(r.Start, pairs), path, r["type"]?.Start?.Line ?? r.Start?.Line ?? 0, IacFormat.Arm));
            if (r["resources"] is SeqNode children) Walk(children, type, name, path, resolve, output);
        }
    }
}
