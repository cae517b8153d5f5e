using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Parsing.Yaml;

namespace ZeroDrift.Misconfig.Documents;

/// <summary>Why a document could not be read: malformed, or past the budget that protects the scan. The message names
/// the source.</summary>
public sealed class DocumentException(string message) : Exception(message);

/// <summary>
/// Reads YAML streams (one or many documents, JSON included) and JSON elements into <see cref="DocNode"/> trees, through
/// the one hardened parser (<see cref="BoundedYamlParser"/>): nesting, nodes (each alias counted as the nodes it stands
/// for: a "billion laughs" stops at the alias that crosses the bound), bytes and time within a <see cref="ParseBudget"/>.
/// Aliases are shared in the tree, never copied.
/// </summary>
public static class YamlDocuments
{
    /// <summary>Every document of a YAML stream, in order; null entries for empty documents.</summary>
    /// <exception cref="DocumentException">Malformed YAML, or a document past <paramref name="budget"/>.</exception>
    public static IReadOnlyList<DocNode?> Load(string yaml, ParseBudget? budget = null, string source = "YAML") =>
        Read(new StringReader(yaml), budget ?? ParseBudget.Default, source).ToList();

    /// <summary>
    /// The documents of a YAML stream one at a time, as they are parsed: a file of 60,000 documents costs one document's
    /// tree at a time. A malformed or oversized document ends the enumeration with a <see cref="DocumentException"/>, after
    /// the documents before it.
    /// </summary>
    /// <param name="intrinsicTags">CloudFormation's short forms: a node tagged <c>!Ref</c>, <c>!Sub</c>, <c>!GetAtt</c>, … is read
    /// as its long form (<c>{Ref: …}</c>, <c>{"Fn::Sub": …}</c>, <c>{"Fn::GetAtt": [resource, attribute]}</c>).</param>
    public static IEnumerable<DocNode?> Read(TextReader reader, ParseBudget budget, string source, bool intrinsicTags = false)
    {
        var documents = new DocumentReader(new BoundedYamlParser(reader, budget.Start(source, "YAML nodes")), source, intrinsicTags);
        while (documents.TryRead(out var document)) yield return document;
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    /// <summary>A JSON value (an AdmissionReview's pod, say) as a tree without positions.</summary>
    public static DocNode FromJson(JsonElement e, int depth = 0)
    {
        if (depth > ParseBudget.Default.MaxDepth) throw new DocumentException("JSON nested too deeply");
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
        if (depth > ParseBudget.Default.MaxDepth) throw new DocumentException("JSON nested too deeply");
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

    /// <summary>Reads documents one by one from the parser, turning its errors into <see cref="DocumentException"/>s.</summary>
    private sealed class DocumentReader(BoundedYamlParser parser, string source, bool intrinsicTags)
    {
        private bool _started;

        public bool TryRead(out DocNode? document)
        {
            document = null;
            try
            {
                if (!_started)
                {
                    parser.Consume<StreamStart>();
                    _started = true;
                }
                if (!parser.TryConsume<DocumentStart>(out _))
                {
                    parser.Consume<StreamEnd>();
                    return false;
                }
                var root = parser.Accept<DocumentEnd>(out _) ? null : new Builder(parser, source, intrinsicTags).Read();
                parser.Consume<DocumentEnd>();
                document = root is ScalarNode { Type: ScalarType.Null } ? null : root;
                return true;
            }
            catch (YamlException e)
            {
                throw new DocumentException($"{source}: invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {FirstLine(e.InnerException?.Message ?? e.Message)}");
            }
            catch (BudgetExceededException e)
            {
                throw new DocumentException(e.Message);
            }
        }
    }

    /// <summary>Builds one document's tree. Recursion is safe: the parser refuses nesting past the budget before it gets here.</summary>
    private sealed class Builder(IParser parser, string source, bool intrinsicTags)
    {
        /// <summary>A CloudFormation short-form tag as its long form; other nodes unchanged.</summary>
        private DocNode Intrinsic(NodeEvent ev, DocNode node)
        {
            if (!intrinsicTags || ev.Tag.IsEmpty || ev.Tag.IsNonSpecific || !ev.Tag.Value.StartsWith('!')) return node;
            var name = ev.Tag.Value[1..];
            var key = name is "Ref" or "Condition" ? name : "Fn::" + name;
            if (name == "GetAtt" && node is ScalarNode { Value: var v } && v.IndexOf('.') is > 0 and var dot)
                node = new SeqNode(node.Start, [new ScalarNode(node.Start, v[..dot], ScalarType.String), new ScalarNode(node.Start, v[(dot + 1)..], ScalarType.String)]);
            else if (node is ScalarNode sn && sn.Type != ScalarType.String) node = sn with { Type = ScalarType.String };
            return new MapNode(node.Start, [new MapEntry(key, node.Start, node)]);
        }

        private readonly Dictionary<string, DocNode> _anchors = new(StringComparer.Ordinal);

        public DocNode Read()
        {
            var ev = parser.Current ?? throw new DocumentException($"{source}: unexpected end of YAML");
            var mark = new Mark((int)ev.Start.Line, (int)ev.Start.Column);
            switch (ev)
            {
                case AnchorAlias alias:
                    parser.MoveNext();
                    return _anchors.TryGetValue(alias.Value.Value, out var target) ? target
                        : throw new DocumentException($"{source}: alias *{alias.Value} at line {mark.Line} has no anchor");
                case Scalar s:
                {
                    parser.MoveNext();
                    var tag = s.Tag.IsEmpty || s.Tag.IsNonSpecific ? "" : s.Tag.Value;
                    var type = s.Style is ScalarStyle.Plain && tag.Length == 0 ? ScalarNode.Resolve(s.Value) : ScalarType.String;
                    if (tag is "tag:yaml.org,2002:int") type = ScalarType.Int;
                    if (tag is "tag:yaml.org,2002:bool") type = ScalarType.Bool;
                    return Anchor(s.Anchor, Intrinsic(s, new ScalarNode(mark, s.Value, type)));
                }
                case SequenceStart q:
                {
                    parser.MoveNext();
                    var items = new List<DocNode>();
                    while (!parser.TryConsume<SequenceEnd>(out _)) items.Add(Read());
                    return Anchor(q.Anchor, Intrinsic(q, new SeqNode(mark, items)));
                }
                case MappingStart m:
                {
                    parser.MoveNext();
                    var pairs = new List<MapEntry>();
                    while (!parser.TryConsume<MappingEnd>(out _))
                    {
                        var key = Read();
                        var value = Read();
                        // The merge key (<<) copies the referenced mappings' entries in, as YAML 1.1 and Kubernetes do.
                        if (key is ScalarNode { Value: "<<", Type: ScalarType.String })
                        {
                            foreach (var merged in value is SeqNode seq ? seq.Children : [value])
                                if (merged is MapNode mm) pairs.InsertRange(0, mm.Pairs.Where(p => pairs.All(x => x.Key != p.Key)));
                            continue;
                        }
                        // A block collection's own mark is its first entry, a line below its key; findings about it point at the key.
                        if (value is MapNode or SeqNode && key.Start is { } km && value.Start is { } vm && vm.Line > km.Line)
                            value = value with { Start = km };
                        pairs.Add(new MapEntry(key is ScalarNode k ? k.Value : "", key.Start, value));
                    }
                    return Anchor(m.Anchor, Intrinsic(m, new MapNode(mark, pairs)));
                }
                default:
                    throw new DocumentException($"{source}: unexpected YAML event {ev.GetType().Name} at line {mark.Line}");
            }
        }

        private DocNode Anchor(AnchorName anchor, DocNode node)
        {
            if (!anchor.IsEmpty) _anchors[anchor.Value] = node;
            return node;
        }
    }
}
