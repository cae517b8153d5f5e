namespace ZeroDrift.Runtime.Rules;

/// <summary>
/// Inlines macros and expands list references the way Falco's rule compiler does: a bare identifier is a macro,
/// an item of a parenthesised list (or the identifier after <c>in</c>) that names a list is replaced by that list's
/// items, recursively. Cycles and expansions that blow up are errors of the rule, not a hang.
/// </summary>
internal sealed class ConditionResolver(RuleSet ruleSet)
{
    public const int MaxNodes = 100_000;

    /// <summary>Most items one list reference may expand to: lists naming lists multiply (ten lists each naming the
    /// previous ten times are 10^10 items), so the expanded size is counted before anything is expanded.</summary>
    public const int MaxListItems = 100_000;

    /// <summary>Deepest chain of lists naming lists, and of macros using macros (Falco's own files nest a few levels).</summary>
    public const int MaxReferenceDepth = 100;

    private readonly Dictionary<string, (long Items, int Depth)> _listSizes = new(StringComparer.Ordinal);

    private readonly Dictionary<string, Expr> _parsedMacros = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<string>> _expandedLists = new(StringComparer.Ordinal);
    private int _nodes;

    /// <summary>Macros and lists a condition used, for "unused" reporting and documentation.</summary>
    public HashSet<string> UsedMacros { get; } = new(StringComparer.Ordinal);

    public Expr Resolve(Expr expr)
    {
        _nodes = 0;
        return Resolve(expr, []);
    }

    private Expr Resolve(Expr expr, List<string> macroStack)
    {
        if (++_nodes > MaxNodes) throw new RuleCompileException($"condition has more than {MaxNodes} checks after macro expansion");
        switch (expr)
        {
            case AndExpr a: return new AndExpr([.. a.Children.Select(c => Resolve(c, macroStack))]);
            case OrExpr o: return new OrExpr([.. o.Children.Select(c => Resolve(c, macroStack))]);
            case NotExpr n: return new NotExpr(Resolve(n.Child, macroStack));
            case MacroRef m:
                if (macroStack.Contains(m.Name, StringComparer.Ordinal))
                    throw new RuleCompileException($"macro '{m.Name}' refers to itself ({string.Join(" -> ", macroStack)} -> {m.Name})");
                if (macroStack.Count >= MaxReferenceDepth)
                    throw new RuleCompileException($"macros nest deeper than {MaxReferenceDepth} levels ({macroStack[0]} -> … -> {m.Name})");
                UsedMacros.Add(m.Name);
                macroStack.Add(m.Name);
                var resolved = Resolve(Macro(m.Name), macroStack);
                macroStack.RemoveAt(macroStack.Count - 1);
                return resolved;
            case CheckExpr c:
                return c.Operand switch
                {
                    ListOperand l => c with { Operand = new ListOperand(ExpandItems(l.Items, [])) },
                    ListNameOperand n => ruleSet.Lists.ContainsKey(n.Name)
                        ? c with { Operand = new ListOperand(List(n.Name, [])) }
                        : throw new RuleCompileException($"undefined list '{n.Name}' used in filter"),
                    _ => c,
                };
            default:
                return expr;
        }
    }

    private Expr Macro(string name)
    {
        if (_parsedMacros.TryGetValue(name, out var parsed)) return parsed;
        if (!ruleSet.Macros.TryGetValue(name, out var macro))
            throw new RuleCompileException($"undefined macro '{name}' used in filter");
        try
        {
            parsed = ConditionParser.Parse(macro.Condition);
        }
        catch (ConditionSyntaxException e)
        {
            throw new RuleCompileException($"macro '{name}': {e.Message}");
        }
        _parsedMacros[name] = parsed;
        return parsed;
    }

