using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Core.IO;
using ZeroDrift.Parsing.Yaml;
using Version = System.Version;

namespace ZeroDrift.Runtime.Rules;

/// <summary>A rule file that cannot be read as Falco rules at all: not YAML, not a list of items, too new.</summary>
public sealed class RuleFileException(string message) : Exception(message);

/// <summary>
/// Reads Falco rule files (YAML) into a <see cref="RuleSet"/>, unchanged: <c>list</c>, <c>macro</c> and <c>rule</c>
/// items, <c>required_engine_version</c>, <c>required_plugin_versions</c>; <c>append: true</c> and
/// <c>override:</c> (append or replace per key); an item carrying only <c>rule</c> and <c>enabled</c> switches an
/// existing rule. A broken item disables that rule with its reason; a file that is not YAML or not a list of items
/// is a <see cref="RuleFileException"/>.
/// </summary>
public static class RuleLoader
{
    /// <summary>
    /// The Falco rules engine version whose rule syntax this loader implements (the version Falco's own rule files
    /// of that generation require); a file requiring a newer engine is refused, as Falco refuses it.
    /// </summary>
    /// <summary>Plugins whose fields ZeroDrift provides itself (the k8saudit variants read the same audit.k8s.io events).</summary>
    private static readonly HashSet<string> ProvidedPlugins = new(StringComparer.Ordinal) { "container", "k8saudit", "cloudtrail", "json" };

    public static readonly Version EngineVersion = new(0, 57, 0);

    public const long MaxFileBytes = 16 * 1024 * 1024;

    /// <summary>A rule file is a user's file: the scan's default budget (nesting, nodes, time), at most <see cref="MaxFileBytes"/>.</summary>
    private static readonly ParseBudget Budget = ParseBudget.Default.WithMaxBytes(MaxFileBytes);

    private static readonly HashSet<string> RuleKeys = new(StringComparer.Ordinal)
    {
        "rule", "condition", "output", "desc", "priority", "tags", "enabled", "source", "exceptions", "append", "override",
        "warn_evttypes", "skip-if-unknown-filter", "capture", "capture_duration",
    };
    private static readonly HashSet<string> RuleAppendable = new(StringComparer.Ordinal) { "condition", "output", "desc", "tags", "exceptions" };
    private static readonly HashSet<string> RuleReplaceable = new(StringComparer.Ordinal)
    {
        "condition", "output", "desc", "priority", "tags", "exceptions", "enabled", "warn_evttypes", "skip-if-unknown-filter",
        "capture", "capture_duration",
    };

    /// <summary>Loads one file: a regular file of at most <see cref="MaxFileBytes"/>, its size taken from <c>stat</c>
    /// before it is read (<c>/dev/zero</c> or a fifo is refused, not read).</summary>
    public static RuleFileReport LoadFile(RuleSet set, string path)
    {
        string text;
        try
        {
            text = BoundedFile.ReadAllText(path, MaxFileBytes, "rule file");
        }
        catch (FileNotFoundException)
        {
            throw new RuleFileException($"{path}: no such file");
        }
        catch (InputFileException e)
        {
            throw new RuleFileException(e.Message);
        }
        return LoadText(set, text, path);
    }

    /// <summary>The default ZeroDrift rules embedded in this library (Falco format).</summary>
    public static RuleFileReport LoadDefaults(RuleSet set)
    {
        using var stream = typeof(RuleLoader).Assembly.GetManifestResourceStream("ZeroDrift.Runtime.Rules.zerodrift_rules.yaml")
            ?? throw new InvalidOperationException("embedded default rules are missing");
        using var reader = new StreamReader(stream);
        return LoadText(set, reader.ReadToEnd(), DefaultRulesName);
    }

    public const string DefaultRulesName = "zerodrift_rules.yaml (built in)";

    public static RuleFileReport LoadText(RuleSet set, string text, string name)
    {
        var report = new RuleFileReport(name);
        var root = ParseYaml(text, name);
        if (root is null)
        {
            set.Files.Add(report);
            return report; // an empty file is a valid, empty rule file
        }
        if (root is not YamlSequenceNode items)
            throw new RuleFileException($"{name}: rules content is not a YAML list of items (line {root.Start.Line})");
        foreach (var node in items)
        {
            if (node is not YamlMappingNode item)
                throw new RuleFileException($"{name}: line {node.Start.Line}: unexpected element type, each element should be a YAML mapping");
            LoadItem(set, report, item, name);
        }
        set.Files.Add(report);
        return report;
    }

