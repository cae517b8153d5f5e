using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using ZeroDrift.Core.Patterns;

namespace ZeroDrift.Runtime.Rules;

/// <summary>Why a rule cannot run: an unknown field, an operator that does not fit a field's type, a bad value.</summary>
public sealed class RuleCompileException(string message, string? missingField = null) : Exception(message)
{
    /// <summary>Set when the reason is a field the binding does not provide.</summary>
    public string? MissingField { get; } = missingField;
}

/// <summary>
/// Turns a resolved condition (macros inlined, lists expanded) into one delegate, composed once: each check becomes
/// a closure over its typed accessor and pre-parsed operand (hash sets for <c>in</c>, compiled regexes, parsed
/// networks), and <c>and</c>/<c>or</c> short-circuit over arrays of those closures. Nothing is interpreted or
/// allocated per event on the built-in operators (transformers other than <c>len</c> build a new string).
/// </summary>
internal sealed class ConditionCompiler<TEvent>(FieldTable<TEvent> fields)
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);

    public Func<TEvent, bool> Compile(Expr expr) => expr switch
    {
        ConstantExpr c => c.Value ? static _ => true : static _ => false,
        NotExpr n => Not(Compile(n.Child)),
        AndExpr a => And([.. a.Children.Select(Compile)]),
        OrExpr o => Or([.. o.Children.Select(Compile)]),
        CheckExpr c => Check(c),
        MacroRef m => throw new RuleCompileException($"undefined macro '{m.Name}' used in filter"),
        _ => throw new RuleCompileException($"unexpected expression {expr.GetType().Name}"),
    };

    private static Func<TEvent, bool> Not(Func<TEvent, bool> inner) => e => !inner(e);

    private static Func<TEvent, bool> And(Func<TEvent, bool>[] children) => children.Length switch
    {
        1 => children[0],
        2 => AndTwo(children[0], children[1]),
        _ => e =>
        {
            foreach (var c in children)
                if (!c(e)) return false;
            return true;
        },
    };

    private static Func<TEvent, bool> AndTwo(Func<TEvent, bool> a, Func<TEvent, bool> b) => e => a(e) && b(e);

    private static Func<TEvent, bool> Or(Func<TEvent, bool>[] children) => children.Length switch
    {
        1 => children[0],
        2 => OrTwo(children[0], children[1]),
        _ => e =>
        {
            foreach (var c in children)
                if (c(e)) return true;
            return false;
        },
    };

    private static Func<TEvent, bool> OrTwo(Func<TEvent, bool> a, Func<TEvent, bool> b) => e => a(e) || b(e);

    private BoundField<TEvent> Bind(FieldRef field)
    {
        var bound = fields.Bind(field, out var reason);
        if (bound is null)
            throw new RuleCompileException(reason!, reason!.Contains("not provided", StringComparison.Ordinal) ? field.Name : null);
        return bound;
    }

    private Func<TEvent, bool> Check(CheckExpr check)
    {
        var field = Bind(check.Field);
        var op = check.Operator == "==" ? "=" : check.Operator;
        if (op == "exists") return Exists(field);
        if (check.Operand is FieldOperand rhs) return CompareFields(field, op, Bind(rhs.Field));
        var values = check.Operand switch
        {
            ValueOperand v => [v.Value],
            ListOperand l => l.Items,
            ListNameOperand n => throw new RuleCompileException($"undefined list '{n.Name}' used in filter"),
            _ => throw new RuleCompileException($"operator '{op}' needs a value"),
        };
        return field.Kind switch
        {
            FieldKind.String => StringCheck(field.String, field.Name, op, values),
            FieldKind.Number => NumberCheck(field.Number, field.Name, op, values),
            FieldKind.Bool => BoolCheck(field.Bool, field.Name, op, values),
            FieldKind.Ip => IpCheck(field.Ip, field.Name, op, values),
            _ => ListCheck(field, op, values),
        };
    }

    private static Func<TEvent, bool> Exists(BoundField<TEvent> field) => field.Kind switch
    {
        FieldKind.String => Exists(field.String),
        FieldKind.Number => Exists(field.Number),
        FieldKind.Bool => Exists(field.Bool),
        FieldKind.Ip => Exists(field.Ip),
        _ => Exists(field.List),
    };

    private static Func<TEvent, bool> Exists<T>(Func<TEvent, T?> get) where T : class => e => get(e) is not null;

    private static Func<TEvent, bool> Exists<T>(Func<TEvent, T?> get) where T : struct => e => get(e).HasValue;

    private static Func<TEvent, bool> StringCheck(Func<TEvent, string?> get, string name, string op, IReadOnlyList<string> values)
    {
        // The most frequent checks in Falco's rules are fused with their accessor: one delegate call per check.
        var value = values.Count > 0 ? values[0] : "";
        switch (op)
        {
            case "=": return e => string.Equals(get(e), value, StringComparison.Ordinal);
            case "!=": return e => get(e) is { } v && !string.Equals(v, value, StringComparison.Ordinal);
            case "startswith": return e => get(e) is { } v && v.StartsWith(value, StringComparison.Ordinal);
            case "endswith": return e => get(e) is { } v && v.EndsWith(value, StringComparison.Ordinal);
            case "contains": return e => get(e) is { } v && v.Contains(value, StringComparison.Ordinal);
            case "in" or "intersects" when values.Count > 4:
                var set = new HashSet<string>(values, StringComparer.Ordinal);
                return e => get(e) is { } v && set.Contains(v);
        }
        var test = StringTest(name, op, values);
        return e => get(e) is { } v && test(v);
    }

    /// <summary>The operator and its constant operand as one test on an extracted string.</summary>
    private static Func<string, bool> StringTest(string name, string op, IReadOnlyList<string> values)
    {
        var value = values.Count > 0 ? values[0] : "";
        switch (op)
        {
            case "=": return v => string.Equals(v, value, StringComparison.Ordinal);
            case "!=": return v => !string.Equals(v, value, StringComparison.Ordinal);
            case "<": return v => string.CompareOrdinal(v, value) < 0;
            case "<=": return v => string.CompareOrdinal(v, value) <= 0;
            case ">": return v => string.CompareOrdinal(v, value) > 0;
            case ">=": return v => string.CompareOrdinal(v, value) >= 0;
            case "contains": return v => v.Contains(value, StringComparison.Ordinal);
            case "icontains": return v => v.Contains(value, StringComparison.OrdinalIgnoreCase);
            case "startswith": return v => v.StartsWith(value, StringComparison.Ordinal);
            case "endswith": return v => v.EndsWith(value, StringComparison.Ordinal);
            case "bcontains":
                var needle = HexBytes(name, value);
                return v => v.Contains(needle, StringComparison.Ordinal);
            case "bstartswith":
                var prefix = HexBytes(name, value);
                return v => v.StartsWith(prefix, StringComparison.Ordinal);
            case "glob":
            case "iglob":
                var glob = new Glob(value, op == "iglob");
                return glob.IsMatch;
            case "regex":
                Regex regex;
                try
                {
                    // Falco matches with RE2 anchored at both ends (FullMatch): RE2's syntax and refusals, on the
                    // linear-time engine.
                    regex = LinearRegex.CompileTranslated($"^(?:{Re2Translator.Translate(value)})\\z", RegexOptions.None, RegexTimeout);
                }
                catch (Exception e) when (e is Re2TranslationException or FormatException or OverflowException)
                {
                    throw new RuleCompileException($"invalid regex '{value}' for field '{name}': {e.Message}");
                }
                return v => Matches(regex, v);
            case "in":
            case "intersects":
                if (values.Count <= 4)
                {
                    var few = values.ToArray();
                    return v => Array.IndexOf(few, v) >= 0;
                }
                var set = new HashSet<string>(values, StringComparer.Ordinal);
                return set.Contains;
            case "pmatch":
                var paths = values.Select(p => p.Length > 1 ? p.TrimEnd('/') : p).ToArray();
                return v => PathPrefixMatch(paths, v);
            default:
                throw new RuleCompileException($"operator '{op}' is not supported for field '{name}'");
        }
    }

    private static bool Matches(Regex regex, string value)
    {
        try
        {
            return regex.IsMatch(value);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    /// <summary>pmatch: the value is one of the paths or lies below one of them.</summary>
    private static bool PathPrefixMatch(string[] paths, string value)
    {
        foreach (var p in paths)
        {
            if (!value.StartsWith(p, StringComparison.Ordinal)) continue;
            if (value.Length == p.Length || p == "/" || value[p.Length] == '/') return true;
        }
        return false;
    }

    /// <summary>bcontains/bstartswith take hex bytes; compared against the value's UTF-8 bytes read as Latin-1.</summary>
    private static string HexBytes(string name, string hex)
    {
        try
        {
            var bytes = Convert.FromHexString(hex);
            return Encoding.UTF8.GetString(bytes);
        }
        catch (FormatException)
        {
            throw new RuleCompileException($"'{hex}' is not a hex byte string for field '{name}'");
        }
    }

    private static long ParseNumber(string name, string text)
    {
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
            return hex;
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)) return number;
        throw new RuleCompileException($"'{text}' is not a number for field '{name}'");
    }

    private static Func<TEvent, bool> NumberCheck(Func<TEvent, long?> get, string name, string op, IReadOnlyList<string> values)
    {
        if (op is "in" or "intersects")
        {
            var set = values.Select(v => ParseNumber(name, v)).ToArray();
            return e => get(e) is { } v && Array.IndexOf(set, v) >= 0;
        }
        var n = ParseNumber(name, values.Count > 0 ? values[0] : "");
        return op switch
        {
            "=" => e => get(e) is { } v && v == n,
            "!=" => e => get(e) is { } v && v != n,
            "<" => e => get(e) is { } v && v < n,
            "<=" => e => get(e) is { } v && v <= n,
            ">" => e => get(e) is { } v && v > n,
            ">=" => e => get(e) is { } v && v >= n,
            _ => throw new RuleCompileException($"operator '{op}' is not supported for numeric field '{name}'"),
        };
    }

    private static bool ParseBool(string name, string text) => text.ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => throw new RuleCompileException($"'{text}' is not true or false for field '{name}'"),
    };

    private static Func<TEvent, bool> BoolCheck(Func<TEvent, bool?> get, string name, string op, IReadOnlyList<string> values)
    {
        if (op is "in" or "intersects")
        {
            var set = values.Select(v => ParseBool(name, v)).Distinct().ToArray();
            return e => get(e) is { } v && Array.IndexOf(set, v) >= 0;
        }
        var b = ParseBool(name, values.Count > 0 ? values[0] : "");
        return op switch
        {
            "=" => e => get(e) is { } v && v == b,
            "!=" => e => get(e) is { } v && v != b,
            _ => throw new RuleCompileException($"operator '{op}' is not supported for boolean field '{name}'"),
        };
    }

    /// <summary>An address or a CIDR network, as Falco accepts for IP and network fields.</summary>
    private static IPNetwork ParseNetwork(string name, string text)
    {
        if (IPNetwork.TryParse(text, out var network)) return network;
        if (IPAddress.TryParse(text, out var address))
            return new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        throw new RuleCompileException($"'{text}' is not an IP address or network for field '{name}'");
    }

    private static Func<TEvent, bool> IpCheck(Func<TEvent, IPAddress?> get, string name, string op, IReadOnlyList<string> values)
    {
        var networks = values.Select(v => ParseNetwork(name, v)).ToArray();
        return op switch
        {
            "=" or "in" or "intersects" => e => get(e) is { } v && InAny(networks, v),
            "!=" => e => get(e) is { } v && !InAny(networks, v),
            _ => throw new RuleCompileException($"operator '{op}' is not supported for IP field '{name}'"),
        };
    }

    private static bool InAny(IPNetwork[] networks, IPAddress address)
    {
        foreach (var n in networks)
            if (n.Contains(address)) return true;
        return false;
    }

    private static Func<TEvent, bool> ListCheck(BoundField<TEvent> field, string op, IReadOnlyList<string> values)
    {
        var get = field.List;
        var test = StringTest(field.Name, op, values);
        if (field.ListMatch == ListMatch.Set && op == "in")
        {
            return e =>
            {
                if (get(e) is not { Count: > 0 } list) return false;
                // Indexing, not foreach: enumerating an interface would box an enumerator per event.
                for (var i = 0; i < list.Count; i++)
                    if (!test(list[i])) return false;
                return true;
            };
        }
        if (field.ListMatch == ListMatch.Set && op is not ("intersects" or "in"))
            throw new RuleCompileException($"list field '{field.Name}' only supports operators 'exists', 'in' and 'intersects'");
        return e =>
        {
            if (get(e) is not { } list) return false;
            for (var i = 0; i < list.Count; i++)
                if (test(list[i])) return true;
            return false;
        };
    }

    /// <summary><c>field op val(other)</c>: both sides extracted from the same event; types must agree, as in libsinsp.</summary>
    private static Func<TEvent, bool> CompareFields(BoundField<TEvent> left, string op, BoundField<TEvent> right)
    {
        if (left.Kind != right.Kind)
            throw new RuleCompileException($"field '{left.Name}' has type {left.Kind} while the right-hand side field '{right.Name}' has incompatible type {right.Kind}");
        switch (left.Kind)
        {
            case FieldKind.String:
                var l = left.String;
                var r = right.String;
                Func<string, string, bool> cmp = op switch
                {
                    "=" or "in" or "intersects" => static (a, b) => string.Equals(a, b, StringComparison.Ordinal),
                    "!=" => static (a, b) => !string.Equals(a, b, StringComparison.Ordinal),
                    "contains" => static (a, b) => a.Contains(b, StringComparison.Ordinal),
                    "icontains" => static (a, b) => a.Contains(b, StringComparison.OrdinalIgnoreCase),
                    "startswith" => static (a, b) => a.StartsWith(b, StringComparison.Ordinal),
                    "endswith" => static (a, b) => a.EndsWith(b, StringComparison.Ordinal),
                    "<" => static (a, b) => string.CompareOrdinal(a, b) < 0,
                    "<=" => static (a, b) => string.CompareOrdinal(a, b) <= 0,
                    ">" => static (a, b) => string.CompareOrdinal(a, b) > 0,
                    ">=" => static (a, b) => string.CompareOrdinal(a, b) >= 0,
                    _ => throw new RuleCompileException($"operator '{op}' cannot compare field '{left.Name}' with a field"),
                };
                return e => l(e) is { } a && r(e) is { } b && cmp(a, b);
            case FieldKind.Number:
                var ln = left.Number;
                var rn = right.Number;
                Func<long, long, bool> ncmp = op switch
                {
                    "=" or "in" or "intersects" => static (a, b) => a == b,
                    "!=" => static (a, b) => a != b,
                    "<" => static (a, b) => a < b,
                    "<=" => static (a, b) => a <= b,
                    ">" => static (a, b) => a > b,
                    ">=" => static (a, b) => a >= b,
                    _ => throw new RuleCompileException($"operator '{op}' cannot compare field '{left.Name}' with a field"),
                };
                return e => ln(e) is { } a && rn(e) is { } b && ncmp(a, b);
            case FieldKind.Ip when op is "=" or "!=":
                var li = left.Ip;
                var ri = right.Ip;
                var equal = op == "=";
                return e => li(e) is { } a && ri(e) is { } b && a.Equals(b) == equal;
            default:
                throw new RuleCompileException($"operator '{op}' cannot compare field '{left.Name}' with a field");
        }
    }
}
