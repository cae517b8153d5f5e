using System.Collections.Concurrent;
using ZeroDrift.Misconfig.Documents;

namespace ZeroDrift.Misconfig.Iac.Terraform;

/// <summary>
/// The Terraform files of one target, gathered as the scan reads them (in parallel) and evaluated once all are in:
/// Terraform's unit is a directory (a module), not a file. Each directory no other directory calls is a root module:
/// its variables take their defaults, then <c>terraform.tfvars</c> and <c>*.auto.tfvars</c>; a <c>module</c> block
/// whose source is a local path inside the target is followed with the call's arguments as its variables, to a depth
/// of <see cref="MaxModuleDepth"/>, and a module that (directly or not) calls itself is a warning, not a loop.
/// </summary>
public sealed class TerraformProject
{
    public const int MaxModuleDepth = 16;

    private readonly ConcurrentDictionary<string, ConcurrentBag<(string Path, HclBody Body)>> _modules = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentBag<(string Path, HclBody Body)>> _tfvars = new(StringComparer.Ordinal);

    public bool IsEmpty => _modules.IsEmpty;

    public static bool IsTerraformFile(string path) => path.EndsWith(".tf", StringComparison.OrdinalIgnoreCase) || TerraformJson.IsJsonFile(path);

    /// <summary><c>override.tf</c>, <c>*_override.tf</c> and their <c>.tf.json</c> forms: merged into the module's other
    /// files after they are read, as Terraform does.</summary>
    public static bool IsOverrideFile(string path)
    {
        var name = Path.GetFileName(path).ToLowerInvariant();
        var stem = name.EndsWith(".tf.json", StringComparison.Ordinal) ? name[..^8] : name.EndsWith(".tf", StringComparison.Ordinal) ? name[..^3] : null;
        return stem is "override" || stem?.EndsWith("_override", StringComparison.Ordinal) == true;
    }

    public static bool IsVarsFile(string path)
    {
        var name = Path.GetFileName(path).ToLowerInvariant();
        return name == "terraform.tfvars" || name.EndsWith(".auto.tfvars", StringComparison.Ordinal);
    }

    public static string DirectoryOf(string path)
    {
        var i = path.LastIndexOf('/');
        return i <= 0 ? "/" : path[..i];
    }

    /// <summary>Parses and keeps one file; a file that does not parse is one warning.</summary>
    public void Add(string path, string text, int maxDepth, Action<string> warn)
    {
        HclBody body;
        try
        {
            body = TerraformJson.IsJsonFile(path) ? TerraformJson.Parse(text, maxDepth) : HclParser.ParseFile(text, maxDepth);
        }
        catch (HclException e)
        {
            warn($"{path}: not valid HCL: {e.Message}; not checked");
            return;
        }
        var bag = (IsVarsFile(path) ? _tfvars : _modules).GetOrAdd(DirectoryOf(path), _ => []);
        bag.Add((path, body));
    }

