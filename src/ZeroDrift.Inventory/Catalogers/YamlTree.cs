using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Parsing.Yaml;

namespace ZeroDrift.Inventory.Catalogers;

/// <summary>
/// Loads a YAML document (pnpm-lock.yaml, Yarn Berry's yarn.lock) into plain maps, lists and strings, through the one
/// hardened parser (<see cref="BoundedYamlParser"/>: nesting, nodes and time within the scan's budget). Lockfiles never
/// use anchors, so aliases are refused outright.
/// </summary>
internal static class YamlTree
{
    /// <summary>The first document's root: a <see cref="Dictionary{TKey,TValue}"/>, a <see cref="List{T}"/>, a string, or null when empty.</summary>
    public static object? Load(string text, ParseBudget budget, string what)
    {
        var parser = SafeYaml.Parser(text, budget, what);
        parser.Consume<StreamStart>();
        if (parser.Accept<StreamEnd>(out _)) return null;
        parser.Consume<DocumentStart>();
        var root = parser.Accept<DocumentEnd>(out _) ? null : ReadNode(parser);
        parser.Consume<DocumentEnd>();
        return root;
    }

    // Recursion is safe: the parser has refused any collection nested deeper than the budget before it gets here.
    private static object? ReadNode(IParser parser)
    {
        var start = parser.Current?.Start;
        if (parser.TryConsume<Scalar>(out var scalar))
            return scalar.Style == ScalarStyle.Plain && scalar.Value is "~" or "null" or "" && scalar.Tag.IsEmpty ? null : scalar.Value;
        if (parser.TryConsume<AnchorAlias>(out _))
            throw new FormatException($"YAML alias at {start}: aliases are not expected in a lockfile");
        if (parser.TryConsume<SequenceStart>(out _))
        {
            var list = new List<object?>();
            while (!parser.TryConsume<SequenceEnd>(out _)) list.Add(ReadNode(parser));
            return list;
        }
        if (parser.TryConsume<MappingStart>(out _))
        {
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var key = ReadNode(parser) as string
                    ?? throw new FormatException($"YAML mapping key at {parser.Current?.Start} is not a plain string");
                map[key] = ReadNode(parser);
            }
            return map;
        }
        throw new FormatException($"unexpected YAML event {parser.Current?.GetType().Name} at {start}");
    }

    public static Dictionary<string, object?>? Map(this Dictionary<string, object?> map, string key) =>
        map.TryGetValue(key, out var value) ? value as Dictionary<string, object?> : null;

    public static string? Str(this Dictionary<string, object?> map, string key) =>
        map.TryGetValue(key, out var value) ? value as string : null;

    public static bool Flag(this Dictionary<string, object?> map, string key) =>
        map.Str(key) is { } s && s.Equals("true", StringComparison.OrdinalIgnoreCase);

    /// <summary>name → string of a map-valued field; other values are skipped.</summary>
    public static IEnumerable<KeyValuePair<string, string>> StringMap(this Dictionary<string, object?> map, string key) =>
        (map.Map(key) ?? []).Where(kv => kv.Value is string).Select(kv => KeyValuePair.Create(kv.Key, (string)kv.Value!));
}
