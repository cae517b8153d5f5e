using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ZeroDrift.Inventory.Catalogers;

/// <summary>
/// Loads a YAML document (pnpm-lock.yaml, Yarn Berry's yarn.lock) into plain maps, lists and strings. Lockfiles
/// never use anchors, so aliases are refused outright: that rules out "billion laughs" expansion, and nesting
/// deeper than the scan limit is refused too.
/// </summary>
internal static class YamlTree
{
    /// <summary>The first document's root: a <see cref="Dictionary{TKey,TValue}"/>, a <see cref="List{T}"/>, a string, or null when empty.</summary>
    public static object? Load(string text, int maxDepth)
    {
        var parser = new Parser(new StringReader(text));
        parser.Consume<StreamStart>();
        if (parser.Accept<StreamEnd>(out _)) return null;
        parser.Consume<DocumentStart>();
        var root = parser.Accept<DocumentEnd>(out _) ? null : ReadNode(parser, 0, maxDepth);
        parser.Consume<DocumentEnd>();
        return root;
    }

    private static object? ReadNode(IParser parser, int depth, int maxDepth)
    {
        if (depth > maxDepth)
            throw new FormatException($"YAML nested deeper than {maxDepth} levels");
        var start = parser.Current?.Start;
        if (parser.TryConsume<Scalar>(out var scalar))
            return scalar.Style == ScalarStyle.Plain && scalar.Value is "~" or "null" or "" && scalar.Tag.IsEmpty ? null : scalar.Value;
        if (parser.TryConsume<AnchorAlias>(out _))
            throw new FormatException($"YAML alias at {start}: aliases are not expected in a lockfile");
        if (parser.TryConsume<SequenceStart>(out _))
        {
            var list = new List<object?>();
            while (!parser.TryConsume<SequenceEnd>(out _)) list.Add(ReadNode(parser, depth + 1, maxDepth));
            return list;
        }
        if (parser.TryConsume<MappingStart>(out _))
        {
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var key = ReadNode(parser, depth + 1, maxDepth) as string
                    ?? throw new FormatException($"YAML mapping key at {parser.Current?.Start} is not a plain string");
                map[key] = ReadNode(parser, depth + 1, maxDepth);
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
