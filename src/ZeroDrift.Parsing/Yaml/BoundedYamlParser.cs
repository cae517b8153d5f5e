using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using ZeroDrift.Core.Budgets;

namespace ZeroDrift.Parsing.Yaml;

/// <summary>
/// The one hardened YAML parser: YamlDotNet's event parser (which does not recurse), with every event checked against
/// a <see cref="ParseBudget"/> before anything builds on it. Whatever reads the events (a representation model, the
/// deserializer, a tree of one's own) therefore never sees a collection nested deeper than
/// <see cref="ParseBudget.MaxDepth"/> (a recursive builder cannot overflow the stack on 100,000 <c>[</c>), never more
/// than <see cref="ParseBudget.MaxItems"/> nodes in one document counting each alias as the nodes it stands for (a
/// "billion laughs" stops at the first alias past the bound, before any copy is made), and no event past the
/// budget's time. Documents of a stream are bounded one by one, so a consumer may read them as a stream.
/// YamlDotNet's own errors all come out as <see cref="YamlException"/> (its scanner throws a few framework exceptions
/// on malformed input); a limit comes out as <see cref="BudgetExceededException"/>.
/// </summary>
public sealed class BoundedYamlParser : IParser
{
    private readonly Parser _inner;
    private readonly ParseMeter _meter;
    private readonly Stack<(AnchorName Anchor, long ItemsBefore)> _open = new();
    private readonly Dictionary<string, long> _anchorWeights = new(StringComparer.Ordinal);

    public BoundedYamlParser(TextReader reader, ParseMeter meter)
    {
        _inner = new Parser(reader);
        _meter = meter;
    }

    public ParseMeter Meter => _meter;

    public ParsingEvent? Current => _inner.Current;

    public bool MoveNext()
    {
        bool more;
        try
        {
            more = _inner.MoveNext();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            var at = _inner.Current?.End ?? Mark.Empty;
            throw new YamlException(at, at, FirstLine(e.Message), e);
        }
        if (more) Account(_inner.Current!);
        return more;
    }

    private void Account(ParsingEvent current)
    {
        switch (current)
        {
            case DocumentStart:
                // Each document of a stream gets the whole item budget; anchors do not cross documents.
                _meter.ResetItems();
                _anchorWeights.Clear();
                _meter.CheckTime();
                break;
            case Scalar scalar:
                _meter.Item();
                if (!scalar.Anchor.IsEmpty) _anchorWeights[scalar.Anchor.Value] = 1;
                break;
            case SequenceStart or MappingStart:
                _meter.Item();
                _open.Push((((NodeEvent)current).Anchor, _meter.Items - 1));
                _meter.Depth(_open.Count);
                break;
            case SequenceEnd or MappingEnd:
                if (_open.TryPop(out var closed) && !closed.Anchor.IsEmpty)
                    _anchorWeights[closed.Anchor.Value] = _meter.Items - closed.ItemsBefore;
                break;
            case AnchorAlias alias:
                // An alias is shared by whatever builds on it, but anything that walks the result visits the anchored
                // nodes once per alias: it counts as all of them. An alias to a collection still open counts as one.
                var weight = _anchorWeights.TryGetValue(alias.Value.Value, out var w) ? w : 1;
                if (_meter.Items + weight > _meter.Budget.MaxItems)
                    throw new BudgetExceededException(BudgetLimit.Items,
                        $"{_meter.What}: YAML aliases expand to more than {_meter.Budget.MaxItems} nodes (an alias bomb?)");
                _meter.Item(weight);
                break;
        }
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