    private static YamlNode? ParseYaml(string text, string name)
    {
        try
        {
            // The one hardened parser bounds nesting (before the representation model recurses into it), nodes and time.
            var stream = SafeYaml.LoadStream(text, Budget, name);
            if (stream.Documents.Count == 0) return null;
            if (stream.Documents.Count > 1) throw new RuleFileException($"{name}: more than one YAML document");
            var root = stream.Documents[0].RootNode;
            return root is YamlScalarNode { Value: null or "" } ? null : root;
        }
        catch (YamlException e)
        {
            throw new RuleFileException($"{name}: not valid YAML: {FirstLine(e.Message)} (line {e.Start.Line}, column {e.Start.Column})");
        }
        catch (BudgetExceededException e)
        {
            throw new RuleFileException(e.Message);
        }
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    private static void LoadItem(RuleSet set, RuleFileReport report, YamlMappingNode item, string file)
    {
        var line = item.Start.Line;
        if (Scalar(item, "required_engine_version") is { } engine)
        {
            report.RequiredEngineVersion = engine;
            var required = ParseEngineVersion(engine)
                ?? throw new RuleFileException($"{file}: line {line}: required_engine_version '{engine}' is not a version");
            if (required > EngineVersion)
                throw new RuleFileException($"{file}: rules require engine version {engine}, but the ZeroDrift rules engine implements {EngineVersion}");
            return;
        }
        if (item.Children.ContainsKey(new YamlScalarNode("required_plugin_versions")))
        {
            if (item.Children[new YamlScalarNode("required_plugin_versions")] is YamlSequenceNode plugins)
            {
                foreach (var p in plugins.OfType<YamlMappingNode>())
                {
                    var pluginName = Scalar(p, "name") ?? "?";
                    var version = Scalar(p, "version") ?? "";
                    report.RequiredPlugins.Add((pluginName, version));
                    // The container plugin's fields come from the agent; k8saudit, cloudtrail and json from the audit inputs (Audit/).
                    if (!ProvidedPlugins.Contains(pluginName))
                        report.Warnings.Add($"plugin '{pluginName}' {version} is required by the file; its fields are not provided by ZeroDrift");
                }
            }
            return;
        }
        if (Scalar(item, "list") is { } listName) LoadList(set, report, item, listName, file);
        else if (Scalar(item, "macro") is { } macroName) LoadMacro(set, report, item, macroName, file);
        else if (Scalar(item, "rule") is { } ruleName) LoadRule(set, report, item, ruleName, file);
        else
        {
            var keys = string.Join(", ", item.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value));
            report.Warnings.Add($"line {line}: unknown item ({keys}) ignored");
        }
    }

    private static Version? ParseEngineVersion(string text)
    {
        // Old files give a bare integer, which Falco reads as 0.N.0.
        if (int.TryParse(text, out var n)) return new Version(0, n, 0);
        return Version.TryParse(text, out var v) ? v : null;
    }