    private IReadOnlyList<string> ExpandItems(IReadOnlyList<string> items, List<string> listStack)
    {
        if (!items.Any(ruleSet.Lists.ContainsKey)) return items;
        if (listStack.Count == 0)
        {
            // The top of an expansion: what it would make is counted first, without expanding or recursing.
            long total = 0;
            foreach (var item in items)
            {
                var (count, depth) = ruleSet.Lists.ContainsKey(item) ? Measure(item) : (1, 0);
                if (depth > MaxReferenceDepth) throw new RuleCompileException($"list '{item}' nests lists deeper than {MaxReferenceDepth} levels");
                total = Math.Min(total + count, long.MaxValue / 2);
            }
            if (total > MaxListItems)
            {
                var names = items.Where(ruleSet.Lists.ContainsKey).Distinct(StringComparer.Ordinal).ToList();
                throw new RuleCompileException(names.Count == 1
                    ? $"list '{names[0]}' expands to {total} items, more than {MaxListItems}"
                    : $"lists {string.Join(", ", names.Select(n => $"'{n}'"))} expand to {total} items, more than {MaxListItems}");
            }
        }
        var result = new List<string>();
        foreach (var item in items)
        {
            if (ruleSet.Lists.ContainsKey(item)) result.AddRange(List(item, listStack));
            else result.Add(item);
        }
        return result;
    }

    private IReadOnlyList<string> List(string name, List<string> listStack)
    {
        if (_expandedLists.TryGetValue(name, out var done)) return done;
        if (listStack.Count == 0)
        {
            var (count, depth) = Measure(name);
            if (depth > MaxReferenceDepth) throw new RuleCompileException($"list '{name}' nests lists deeper than {MaxReferenceDepth} levels");
            if (count > MaxListItems) throw new RuleCompileException($"list '{name}' expands to {count} items, more than {MaxListItems}");
        }
        if (listStack.Contains(name, StringComparer.Ordinal))
            throw new RuleCompileException($"list '{name}' refers to itself");
        listStack.Add(name);
        var items = ExpandItems([.. ruleSet.Lists[name].Items.Select(Unquote)], listStack);
        listStack.RemoveAt(listStack.Count - 1);
        _expandedLists[name] = items;
        return items;
    }

    /// <summary>
    /// How many items a list expands to (saturating) and how deep its lists nest, from the definitions alone: an
    /// explicit stack instead of recursion, so that neither a long chain of lists nor an exponential one costs more
    /// than one visit per list. A cycle is the list's error, as in the expansion.
    /// </summary>
    private (long Items, int Depth) Measure(string root)
    {
        if (_listSizes.TryGetValue(root, out var known)) return known;
        var onPath = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<(string Name, bool Expanded)>();
        stack.Push((root, false));
        while (stack.Count > 0)
        {
            var (name, expanded) = stack.Pop();
            if (_listSizes.ContainsKey(name)) continue;
            var items = ruleSet.Lists[name].Items;
            if (!expanded)
            {
                if (!onPath.Add(name)) throw new RuleCompileException($"list '{name}' refers to itself");
                stack.Push((name, true));
                foreach (var item in items)
                {
                    var unquoted = Unquote(item);
                    if (ruleSet.Lists.ContainsKey(unquoted) && !_listSizes.ContainsKey(unquoted))
                    {
                        if (onPath.Contains(unquoted)) throw new RuleCompileException($"list '{unquoted}' refers to itself");
                        stack.Push((unquoted, false));
                    }
                }
                continue;
            }
            long count = 0;
            var depth = 0;
            foreach (var item in items)
            {
                var unquoted = Unquote(item);
                if (_listSizes.TryGetValue(unquoted, out var inner) && ruleSet.Lists.ContainsKey(unquoted))
                {
                    count = Math.Min(count + inner.Items, long.MaxValue / 2);
                    depth = Math.Max(depth, inner.Depth);
                }
                else count++;
            }
            _listSizes[name] = (count, depth + 1);
            onPath.Remove(name);
        }
        return _listSizes[root];
    }

