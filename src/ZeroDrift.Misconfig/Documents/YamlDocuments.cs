using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ZeroDrift.Misconfig.Documents;

/// <summary>Why a document could not be read: malformed, or past a limit that protects the scan.</summary>
public sealed class DocumentException(string message) : Exception(message);

/// <summary>Limits against hostile documents: nesting, node count, and what aliases expand to ("billion laughs").</summary>
public sealed record DocumentLimits
{
    public int MaxDepth { get; init; } = 100;
    public int MaxNodes { get; init; } = 1_000_000;

    /// <summary>The size a document would have with every alias copied out; aliases are shared, not copied, but a
    /// check walking the tree visits each path, so this bounds the walk.</summary>
    public long MaxExpandedNodes { get; init; } = 2_000_000;

    public static DocumentLimits Default { get; } = new();
}

/// <summary>Reads YAML streams (one or many documents, JSON included) and JSON elements into <see cref="DocNode"/> trees.</summary>
public static class YamlDocuments
{
    /// <summary>Every document of a YAML stream, in order; null entries for empty documents.</summary>
    /// <exception cref="DocumentException">Malformed YAML, or a document past <paramref name="limits"/>.</exception>
    public static IReadOnlyList<DocNode?> Load(TextReader reader, DocumentLimits? limits = null)
    {
        var docs = new List<DocNode?>();
        Load(reader, limits, docs);
        return docs;
    }

