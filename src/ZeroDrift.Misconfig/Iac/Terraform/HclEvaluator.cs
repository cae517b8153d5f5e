using System.Globalization;
using System.Text;
using System.Text.Json;
using ZeroDrift.Misconfig.Documents;

namespace ZeroDrift.Misconfig.Iac.Terraform;

/// <summary>
/// Evaluates HCL expressions to <see cref="DocNode"/> values where they are static: literals, templates of static
/// parts, <c>var.*</c> (defaults, .tfvars, a module call's arguments), <c>local.*</c> (resolved on demand, a cycle
/// is unknown), for-expressions, conditionals, operators and a set of pure functions. Anything that depends on
/// what is applied (a resource's attribute, <c>data.*</c>, a function of files) becomes an
/// <see cref="ScalarType.Unknown"/> scalar holding the expression's text, which checks treat as neither true nor false.
/// Work is bounded: every value built counts against <see cref="MaxValues"/>.
/// </summary>
public sealed class HclEvaluator
{
    public const long MaxValues = 1_000_000;

    private readonly IReadOnlyDictionary<string, DocNode> _variables;
    private readonly IReadOnlyDictionary<string, HclExpr> _locals;
    private readonly Dictionary<string, DocNode> _localValues = new(StringComparer.Ordinal);
    private readonly HashSet<string> _resolving = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DocNode> _scope = new(StringComparer.Ordinal);
    private readonly string _modulePath;
    private long _values;
    private int _depth;

    public HclEvaluator(IReadOnlyDictionary<string, DocNode> variables, IReadOnlyDictionary<string, HclExpr> locals, string modulePath)
    {
        _variables = variables;
        _locals = locals;
        _modulePath = modulePath;
    }

    public static ScalarNode Unknown(int line, string text) => new(new Mark(line, 1), text, ScalarType.Unknown);

    public static bool IsUnknown(DocNode? n) => n is ScalarNode { Type: ScalarType.Unknown };

    private void Count()
    {
        if (++_values > MaxValues) throw new HclException($"evaluating the module took more than {MaxValues} values");
    }

    /// <summary>A value with extra names in scope (a for-expression's or a dynamic block's iterators).</summary>
    public DocNode With(IReadOnlyDictionary<string, DocNode> names, Func<DocNode> evaluate)
    {
        // Scopes nest rarely and hold one or two names: save what they shadow in a small array, not a dictionary.
        var saved = new (string Key, DocNode? Value)[names.Count];
        var i = 0;
        foreach (var (k, v) in names)
        {
            saved[i++] = (k, _scope.TryGetValue(k, out var old) ? old : null);
            _scope[k] = v;
        }
        try { return evaluate(); }
        finally
        {
            foreach (var (k, old) in saved)
                if (old is null) _scope.Remove(k);
                else _scope[k] = old;
        }
    }

    public DocNode Evaluate(HclExpr e)
    {
        Count();
        if (++_depth > 200) throw new HclException($"line {e.Line}: expressions evaluate deeper than 200 levels");
        try { return Eval(e); }
        finally { _depth--; }
    }

    private static Mark At(HclExpr e) => new(e.Line, 1);

    private DocNode Eval(HclExpr e)
    {
        switch (e)
        {
            case HclLiteral l:
                return l.Value switch
                {
                    null => new ScalarNode(At(e), "", ScalarType.Null),
                    bool b => new ScalarNode(At(e), b ? "true" : "false", ScalarType.Bool),
                    long n => new ScalarNode(At(e), n.ToString(CultureInfo.InvariantCulture), ScalarType.Int),
                    double d => new ScalarNode(At(e), d.ToString("R", CultureInfo.InvariantCulture), ScalarType.Float),
                    string s => new ScalarNode(At(e), s, ScalarType.String),
                    _ => Unknown(e.Line, "?"),
                };
            case HclTemplate t:
                return Template(t);
            case HclTemplateDirective d:
                return Unknown(d.Line, "%{" + d.Keyword + "}");
            case HclTuple t:
                return new SeqNode(At(e), [.. t.Items.Select(Evaluate)]);
            case HclObject o:
            {
                var pairs = new List<MapEntry>();
                foreach (var (k, v) in o.Items)
                {
                    // A bare name as a key is the name itself, not a variable.
                    var key = k is HclTraversal { Steps.Count: 0 } bare ? bare.Root : Evaluate(k) is ScalarNode { Type: not ScalarType.Unknown } ks ? ks.Value : null;
                    if (key is null) return Unknown(e.Line, "{…}");
                    pairs.Add(new MapEntry(key, At(k), Evaluate(v)));
                }
                return new MapNode(At(e), pairs);
            }
            case HclTraversal t:
                return Traverse(t);
            case HclPostfix p:
                return Steps(Evaluate(p.Target), p.Steps, p.Line, "(…)");
            case HclConditional c:
            {
                var cond = Evaluate(c.Condition);
                return cond.Bool switch { true => Evaluate(c.True), false => Evaluate(c.False), _ => Unknown(e.Line, "(… ? … : …)") };
            }
            case HclUnary u:
            {
                var v = Evaluate(u.Operand);
                if (u.Op == "!" && v.Bool is { } b) return Bool(e, !b);
                if (u.Op == "-" && Number(v) is { } n) return Num(e, -n);
                return Unknown(e.Line, u.Op + "…");
            }
            case HclBinary b:
                return BinaryOp(b);
            case HclCall c:
                return HclFunctions.Call(this, c);
            case HclFor f:
                return For(f);
            default:
                return Unknown(e.Line, "?");
        }
    }

