using ZeroDrift.Misconfig.Documents;

namespace ZeroDrift.Misconfig.Iac.CloudFormation;

/// <summary>
/// CloudFormation templates (YAML with the short intrinsic tags, or JSON): each entry of <c>Resources</c> with a
/// <c>Type</c> becomes a resource addressed by its logical id, its <c>Properties</c> as attributes. <c>Ref</c> to a
/// parameter with a static <c>Default</c> is replaced by that default; other intrinsic functions stay as their long
/// form (<c>{"Fn::Sub": …}</c>), which checks read as unknown.
/// </summary>
public static class CloudFormationTemplate
{
    /// <summary>Cheap text test before parsing.</summary>
    public static bool MayBe(string text) => text.Contains("AWSTemplateFormatVersion", StringComparison.Ordinal)
        || (text.Contains("Resources", StringComparison.Ordinal) && text.Contains("AWS::", StringComparison.Ordinal));

    public static bool Is(DocNode? doc) => doc?["Resources"] is MapNode resources
        && (doc["AWSTemplateFormatVersion"] is not null || resources.Pairs.Any(p => p.Value["Type"]?.Str?.StartsWith("AWS::", StringComparison.Ordinal) == true));

    public static IEnumerable<IacResource> Resources(DocNode doc, string path)
    {
        var defaults = new Dictionary<string, DocNode>(StringComparer.Ordinal);
        foreach (var p in doc["Parameters"]?.Entries ?? [])
            if (p.Value["Default"] is ScalarNode d) defaults[p.Key] = d;
        DocNode? Resolve(DocNode n) => n is MapNode { Pairs: [{ Key: "Ref", Value: ScalarNode { Value: var name } }] } && defaults.TryGetValue(name, out var v) ? v with { Start = n.Start } : null;
        foreach (var entry in ((MapNode)doc["Resources"]!).Pairs)
        {
            if (entry.Value["Type"]?.Str is not { } type) continue;
            var props = entry.Value["Properties"] is MapNode m ? (MapNode)Trees.Rewrite(m, Resolve) : Trees.EmptyMap(entry.KeyMark);
            yield return new IacResource(type, entry.Key, props, path, entry.KeyMark?.Line ?? 0, IacFormat.CloudFormation);
        }
    }
}