    /// <summary>List items written with their own quotes (<c>'"/usr/bin"'</c>) stand for the unquoted value.</summary>
    private static string Unquote(string item) =>
        item.Length >= 2 && ((item[0] == '"' && item[^1] == '"') || (item[0] == '\'' && item[^1] == '\'')) ? item[1..^1] : item;
}

/// <summary>
/// The event types a condition can match, computed as Falco does: <c>evt.type = x</c> and <c>evt.type in (…)</c>
/// give sets, <c>!=</c> and <c>not</c> give complements, <c>and</c> intersects and <c>or</c> unites; every other check
/// can match any type. A complement is kept as "all but these", so no universe of types is needed.
/// </summary>
public sealed record EventTypeSet(bool AllExcept, IReadOnlySet<string> Types)
{
    public static readonly EventTypeSet Any = new(true, new HashSet<string>()) { Exact = false };

    /// <summary>
    /// The set is exactly the types the expression matches (it tests only evt.type), not a superset. Only an exact
    /// set may be complemented under <c>not</c>: <c>not (evt.type = open and proc.name = x)</c> still matches opens.
    /// </summary>
    public bool Exact { get; init; } = true;

    public bool IsAny => AllExcept && Types.Count == 0;

    public bool Contains(string type) => AllExcept != Types.Contains(type);

    public static EventTypeSet Of(Expr expr) => expr switch
    {
        AndExpr a => a.Children.Select(Of).Aggregate(Any with { Exact = true }, Intersect),
        OrExpr o => o.Children.Select(Of).Aggregate(new EventTypeSet(false, new HashSet<string>()), Union),
        NotExpr n => Of(n.Child) is { Exact: true } inner ? new(!inner.AllExcept, inner.Types) : Any,
        CheckExpr { Field: { Name: "evt.type", Argument: null, Transformers.Count: 0 } } c => Check(c),
        ConstantExpr { Value: false } => new(false, new HashSet<string>()),
        ConstantExpr { Value: true } => Any with { Exact = true },
        _ => Any,
    };

    private static EventTypeSet Check(CheckExpr c) => (c.Operator, c.Operand) switch
    {
        ("=" or "==", ValueOperand v) => new(false, new HashSet<string> { v.Value }),
        ("in", ListOperand l) => new(false, l.Items.ToHashSet(StringComparer.Ordinal)),
        ("!=", ValueOperand v) => new(true, new HashSet<string> { v.Value }),
        _ => Any,
    };

    private static EventTypeSet Intersect(EventTypeSet a, EventTypeSet b) => ((a.AllExcept, b.AllExcept) switch
    {
        (false, false) => new EventTypeSet(false, a.Types.Where(b.Types.Contains).ToHashSet(StringComparer.Ordinal)),
        (false, true) => new(false, a.Types.Where(t => !b.Types.Contains(t)).ToHashSet(StringComparer.Ordinal)),
        (true, false) => new(false, b.Types.Where(t => !a.Types.Contains(t)).ToHashSet(StringComparer.Ordinal)),
        _ => new(true, a.Types.Union(b.Types).ToHashSet(StringComparer.Ordinal)),
    }) with { Exact = a.Exact && b.Exact };

    private static EventTypeSet Union(EventTypeSet a, EventTypeSet b) => ((a.AllExcept, b.AllExcept) switch
    {
        (false, false) => new EventTypeSet(false, a.Types.Union(b.Types).ToHashSet(StringComparer.Ordinal)),
        (false, true) => new(true, b.Types.Where(t => !a.Types.Contains(t)).ToHashSet(StringComparer.Ordinal)),
        (true, false) => new(true, a.Types.Where(t => !b.Types.Contains(t)).ToHashSet(StringComparer.Ordinal)),
        _ => new(true, a.Types.Where(b.Types.Contains).ToHashSet(StringComparer.Ordinal)),
    }) with { Exact = a.Exact && b.Exact };

    public override string ToString() => IsAny ? "any" : (AllExcept ? "all but " : "") + string.Join(",", Types.Order(StringComparer.Ordinal));
}
