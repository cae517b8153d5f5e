using System.Globalization;
using System.Text;
using ZeroDrift.Misconfig.Documents;

namespace ZeroDrift.Misconfig.Iac.Terraform;

/// <summary>
/// Terraform's pure functions that checks meet in practice (string, collection, encoding and type conversions).
/// Arguments that are not static, and every other function (file reads, time, hashes of files, provider functions),
/// give an unknown value named after the call: nothing is read from disk or the network.
/// </summary>
internal static class HclFunctions
{
    public static DocNode Call(HclEvaluator ev, HclCall c)
    {
        var unknown = HclEvaluator.Unknown(c.Line, c.Name + "(…)");
        // try and can are lazy: an argument that cannot be evaluated is not an error.
        if (c.Name == "try")
        {
            foreach (var a in c.Args)
            {
                var v = ev.Evaluate(a);
                if (!HclEvaluator.IsUnknown(v)) return v;
            }
            return unknown;
        }
        var args = c.Args.Select(ev.Evaluate).ToList();
        if (c.ExpandFinal && args.Count > 0)
        {
            if (args[^1] is not SeqNode last) return unknown;
            args = [.. args.Take(args.Count - 1), .. last.Children];
        }
        // jsonencode keeps its structure (an IAM policy written in HCL stays readable to the checks) even when parts are unknown.
        if (c.Name == "jsonencode" && args.Count == 1) return args[0];
        if (args.Any(HclEvaluator.IsUnknown) && c.Name is not ("coalesce" or "concat" or "merge" or "compact" or "tolist" or "toset" or "flatten")) return unknown;
        var at = new Mark(c.Line, 1);
        ScalarNode Str(string s) => new(at, s, ScalarType.String);
        string? S(int i) => i < args.Count && args[i] is ScalarNode { Type: not ScalarType.Unknown and not ScalarType.Null } s ? s.Value : null;
        try
        {
            switch (c.Name)
            {
                case "lower": return S(0) is { } lo ? Str(lo.ToLowerInvariant()) : unknown;
                case "upper": return S(0) is { } up ? Str(up.ToUpperInvariant()) : unknown;
                case "trimspace": return S(0) is { } tr ? Str(tr.Trim()) : unknown;
                case "tostring": return S(0) is { } ts ? Str(ts) : unknown;
                case "tonumber": return S(0) is { } tn && double.TryParse(tn, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? HclEvaluator.Num(c, d) : unknown;
                case "tobool": return args.Count == 1 && (args[0].Bool ?? ScalarNode.ParseBool(S(0) ?? "")) is { } b ? HclEvaluator.Bool(c, b) : unknown;
                case "tolist" or "toset" or "tomap": return args.Count == 1 ? args[0] : unknown;
                case "jsondecode": return S(0) is { } json ? HclEvaluator.FromJsonText(json) ?? unknown : unknown;
                case "join": return S(0) is { } sep && args.Count == 2 && args[1] is SeqNode js && js.Children.All(x => x is ScalarNode { Type: not ScalarType.Unknown })
                    ? Str(string.Join(sep, js.Children.Select(x => ((ScalarNode)x).Value))) : unknown;
                case "split": return S(0) is { } ss && S(1) is { } sv ? new SeqNode(at, [.. sv.Split(ss).Select(Str)]) : unknown;
                case "replace": return S(0) is { } rs && S(1) is { } rf && S(2) is { } rt && !(rf.StartsWith('/') && rf.EndsWith('/')) && rf.Length > 0 ? Str(rs.Replace(rf, rt, StringComparison.Ordinal)) : unknown;
                case "format": return Format(args, S(0), c) ?? unknown;
                case "length": return args.Count == 1 ? HclEvaluator.Num(c, args[0] switch { SeqNode q => q.Children.Count, MapNode m => m.Pairs.Count, ScalarNode s => s.Value.Length, _ => 0 }) : unknown;
                case "concat": return args.All(a => a is SeqNode) ? new SeqNode(at, [.. args.SelectMany(a => a.Items)]) : unknown;
                case "flatten": return args.Count == 1 && args[0] is SeqNode fl ? new SeqNode(at, [.. Flatten(fl)]) : unknown;
                case "compact": return args.Count == 1 && args[0] is SeqNode cq ? new SeqNode(at, [.. cq.Children.Where(x => x is ScalarNode { Type: not ScalarType.Null } s && s.Value.Length > 0)]) : unknown;
                case "distinct": return args.Count == 1 && args[0] is SeqNode dq ? new SeqNode(at, [.. dq.Children.Where((x, i) => dq.Children.Take(i).All(y => !HclEvaluator.Same(x, y)))]) : unknown;
                case "merge":
                {
                    if (!args.All(a => a is MapNode or ScalarNode { Type: ScalarType.Null })) return unknown;
                    var pairs = new List<MapEntry>();
                    foreach (var m in args.OfType<MapNode>())
                        foreach (var p in m.Pairs) { pairs.RemoveAll(x => x.Key == p.Key); pairs.Add(p); }
                    return new MapNode(at, pairs);
                }
                case "coalesce":
                    foreach (var a in args)
                    {
                        if (HclEvaluator.IsUnknown(a)) return unknown;
                        if (a is ScalarNode { Type: not ScalarType.Null } s && s.Value.Length > 0) return a;
                    }
                    return unknown;
                case "lookup":
                    if (args.Count is 2 or 3 && args[0] is MapNode lm && S(1) is { } lk) return lm.Get(lk) ?? (args.Count == 3 ? args[2] : unknown);
                    return unknown;
                case "element": return args.Count == 2 && args[0] is SeqNode eq && eq.Children.Count > 0 && args[1].Int is { } ei ? eq.Children[(int)(ei % eq.Children.Count)] : unknown;
                case "contains": return args.Count == 2 && args[0] is SeqNode cs ? HclEvaluator.Bool(c, cs.Children.Any(x => HclEvaluator.Same(x, args[1]))) : unknown;
                case "keys": return args.Count == 1 && args[0] is MapNode km ? new SeqNode(at, [.. km.Pairs.Select(p => (DocNode)Str(p.Key))]) : unknown;
                case "values": return args.Count == 1 && args[0] is MapNode vm ? new SeqNode(at, [.. vm.Pairs.Select(p => p.Value)]) : unknown;
                case "can": return args.Count == 1 ? HclEvaluator.Bool(c, !HclEvaluator.IsUnknown(args[0])) : unknown;
                case "min" or "max":
                {
                    var nums = args.Select(HclEvaluator.Number).ToList();
                    if (nums.Count == 0 || nums.Any(n => n is null)) return unknown;
                    return HclEvaluator.Num(c, c.Name == "min" ? nums.Min()!.Value : nums.Max()!.Value);
                }
                default: return unknown;
            }
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException or OverflowException)
        {
            return unknown;
        }
    }

    private static IEnumerable<DocNode> Flatten(SeqNode q)
    {
        foreach (var x in q.Children)
            if (x is SeqNode inner) foreach (var y in Flatten(inner)) yield return y;
            else yield return x;
    }

    private static DocNode? Format(List<DocNode> args, string? spec, HclCall c)
    {
        if (spec is null) return null;
        var sb = new StringBuilder();
        var next = 1;
        for (var i = 0; i < spec.Length; i++)
        {
            if (spec[i] != '%' || i + 1 >= spec.Length) { sb.Append(spec[i]); continue; }
            var verb = spec[++i];
            if (verb == '%') { sb.Append('%'); continue; }
            if (next >= args.Count || args[next] is not ScalarNode { Type: not ScalarType.Unknown } a) return null;
            next++;
            if (verb is not ('s' or 'd' or 'v')) return null;
            sb.Append(a.Value);
        }
        return new ScalarNode(new Mark(c.Line, 1), sb.ToString(), ScalarType.String);
    }
}