    private DocNode Template(HclTemplate t)
    {
        // "${expr}" alone is the value itself, not its text (Terraform's rule): "${var.list}" is still a list.
        if (t.Parts is [var only] && only is not HclLiteral and not HclTemplateDirective) return Evaluate(only);
        var sb = new StringBuilder();
        var known = true;
        foreach (var part in t.Parts)
        {
            var v = Evaluate(part);
            if (v is ScalarNode { Type: not ScalarType.Unknown } s) sb.Append(s.Value);
            else
            {
                known = false;
                sb.Append("${").Append(v is ScalarNode u ? u.Value : "…").Append('}');
            }
            if (sb.Length > HclParser.DefaultMaxHeredocChars) throw new HclException($"line {t.Line}: a template grows past {HclParser.DefaultMaxHeredocChars} characters");
        }
        return new ScalarNode(At(t), sb.ToString(), known ? ScalarType.String : ScalarType.Unknown);
    }

    private DocNode Traverse(HclTraversal t)
    {
        if (_scope.TryGetValue(t.Root, out var scoped)) return Steps(scoped, t.Steps, t.Line, t.ToString());
        var rest = t.Steps.Skip(1).ToList();
        if (t.Root == "var" && t.Steps.Count > 0 && t.Steps[0] is HclAttrStep v)
            return _variables.TryGetValue(v.Name, out var value) ? Steps(value, rest, t.Line, t.ToString()) : Unknown(t.Line, t.ToString());
        if (t.Root == "local" && t.Steps.Count > 0 && t.Steps[0] is HclAttrStep l) return Steps(Local(l.Name, t.Line), rest, t.Line, t.ToString());
        if (t.Root == "path" && t.Steps is [HclAttrStep { Name: "module" or "root" or "cwd" }]) return new ScalarNode(At(t), _modulePath, ScalarType.String);
        return Unknown(t.Line, t.ToString());
    }

    private DocNode Local(string name, int line)
    {
        if (_localValues.TryGetValue(name, out var known)) return known;
        if (!_locals.TryGetValue(name, out var expr) || !_resolving.Add(name)) return Unknown(line, "local." + name);
        try
        {
            var value = Evaluate(expr);
            _localValues[name] = value;
            return value;
        }
        finally { _resolving.Remove(name); }
    }

    private DocNode Steps(DocNode value, IReadOnlyList<HclStep> steps, int line, string text)
    {
        for (var i = 0; i < steps.Count; i++)
        {
            if (IsUnknown(value)) return Unknown(line, text);
            switch (steps[i])
            {
                case HclAttrStep a:
                    value = value[a.Name] ?? (value is MapNode ? Unknown(line, text) : Unknown(line, text));
                    break;
                case HclIndexStep x:
                {
                    var index = Evaluate(x.Index);
                    if (value is SeqNode q && index.Int is { } n) value = n >= 0 && n < q.Children.Count ? q.Children[(int)n] : Unknown(line, text);
                    else if (value is MapNode m && index is ScalarNode { Type: not ScalarType.Unknown } k) value = m.Get(k.Value) ?? Unknown(line, text);
                    else return Unknown(line, text);
                    break;
                }
                case HclSplatStep:
                {
                    var rest = steps.Skip(i + 1).ToList();
                    var items = value is SeqNode q ? q.Children : value is ScalarNode { Type: ScalarType.Null } ? [] : [value];
                    return new SeqNode(value.Start, [.. items.Select(item => Steps(item, rest, line, text))]);
                }
            }
        }
        return value;
    }

    internal static double? Number(DocNode v) => v is ScalarNode { Type: ScalarType.Int or ScalarType.Float or ScalarType.String } s
        && double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

    internal static ScalarNode Bool(HclExpr e, bool b) => new(At(e), b ? "true" : "false", ScalarType.Bool);