    /// <summary>Every resource and data source of every root module and the local modules they call.</summary>
    public IEnumerable<IacResource> Resources(Action<string> warn, CancellationToken cancellationToken)
    {
        var called = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (dir, files) in _modules)
            foreach (var (_, body) in files)
                foreach (var m in body.Blocks.Where(b => b.Type == "module"))
                    if (LocalSource(dir, m) is { } target && target != dir) called.Add(target);
        var resources = new List<IacResource>();
        foreach (var dir in _modules.Keys.Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (called.Contains(dir)) continue;
            var inputs = new Dictionary<string, DocNode>(StringComparer.Ordinal);
            if (_tfvars.TryGetValue(dir, out var vars))
                foreach (var (path, body) in vars.OrderBy(v => v.Path, StringComparer.Ordinal))
                {
                    var ev = new HclEvaluator(new Dictionary<string, DocNode>(), new Dictionary<string, HclExpr>(), dir);
                    foreach (var a in body.Attributes) inputs[a.Name] = Safe(() => ev.Evaluate(a.Value), path, warn) ?? HclEvaluator.Unknown(a.Line, "var." + a.Name);
                }
            Module(dir, inputs, "", [dir], resources, warn);
        }
        return resources;
    }

    private static DocNode? Safe(Func<DocNode> f, string path, Action<string> warn)
    {
        try { return f(); }
        catch (HclException e) { warn($"{path}: {e.Message}; not evaluated"); return null; }
    }

    private static string? LocalSource(string dir, HclBlock module)
    {
        if (module.Body.Attribute("source")?.Value is not HclLiteral { Value: string source }) return null;
        if (!source.StartsWith("./", StringComparison.Ordinal) && !source.StartsWith("../", StringComparison.Ordinal)) return null;
        var parts = new List<string>(dir.Split('/', StringSplitOptions.RemoveEmptyEntries));
        foreach (var part in source.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..") { if (parts.Count == 0) return null; parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }

    private void Module(string dir, IReadOnlyDictionary<string, DocNode> inputs, string prefix, List<string> stack, List<IacResource> output, Action<string> warn)
    {
        if (!_modules.TryGetValue(dir, out var bag)) return;
        var files = Overridden(bag.OrderBy(f => f.Path, StringComparer.Ordinal).ToList());
        var variables = new Dictionary<string, DocNode>(StringComparer.Ordinal);
        var locals = new Dictionary<string, HclExpr>(StringComparer.Ordinal);
        var none = new HclEvaluator(new Dictionary<string, DocNode>(), new Dictionary<string, HclExpr>(), dir);
        foreach (var (path, body) in files)
        {
            foreach (var v in body.Blocks.Where(b => b.Type == "variable" && b.Labels.Count == 1))
                if (v.Body.Attribute("default") is { } d && Safe(() => none.Evaluate(d.Value), path, warn) is { } value) variables[v.Labels[0]] = value;
            foreach (var l in body.Blocks.Where(b => b.Type == "locals"))
                foreach (var a in l.Body.Attributes) locals[a.Name] = a.Value;
        }
        foreach (var (k, v) in inputs) variables[k] = v;
        var ev = new HclEvaluator(variables, locals, dir);
        foreach (var (path, body) in files)
        {
            foreach (var block in body.Blocks)
            {
                try
                {
                    switch (block.Type)
                    {
                        case "resource" or "data" when block.Labels.Count == 2:
                        {
                            var address = prefix + (block.Type == "data" ? "data." : "") + block.Labels[0] + "." + block.Labels[1];
                            var type = (block.Type == "data" ? "data." : "") + block.Labels[0];
                            foreach (var (key, scope) in Instances(block, ev, path, warn))
                            {
                                var value = scope is null ? BodyValue(block.Body, ev, block.Line) : (MapNode)ev.With(scope, () => BodyValue(block.Body, ev, block.Line));
                                output.Add(new IacResource(type, address + key, value, path, block.Line, IacFormat.Terraform));
                            }
                            break;
                        }
                        case "module" when block.Labels.Count == 1:
                        {
                            if (LocalSource(dir, block) is not { } target) break;
                            if (stack.Contains(target))
                            {
                                warn($"{path}: module {block.Labels[0]} (line {block.Line}) refers back to {target}, which is already being evaluated ({string.Join(" -> ", stack)}); not followed again");
                                break;
                            }
                            if (stack.Count >= MaxModuleDepth)
                            {
                                warn($"{path}: module {block.Labels[0]} (line {block.Line}) is nested more than {MaxModuleDepth} modules deep; not followed");
                                break;
                            }
                            var args = new Dictionary<string, DocNode>(StringComparer.Ordinal);
                            foreach (var a in block.Body.Attributes.Where(a => a.Name is not ("source" or "version" or "providers" or "count" or "for_each" or "depends_on")))
                                args[a.Name] = ev.Evaluate(a.Value);
                            Module(target, args, prefix + "module." + block.Labels[0] + ".", [.. stack, target], output, warn);
                            break;
                        }
                    }
                }
                catch (HclException e)
                {
                    warn($"{path}: {block.Type} at line {block.Line}: {e.Message}; not checked");
                }
            }
        }
    }

    /// <summary>The module's files with its override files merged in (Terraform's rules): a top-level block of an
    /// override file replaces, attribute by attribute, the block of the same type and labels; a nested block type it
    /// names replaces all nested blocks of that type; a local replaces the local of that name. Override files are
    /// applied in name order and are not otherwise part of the module. A merged value keeps the override file's line.</summary>
    private static List<(string Path, HclBody Body)> Overridden(List<(string Path, HclBody Body)> files)
    {
        if (!files.Any(f => IsOverrideFile(f.Path))) return files;
        var merged = files.Where(f => !IsOverrideFile(f.Path)).Select(f => (f.Path, Blocks: f.Body.Blocks.ToList(), f.Body.Attributes)).ToList();
        foreach (var (_, body) in files.Where(f => IsOverrideFile(f.Path)))
            foreach (var o in body.Blocks)
                foreach (var (_, blocks, _) in merged)
                    for (var i = 0; i < blocks.Count; i++)
                        if (blocks[i].Type == o.Type && blocks[i].Labels.SequenceEqual(o.Labels)) blocks[i] = Merge(blocks[i], o);
        return [.. merged.Select(f => (f.Path, new HclBody(f.Attributes, f.Blocks)))];
    }

    private static HclBlock Merge(HclBlock original, HclBlock o)
    {
        // A name the override sets, as an attribute or as a nested block, replaces that name in the original whichever
        // form it had there: a .tf.json file cannot tell a nested block from an object attribute.
        var replaced = o.Body.Blocks.Select(b => b.Type).Concat(o.Body.Attributes.Select(a => a.Name)).ToHashSet(StringComparer.Ordinal);
        var attributes = original.Type == "locals"
            ? original.Body.Attributes.Select(a => o.Body.Attribute(a.Name) ?? a).ToList()
            : [.. original.Body.Attributes.Where(a => !replaced.Contains(a.Name)), .. o.Body.Attributes];
        List<HclBlock> blocks = [.. original.Body.Blocks.Where(b => !replaced.Contains(b.Type)), .. o.Body.Blocks];
        return original with { Body = new HclBody(attributes, blocks) };
    }

    /// <summary>At most this many instances of one resource block are judged (a <c>count</c> of a billion is a typo or
    /// hostile, and each instance is a resource in the report).</summary>
    public const int MaxInstances = 1000;

    /// <summary>The instances of a resource block, as Terraform addresses them: <c>[0]</c>… for a known <c>count</c>
    /// (with <c>count.index</c>), <c>["key"]</c> for a known <c>for_each</c> map or set of strings (with
    /// <c>each.key</c>, <c>each.value</c>), none for <c>count = 0</c> or an empty collection, and a single unindexed
    /// instance whose <c>count.*</c>/<c>each.*</c> are unknown when the count or collection is not static.</summary>
    private static IEnumerable<(string Key, Dictionary<string, DocNode>? Scope)> Instances(HclBlock block, HclEvaluator ev, string path, Action<string> warn)
    {
        List<(string, Dictionary<string, DocNode>?)> instances = [];
        if (block.Body.Attribute("count") is { } count)
        {
            if (ev.Evaluate(count.Value) is not ScalarNode { Type: ScalarType.Int or ScalarType.Float } n || n.Int is not { } total) return [("", null)];
            for (var i = 0; i < total && i < MaxInstances; i++)
            {
                var index = new ScalarNode(new Mark(count.Line, 1), i.ToString(System.Globalization.CultureInfo.InvariantCulture), ScalarType.Int);
                instances.Add(($"[{i}]", new Dictionary<string, DocNode>(StringComparer.Ordinal) { ["count"] = new MapNode(index.Start, [new MapEntry("index", index.Start, index)]) }));
            }
            if (total > MaxInstances) warn($"{path}: {block.Labels[0]}.{block.Labels[1]} (line {block.Line}) has count = {total}; the first {MaxInstances} instances are checked");
            return instances;
        }
        if (block.Body.Attribute("for_each") is not { } forEach) return [("", null)];
        var collection = ev.Evaluate(forEach.Value);
        IEnumerable<(string Key, DocNode Value)>? items = collection switch
        {
            MapNode m => m.Pairs.Select(p => (p.Key, p.Value)),
            SeqNode q when q.Children.All(c => c is ScalarNode { Type: ScalarType.String }) => q.Children.Select(c => (((ScalarNode)c).Value, c)),
            _ => null,
        };
        if (items is null) return [("", null)];
        foreach (var (key, value) in items.DistinctBy(x => x.Key, StringComparer.Ordinal).Take(MaxInstances + 1))
        {
            if (instances.Count == MaxInstances)
            {
                warn($"{path}: {block.Labels[0]}.{block.Labels[1]} (line {block.Line}) has more than {MaxInstances} for_each items; the first {MaxInstances} are checked");
                break;
            }
            var at = new Mark(forEach.Line, 1);
            var each = new MapNode(at, [new MapEntry("key", at, new ScalarNode(at, key, ScalarType.String)), new MapEntry("value", at, value)]);
            instances.Add(($"[\"{key}\"]", new Dictionary<string, DocNode>(StringComparer.Ordinal) { ["each"] = each }));
        }
        return instances;
    }

    /// <summary>A block body as a value: attributes evaluated, nested blocks as lists of maps under their type
    /// (dynamic blocks expanded when their for_each is static, once with an unknown iterator otherwise).</summary>
    /// <summary>For benchmarks: <see cref="BodyValue"/>.</summary>
    public static MapNode BodyValuePublic(HclBody body, HclEvaluator ev, int line) => BodyValue(body, ev, line);

    internal static MapNode BodyValue(HclBody body, HclEvaluator ev, int line)
    {
        var pairs = new List<MapEntry>();
        // A value from elsewhere (a variable's default, a .tfvars file) is reported at the attribute that uses it.
        foreach (var a in body.Attributes) pairs.Add(new MapEntry(a.Name, new Mark(a.Line, 1), ev.Evaluate(a.Value) with { Start = new Mark(a.Line, 1) }));
        var blocks = new List<(string Type, MapNode Value, int Line)>();
        foreach (var b in body.Blocks)
        {
            if (b.Type == "dynamic" && b.Labels.Count == 1)
            {
                var content = b.Body.Blocks.FirstOrDefault(x => x.Type == "content");
                if (content is null) continue;
                var iterator = b.Body.Attribute("iterator")?.Value is HclTraversal { Steps.Count: 0 } it ? it.Root : b.Labels[0];
                var each = b.Body.Attribute("for_each") is { } fe ? ev.Evaluate(fe.Value) : null;
                IEnumerable<(DocNode Key, DocNode Value)> items = each switch
                {
                    SeqNode q => q.Children.Select((v, i) => ((DocNode)new ScalarNode(v.Start, i.ToString(System.Globalization.CultureInfo.InvariantCulture), ScalarType.Int), v)),
                    MapNode m => m.Pairs.Select(p => ((DocNode)new ScalarNode(p.KeyMark, p.Key, ScalarType.String), p.Value)),
                    _ => [(HclEvaluator.Unknown(b.Line, iterator + ".key"), HclEvaluator.Unknown(b.Line, iterator + ".value"))],
                };
                foreach (var (k, v) in items)
                {
                    var obj = new MapNode(v.Start, [new MapEntry("key", k.Start, k), new MapEntry("value", v.Start, v)]);
                    var value = (MapNode)ev.With(new Dictionary<string, DocNode> { [iterator] = obj }, () => BodyValue(content.Body, ev, content.Line));
                    blocks.Add((b.Labels[0], value, b.Line));
                }
                continue;
            }
            blocks.Add((b.Type, BodyValue(b.Body, ev, b.Line), b.Line));
        }
        foreach (var group in blocks.GroupBy(b => b.Type))
            pairs.Add(new MapEntry(group.Key, new Mark(group.First().Line, 1), new SeqNode(new Mark(group.First().Line, 1), [.. group.Select(g => (DocNode)g.Value)])));
        return new MapNode(new Mark(line, 1), pairs);
    }
}