    /// <summary>Adds the documents to <paramref name="docs"/> as they are read, so those before an error are kept.</summary>
    public static void Load(TextReader reader, DocumentLimits? limits, List<DocNode?> docs)
    {
        limits ??= DocumentLimits.Default;
        var parser = new Parser(reader);
        try
        {
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out _))
            {
                var builder = new Builder(parser, limits);
                DocNode? root = parser.Accept<DocumentEnd>(out _) ? null : builder.Read(0);
                parser.Consume<DocumentEnd>();
                docs.Add(root is ScalarNode { Type: ScalarType.Null } ? null : root);
            }
            parser.Consume<StreamEnd>();
        }
        catch (YamlException e)
        {
            throw new DocumentException($"invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {FirstLine(e.Message)}");
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet's scanner throws these, not YamlException, on some malformed input (found by FuzzTests).
            var at = parser.Current?.Start;
            throw new DocumentException($"invalid YAML{(at is { } m ? $" near line {m.Line}, column {m.Column}" : "")}: {FirstLine(e.Message)}");
        }
    }

    public static IReadOnlyList<DocNode?> Load(string yaml, DocumentLimits? limits = null) => Load(new StringReader(yaml), limits);

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    /// <summary>A JSON value (an AdmissionReview's pod, say) as a tree without positions.</summary>
    public static DocNode FromJson(JsonElement e, int depth = 0)
    {
        if (depth > DocumentLimits.Default.MaxDepth) throw new DocumentException("JSON nested too deeply");
        return e.ValueKind switch
        {
            JsonValueKind.Object => new MapNode(null, [.. e.EnumerateObject().Select(p => new MapEntry(p.Name, null, FromJson(p.Value, depth + 1)))]),
            JsonValueKind.Array => new SeqNode(null, [.. e.EnumerateArray().Select(v => FromJson(v, depth + 1))]),
            JsonValueKind.String => new ScalarNode(null, e.GetString()!, ScalarType.String),
            JsonValueKind.True => new ScalarNode(null, "true", ScalarType.Bool),
            JsonValueKind.False => new ScalarNode(null, "false", ScalarType.Bool),
            JsonValueKind.Number => new ScalarNode(null, e.GetRawText(), e.TryGetInt64(out _) ? ScalarType.Int : ScalarType.Float),
            _ => new ScalarNode(null, "", ScalarType.Null),
        };
    }

    /// <summary>The same tree from a mutable JSON DOM (the policy engine's pod specs), without serializing it first.</summary>
    public static DocNode FromJson(System.Text.Json.Nodes.JsonNode? n, int depth = 0)
    {
        if (depth > DocumentLimits.Default.MaxDepth) throw new DocumentException("JSON nested too deeply");
        switch (n)
        {
            case System.Text.Json.Nodes.JsonObject o:
                var pairs = new MapEntry[o.Count];
                var i = 0;
                foreach (var (key, value) in o) pairs[i++] = new MapEntry(key, null, FromJson(value, depth + 1));
                return new MapNode(null, pairs);
            case System.Text.Json.Nodes.JsonArray a:
                var items = new DocNode[a.Count];
                for (var j = 0; j < a.Count; j++) items[j] = FromJson(a[j], depth + 1);
                return new SeqNode(null, items);
            case System.Text.Json.Nodes.JsonValue v:
                return v.GetValueKind() switch
                {
                    JsonValueKind.String => new ScalarNode(null, v.GetValue<string>(), ScalarType.String),
                    JsonValueKind.True => new ScalarNode(null, "true", ScalarType.Bool),
                    JsonValueKind.False => new ScalarNode(null, "false", ScalarType.Bool),
                    JsonValueKind.Number => v.TryGetValue<long>(out var l) ? new ScalarNode(null, l.ToString(System.Globalization.CultureInfo.InvariantCulture), ScalarType.Int)
                        : new ScalarNode(null, v.ToJsonString(), ScalarType.Float),
                    _ => new ScalarNode(null, "", ScalarType.Null),
                };
            default:
                return new ScalarNode(null, "", ScalarType.Null);
        }
    }

    private sealed class Builder(IParser parser, DocumentLimits limits)
    {
        private readonly Dictionary<string, (DocNode Node, long Weight)> _anchors = new(StringComparer.Ordinal);
        private readonly Dictionary<DocNode, long> _weights = new(ReferenceEqualityComparer.Instance);
        private int _nodes;
        private long _expanded;

        public DocNode Read(int depth)
        {
            if (depth > limits.MaxDepth) throw new DocumentException($"YAML nested deeper than {limits.MaxDepth} levels");
            if (++_nodes > limits.MaxNodes) throw new DocumentException($"YAML document has more than {limits.MaxNodes} nodes");
            var ev = parser.Current ?? throw new DocumentException("unexpected end of YAML");
            var mark = new Mark((int)ev.Start.Line, (int)ev.Start.Column);
            switch (ev)
            {
                case AnchorAlias alias:
                    parser.MoveNext();
                    if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                        throw new DocumentException($"alias *{alias.Value} at line {mark.Line} has no anchor");
                    Count(target.Weight);
                    return target.Node;
                case Scalar s:
                {
                    parser.MoveNext();
                    var tag = s.Tag.IsEmpty || s.Tag.IsNonSpecific ? "" : s.Tag.Value;
                    var type = s.Style is ScalarStyle.Plain && tag.Length == 0 ? ScalarNode.Resolve(s.Value) : ScalarType.String;
                    if (tag is "tag:yaml.org,2002:int") type = ScalarType.Int;
                    if (tag is "tag:yaml.org,2002:bool") type = ScalarType.Bool;
                    return Anchor(s.Anchor, new ScalarNode(mark, s.Value, type), 1);
                }
                case SequenceStart q:
                {
                    parser.MoveNext();
                    var items = new List<DocNode>();
                    long weight = 1;
                    while (!parser.TryConsume<SequenceEnd>(out _))
                    {
                        var item = Read(depth + 1);
                        weight += WeightOf(item);
                        items.Add(item);
                    }
                    return Anchor(q.Anchor, new SeqNode(mark, items), weight);
                }
                case MappingStart m:
                {
                    parser.MoveNext();
                    var pairs = new List<MapEntry>();
                    long weight = 1;
                    while (!parser.TryConsume<MappingEnd>(out _))
                    {
                        var key = Read(depth + 1);
                        var value = Read(depth + 1);
                        weight += WeightOf(key) + WeightOf(value);
                        // The merge key (<<) copies the referenced mappings' entries in, as YAML 1.1 and Kubernetes do.
                        if (key is ScalarNode { Value: "<<", Type: ScalarType.String })
                        {
                            foreach (var merged in value is SeqNode seq ? seq.Children : [value])
                                if (merged is MapNode mm) pairs.InsertRange(0, mm.Pairs.Where(p => pairs.All(x => x.Key != p.Key)));
                            continue;
                        }
                        // A block collection's own mark is its first entry, a line below its key; findings about it point at the key.
                        if (value is MapNode or SeqNode && key.Start is { } km && value.Start is { } vm && vm.Line > km.Line)
                        {
                            var moved = value with { Start = km };
                            _weights[moved] = WeightOf(value);
                            value = moved;
                        }
                        pairs.Add(new MapEntry(key is ScalarNode k ? k.Value : "", key.Start, value));
                    }
                    return Anchor(m.Anchor, new MapNode(mark, pairs), weight);
                }
                default:
                    throw new DocumentException($"unexpected YAML event {ev.GetType().Name} at line {mark.Line}");
            }
        }

        private long WeightOf(DocNode node) => _weights.TryGetValue(node, out var w) ? w : 1;

        private void Count(long weight)
        {
            _expanded += weight;
            if (_expanded > limits.MaxExpandedNodes)
                throw new DocumentException($"YAML aliases expand to more than {limits.MaxExpandedNodes} nodes (an alias bomb?)");
        }

        private DocNode Anchor(AnchorName anchor, DocNode node, long weight)
        {
            _weights[node] = weight;
            Count(1);
            if (!anchor.IsEmpty) _anchors[anchor.Value] = (node, weight);
            return node;
        }
    }
}