    /// <summary>The override mode per key, or the legacy append flag applied to the item's appendable keys.</summary>
    private static Dictionary<string, string>? OverrideModes(YamlMappingNode item, string kind, string name, out string? error)
    {
        error = null;
        var append = Scalar(item, "append") is { } a && a.Equals("true", StringComparison.OrdinalIgnoreCase);
        var overrideNode = Child(item, "override");
        if (append && overrideNode is not null)
        {
            error = $"{kind} '{name}': 'override' and 'append: true' cannot be used together";
            return null;
        }
        if (overrideNode is null) return append ? new Dictionary<string, string>() { ["*"] = "append" } : null;
        if (overrideNode is not YamlMappingNode map)
        {
            error = $"{kind} '{name}': 'override' must be a mapping of keys to append or replace";
            return null;
        }
        var modes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in map.Children)
        {
            var key = (k as YamlScalarNode)?.Value ?? "";
            var mode = (v as YamlScalarNode)?.Value ?? "";
            if (mode is not ("append" or "replace"))
            {
                error = $"{kind} '{name}': override of '{key}' must be 'append' or 'replace', not '{mode}'";
                return null;
            }
            if (Child(item, key) is null)
            {
                error = $"{kind} '{name}': key '{key}' is overridden but not given";
                return null;
            }
            modes[key] = mode;
        }
        return modes;
    }

    private static void LoadList(RuleSet set, RuleFileReport report, YamlMappingNode item, string name, string file)
    {
        var items = StringList(item, "items");
        if (items is null)
        {
            report.Warnings.Add($"list '{name}' (line {item.Start.Line}): 'items' must be a list of strings; list ignored");
            return;
        }
        var modes = OverrideModes(item, "list", name, out var error);
        if (error is not null) { report.Warnings.Add(error); return; }
        if (modes is null)
        {
            set.Lists[name] = new ListDefinition(name, items, file);
            return;
        }
        if (!set.Lists.TryGetValue(name, out var existing))
        {
            report.Warnings.Add($"list '{name}' has 'append' or 'override' but no list by that name already exists; ignored");
            return;
        }
        var mode = modes.GetValueOrDefault("items") ?? modes.GetValueOrDefault("*") ?? "append";
        set.Lists[name] = existing with { Items = mode == "append" ? [.. existing.Items, .. items] : items };
    }

    private static void LoadMacro(RuleSet set, RuleFileReport report, YamlMappingNode item, string name, string file)
    {
        var condition = Scalar(item, "condition");
        if (condition is null)
        {
            report.Warnings.Add($"macro '{name}' (line {item.Start.Line}): missing 'condition'; macro ignored");
            return;
        }
        var modes = OverrideModes(item, "macro", name, out var error);
        if (error is not null) { report.Warnings.Add(error); return; }
        if (modes is null)
        {
            set.Macros[name] = new MacroDefinition(name, condition, file);
            return;
        }
        if (!set.Macros.TryGetValue(name, out var existing))
        {
            report.Warnings.Add($"macro '{name}' has 'append' or 'override' but no macro by that name already exists; ignored");
            return;
        }
        var mode = modes.GetValueOrDefault("condition") ?? modes.GetValueOrDefault("*") ?? "append";
        set.Macros[name] = existing with { Condition = mode == "append" ? existing.Condition + " " + condition : condition };
    }

    private static void LoadRule(RuleSet set, RuleFileReport report, YamlMappingNode item, string name, string file)
    {
        var line = item.Start.Line;
        foreach (var key in item.Children.Keys.OfType<YamlScalarNode>())
            if (key.Value is { } k && !RuleKeys.Contains(k))
                report.Warnings.Add($"rule '{name}' (line {line}): unknown key '{k}' ignored");

        var modes = OverrideModes(item, "rule", name, out var error);
        var index = set.IndexOf(name);
        if (error is not null)
        {
            report.Warnings.Add(error);
            return;
        }

        var keys = item.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value).Where(k => k is not ("rule" or "append" or "override")).ToList();
        // Falco's legacy form: "- rule: X / enabled: false" switches an existing rule without redefining it.
        if (modes is null && index >= 0 && keys is ["enabled"])
        {
            if (Bool(item, "enabled", out var on, out var boolError)) set.Rules[index] = set.Rules[index] with { Enabled = on };
            else report.Warnings.Add($"rule '{name}': {boolError}");
            return;
        }

        if (modes is null)
        {
            var rule = NewRule(item, name, file);
            if (index >= 0) set.Rules[index] = rule;
            else set.Rules.Add(rule);
            if (!report.RuleNames.Contains(name)) report.RuleNames.Add(name);
            return;
        }

        if (index < 0)
        {
            report.Warnings.Add($"rule '{name}' has 'append' or 'override' but no rule by that name already exists; ignored");
            return;
        }
        var existing = set.Rules[index];
        var legacyAppend = modes.ContainsKey("*");
        var changes = legacyAppend ? keys.Where(k => k is not null).ToDictionary(k => k!, _ => "append") : modes;
        var updated = existing;
        foreach (var (key, mode) in changes)
        {
            if (mode == "append" && !RuleAppendable.Contains(key))
            {
                // The legacy form tolerates other keys and ignores them, as older Falco did.
                if (!legacyAppend) report.Warnings.Add($"rule '{name}': key '{key}' cannot be appended to");
                continue;
            }
            if (mode == "replace" && !RuleReplaceable.Contains(key))
            {
                report.Warnings.Add($"rule '{name}': key '{key}' cannot be replaced");
                continue;
            }
            updated = Apply(updated, item, key, mode == "append", report);
        }
        set.Rules[index] = updated;
    }

    private static RuleDefinition Apply(RuleDefinition rule, YamlMappingNode item, string key, bool append, RuleFileReport report)
    {
        switch (key)
        {
            case "condition":
                var condition = Scalar(item, key) ?? "";
                return rule with { Condition = append ? rule.Condition + " " + condition : condition };
            case "output":
                var output = Scalar(item, key) ?? "";
                return rule with { Output = append ? rule.Output + " " + output : output };
            case "desc":
                var desc = Scalar(item, key) ?? "";
                return rule with { Description = append ? rule.Description + " " + desc : desc };
            case "tags":
                var tags = StringList(item, key) ?? [];
                return rule with { Tags = append ? [.. rule.Tags, .. tags.Where(t => !rule.Tags.Contains(t))] : tags };
            case "priority":
                var priorityText = Scalar(item, key) ?? "";
                if (Priorities.TryParse(priorityText, out var priority)) return rule with { Priority = priority };
                report.Warnings.Add($"rule '{rule.Name}': invalid priority '{priorityText}' in override; kept {rule.Priority}");
                return rule;
            case "enabled":
            case "warn_evttypes":
            case "skip-if-unknown-filter":
                if (!Bool(item, key, out var on, out var error))
                {
                    report.Warnings.Add($"rule '{rule.Name}': {error}");
                    return rule;
                }
                return key switch
                {
                    "enabled" => rule with { Enabled = on },
                    "warn_evttypes" => rule with { WarnEventTypes = on },
                    _ => rule with { SkipIfUnknownFilter = on },
                };
            case "exceptions":
                var exceptions = Exceptions(item, rule.Name, out var exceptionError);
                if (exceptionError is not null)
                {
                    report.Warnings.Add(exceptionError);
                    return rule;
                }
                if (!append) return rule with { Exceptions = exceptions };
                // Appending an exception with an existing name appends its values; a new name adds it.
                var merged = rule.Exceptions.ToList();
                foreach (var ex in exceptions)
                {
                    var at = merged.FindIndex(m => m.Name == ex.Name);
                    if (at < 0) merged.Add(ex);
                    else
                    {
                        var added = merged[at].SingleField && ex.Fields.Count == 0 ? ex.SingleFieldValues : ex.Values;
                        if (!merged[at].SingleField && added.Any(v => v.Elements.Count != merged[at].Fields.Count))
                        {
                            report.Warnings.Add($"rule '{rule.Name}': values appended to exception '{ex.Name}' do not have {merged[at].Fields.Count} items; ignored");
                            continue;
                        }
                        merged[at] = merged[at] with { Values = [.. merged[at].Values, .. added] };
                    }
                }
                return rule with { Exceptions = merged };
            default:
                return rule;
        }
    }

    private static RuleDefinition NewRule(YamlMappingNode item, string name, string file)
    {
        var errors = new List<string>();
        foreach (var required in (string[])["condition", "output", "desc", "priority"])
            if (Scalar(item, required) is null) errors.Add($"missing required key '{required}'");
        var priorityText = Scalar(item, "priority");
        var priority = Priority.Debug;
        if (priorityText is not null && !Priorities.TryParse(priorityText, out priority)) errors.Add($"invalid priority '{priorityText}'");
        var enabled = true;
        if (Child(item, "enabled") is not null && !Bool(item, "enabled", out enabled, out var e1)) errors.Add(e1!);
        var warn = true;
        if (Child(item, "warn_evttypes") is not null && !Bool(item, "warn_evttypes", out warn, out var e2)) errors.Add(e2!);
        var skip = false;
        if (Child(item, "skip-if-unknown-filter") is not null && !Bool(item, "skip-if-unknown-filter", out skip, out var e3)) errors.Add(e3!);
        var tags = Child(item, "tags") is null ? [] : StringList(item, "tags");
        if (tags is null) errors.Add("'tags' must be a list of strings");
        string? e4 = null;
        var exceptions = Child(item, "exceptions") is null ? [] : Exceptions(item, name, out e4);
        if (e4 is not null) errors.Add(e4);
        return new RuleDefinition
        {
            Name = name,
            Condition = Scalar(item, "condition") ?? "",
            Output = Scalar(item, "output") ?? "",
            Description = Scalar(item, "desc") ?? "",
            Priority = priority,
            Tags = tags ?? [],
            Enabled = enabled,
            Source = Scalar(item, "source") ?? "syscall",
            Exceptions = exceptions,
            WarnEventTypes = warn,
            SkipIfUnknownFilter = skip,
            File = file,
            DefinitionError = errors.Count > 0 ? string.Join("; ", errors) : null,
        };
    }

    private static List<RuleException> Exceptions(YamlMappingNode item, string rule, out string? error)
    {
        error = null;
        var result = new List<RuleException>();
        if (Child(item, "exceptions") is not YamlSequenceNode seq)
        {
            error = $"rule '{rule}': 'exceptions' must be a list";
            return result;
        }
        foreach (var node in seq)
        {
            if (node is not YamlMappingNode ex || Scalar(ex, "name") is not { } exName)
            {
                error = $"rule '{rule}': each exception needs a 'name'";
                return result;
            }
            var fieldsNode = Child(ex, "fields");
            var single = fieldsNode is YamlScalarNode;
            var fields = single ? [((YamlScalarNode)fieldsNode!).Value ?? ""] : StringList(ex, "fields");
            if (fields is null || fields.Count == 0)
            {
                // An exception without fields is only a name to which later files append values; Falco allows it.
                if (fieldsNode is null)
                {
                    var tuples = new List<ExceptionValue>();
                    var singles = new List<ExceptionValue>();
                    if (Child(ex, "values") is YamlSequenceNode loose)
                    {
                        foreach (var v in loose)
                        {
                            singles.Add(Element(v));
                            if (v is YamlSequenceNode t)
                            {
                                var parts = t.Children.Select(Element).ToList();
                                tuples.Add(new ExceptionValue([.. parts.Select(p => p.Elements[0])], [.. parts.Select(p => p.IsList[0])]));
                            }
                        }
                    }
                    result.Add(new RuleException(exName, [], false, [], tuples) { SingleFieldValues = singles });
                    continue;
                }
                error = $"rule '{rule}': exception '{exName}': 'fields' must be a field or a list of fields";
                return result;
            }
            var compsNode = Child(ex, "comps");
            IReadOnlyList<string> comps = compsNode switch
            {
                null => [.. fields.Select(_ => single ? "in" : "=")],
                YamlScalarNode s => [s.Value ?? "="],
                _ => StringList(ex, "comps") ?? [],
            };
            if (comps.Count != fields.Count)
            {
                error = $"rule '{rule}': exception '{exName}': fields and comps lists must have equal length";
                return result;
            }
            var values = new List<ExceptionValue>();
            if (Child(ex, "values") is YamlSequenceNode valueSeq)
            {
                foreach (var v in valueSeq)
                {
                    if (single)
                    {
                        values.Add(Element(v));
                        continue;
                    }
                    if (v is not YamlSequenceNode tuple || tuple.Children.Count != fields.Count)
                    {
                        error = $"rule '{rule}': exception '{exName}': each value must be a list of {fields.Count} items";
                        return result;
                    }
                    var elements = tuple.Children.Select(Element).ToList();
                    values.Add(new ExceptionValue([.. elements.Select(e => e.Elements[0])], [.. elements.Select(e => e.IsList[0])]));
                }
            }
            result.Add(new RuleException(exName, fields, single, comps, values));
        }
        return result;
    }

    private static ExceptionValue Element(YamlNode node) => node switch
    {
        YamlSequenceNode s => new ExceptionValue([[.. s.Children.OfType<YamlScalarNode>().Select(c => c.Value ?? "")]], [true]),
        YamlScalarNode s => new ExceptionValue([[s.Value ?? ""]], [false]),
        _ => new ExceptionValue([[""]], [false]),
    };

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    private static string? Scalar(YamlMappingNode map, string key) => Child(map, key) is YamlScalarNode s ? s.Value ?? "" : null;

    private static List<string>? StringList(YamlMappingNode map, string key)
    {
        if (Child(map, key) is not YamlSequenceNode seq) return null;
        var result = new List<string>(seq.Children.Count);
        foreach (var n in seq)
        {
            if (n is not YamlScalarNode s) return null;
            result.Add(s.Value ?? "");
        }
        return result;
    }

    private static bool Bool(YamlMappingNode map, string key, out bool value, out string? error)
    {
        error = null;
        var text = Scalar(map, key);
        switch (text?.ToLowerInvariant())
        {
            case "true" or "yes" or "on": value = true; return true;
            case "false" or "no" or "off": value = false; return true;
            default:
                value = false;
                error = $"'{key}' must be true or false, not '{text}'";
                return false;
        }
    }
}