    internal static ScalarNode Num(HclExpr e, double d) => d == Math.Floor(d) && Math.Abs(d) < 1e15
        ? new ScalarNode(At(e), ((long)d).ToString(CultureInfo.InvariantCulture), ScalarType.Int)
        : new ScalarNode(At(e), d.ToString("R", CultureInfo.InvariantCulture), ScalarType.Float);

    private DocNode BinaryOp(HclBinary b)
    {
        var l = Evaluate(b.Left);
        if (b.Op == "&&" && l.Bool == false) return Bool(b, false);
        if (b.Op == "||" && l.Bool == true) return Bool(b, true);
        var r = Evaluate(b.Right);
        if (IsUnknown(l) || IsUnknown(r)) return Unknown(b.Line, "(… " + b.Op + " …)");
        switch (b.Op)
        {
            case "&&": return r.Bool is { } rb ? Bool(b, rb) : Unknown(b.Line, "&&");
            case "||": return r.Bool is { } ob ? Bool(b, ob) : Unknown(b.Line, "||");
            case "==": return Bool(b, Same(l, r));
            case "!=": return Bool(b, !Same(l, r));
        }
        if (Number(l) is not { } x || Number(r) is not { } y) return Unknown(b.Line, b.Op);
        return b.Op switch
        {
            "+" => Num(b, x + y),
            "-" => Num(b, x - y),
            "*" => Num(b, x * y),
            "/" => y == 0 ? Unknown(b.Line, "/ 0") : Num(b, x / y),
            "%" => y == 0 ? Unknown(b.Line, "% 0") : Num(b, x % y),
            "<" => Bool(b, x < y),
            ">" => Bool(b, x > y),
            "<=" => Bool(b, x <= y),
            ">=" => Bool(b, x >= y),
            _ => Unknown(b.Line, b.Op),
        };
    }

    internal static bool Same(DocNode a, DocNode b) => (a, b) switch
    {
        (ScalarNode x, ScalarNode y) when Number(x) is { } m && Number(y) is { } n && x.Type != ScalarType.String && y.Type != ScalarType.String => m == n,
        (ScalarNode x, ScalarNode y) => x.Type == y.Type && x.Value == y.Value,
        (SeqNode x, SeqNode y) => x.Children.Count == y.Children.Count && x.Children.Zip(y.Children).All(p => Same(p.First, p.Second)),
        (MapNode x, MapNode y) => x.Pairs.Count == y.Pairs.Count && x.Pairs.All(p => y.Get(p.Key) is { } o && Same(p.Value, o)),
        _ => false,
    };

    private DocNode For(HclFor f)
    {
        var coll = Evaluate(f.Collection);
        IEnumerable<(DocNode Key, DocNode Value)> items = coll switch
        {
            SeqNode q => q.Children.Select((v, i) => ((DocNode)new ScalarNode(v.Start, i.ToString(CultureInfo.InvariantCulture), ScalarType.Int), v)),
            MapNode m => m.Pairs.Select(p => ((DocNode)new ScalarNode(p.KeyMark, p.Key, ScalarType.String), p.Value)),
            _ => [],
        };
        if (coll is not (SeqNode or MapNode)) return Unknown(f.Line, "[for …]");
        var list = new List<DocNode>();
        var pairs = new List<MapEntry>();
        foreach (var (key, value) in items)
        {
            var names = new Dictionary<string, DocNode> { [f.ValueVar] = value };
            if (f.KeyVar is not null) names[f.KeyVar] = key;
            var unknown = false;
            With(names, () =>
            {
                if (f.Condition is not null)
                {
                    var c = Evaluate(f.Condition).Bool;
                    if (c is null) { unknown = true; return key; }
                    if (c == false) return key;
                }
                var v = Evaluate(f.ValueExpr);
                if (f.KeyExpr is null) list.Add(v);
                else if (Evaluate(f.KeyExpr) is ScalarNode { Type: not ScalarType.Unknown } k)
                {
                    if (f.Grouping)
                    {
                        var existing = pairs.FindIndex(p => p.Key == k.Value);
                        if (existing < 0) pairs.Add(new MapEntry(k.Value, k.Start, new SeqNode(v.Start, [v])));
                        else pairs[existing] = pairs[existing] with { Value = new SeqNode(v.Start, [.. pairs[existing].Value.Items, v]) };
                    }
                    else pairs.Add(new MapEntry(k.Value, k.Start, v));
                }
                else unknown = true;
                return key;
            });
            if (unknown) return Unknown(f.Line, "[for …]");
        }
        return f.KeyExpr is null ? new SeqNode(At(f), list) : new MapNode(At(f), pairs);
    }

    /// <summary>A JSON text as a value tree (jsondecode, policies given as JSON strings).</summary>
    internal static DocNode? FromJsonText(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
            return YamlDocuments.FromJson(doc.RootElement);
        }
        catch (Exception e) when (e is JsonException or DocumentException)
        {
            return null;
        }
    }
}
