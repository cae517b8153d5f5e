using Cel;
using ZeroDrift.Core;
using ZeroDrift.Core.Findings;
using ZeroDrift.Misconfig.Documents;

namespace ZeroDrift.Misconfig.Custom;

/// <summary>A custom check file that cannot be used: unreadable structure, a missing field. An <see cref="IOException"/>
/// so the command reports it as one line and exits 2, like any unreadable input file.</summary>
public sealed class CustomCheckFileException(string message) : IOException(message);

/// <summary>
/// A user's check, written in CEL the way a Kubernetes ValidatingAdmissionPolicy validation is: the expression sees
/// the resource as <c>object</c> and must be true for the resource to pass.
/// </summary>
public sealed class CustomCheck
{
    private readonly Func<object?, object?> _program;

    internal CustomCheck(RuleDescriptor rule, IReadOnlyList<string> kinds, string expression, string? message, Func<object?, object?> program)
    {
        Rule = rule;
        Kinds = kinds;
        Expression = expression;
        Message = message;
        _program = program;
    }

    public RuleDescriptor Rule { get; }
    public IReadOnlyList<string> Kinds { get; }
    public string Expression { get; }
    public string? Message { get; }

    public bool Matches(string? kind) => Kinds.Count == 0 || Kinds.Contains("*") || (kind is not null && Kinds.Contains(kind));

    /// <summary>True when the resource passes; an exception (a field the expression reads without <c>has()</c>, a wrong type) when CEL cannot decide.</summary>
    public bool Evaluate(object? resource)
    {
        object? result;
        // The CEL library does not document its compiled programs as thread-safe; files may be scanned in parallel.
        lock (_gate) result = _program(resource);
        return result switch
        {
            bool b => b,
            var other => throw new InvalidOperationException($"the expression returned {other ?? "null"}, not a bool"),
        };
    }

    private readonly Lock _gate = new();
}

/// <summary>Loads custom check files.</summary>
/// <remarks>
/// Format (YAML):
/// <code>
/// checks:
///   - id: ORG-001
///     title: Containers must set runAsNonRoot
///     severity: high            # critical, high, medium, low
///     description: …
///     remediation: …
///     references: [https://…]
///     match:
///       kinds: [Deployment, StatefulSet]   # omitted or "*": every Kubernetes resource
///     expression: object.spec.template.spec.containers.all(c, has(c.securityContext) &amp;&amp; c.securityContext.runAsNonRoot == true)
///     message: a container may run as root
/// </code>
/// </remarks>
public static class CustomCheckLoader
{
    public const int MaxFileBytes = 1024 * 1024;

    /// <summary>Loads one file. A check whose expression does not compile is skipped with a warning; a file that is not a
    /// check file throws <see cref="CustomCheckFileException"/>.</summary>
    public static IReadOnlyList<CustomCheck> Load(string path, Action<string> warn)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"custom check file {path} does not exist", path);
        if (info.Length > MaxFileBytes) throw new CustomCheckFileException($"custom check file {path} is larger than {MaxFileBytes} bytes");
        return Parse(File.ReadAllText(path), path, warn);
    }

    public static IReadOnlyList<CustomCheck> Parse(string yaml, string source, Action<string> warn)
    {
        IReadOnlyList<DocNode?> docs;
        try
        {
            docs = YamlDocuments.Load(yaml, source: $"custom check file {source}");
        }
        catch (DocumentException e)
        {
            throw new CustomCheckFileException(e.Message);
        }
        if (docs.Count != 1 || docs[0]?["checks"] is not SeqNode list)
            throw new CustomCheckFileException($"custom check file {source}: expected one document with a 'checks:' list");

        var env = new CelEnvironment(null, null);
        var checks = new List<CustomCheck>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in list.Children)
        {
            var line = item.Start?.Line ?? 0;
            string Required(string field) => item[field]?.Str is { Length: > 0 } v ? v
                : throw new CustomCheckFileException($"custom check file {source}, line {line}: '{field}' is required");
            var id = Required("id");
            if (!ids.Add(id) || Checks.All.Any(r => r.Id == id))
                throw new CustomCheckFileException($"custom check file {source}, line {line}: check id {id} is already used");
            var expression = Required("expression");
            var severity = ParseSeverity(item["severity"]?.Str, source, line);
            Func<object?, object?> program;
            try
            {
                var compiled = env.Compile(expression);
                program = o => compiled(new Dictionary<string, object?> { ["object"] = o });
            }
            catch (Exception e) // the CEL library throws its own exception types for every parse and check error
            {
                warn($"custom check {id} ({source}, line {line}) skipped: its expression does not compile: {FirstLine(e.Message)}");
                continue;
            }
            var rule = new RuleDescriptor
            {
                Class = FindingClass.Misconfig,
                Id = id,
                Title = item["title"]?.Str ?? id,
                Severity = severity,
                Description = item["description"]?.Str ?? $"Custom check: {expression}",
                Remediation = item["remediation"]?.Str ?? "",
                References = [.. (item["references"]?.Items ?? []).Select(r => r.Str).OfType<string>()],
            };
            var kinds = (item["match"]?["kinds"]?.Items ?? []).Select(k => k.Str).OfType<string>().ToList();
            checks.Add(new CustomCheck(rule, kinds, expression, item["message"]?.Str, program));
        }
        return checks;
    }

    private static Severity ParseSeverity(string? s, string source, int line) => s?.ToLowerInvariant() switch
    {
        null or "medium" => Severity.Medium,
        "critical" => Severity.Critical,
        "high" => Severity.High,
        "low" => Severity.Low,
        "info" or "none" => Severity.None,
        _ => throw new CustomCheckFileException($"custom check file {source}, line {line}: severity '{s}' is not one of critical, high, medium, low"),
    };

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    /// <summary>A document as CEL values: maps, lists, strings, bools, 64-bit ints, doubles, null.</summary>
    public static object? ToCel(DocNode? node) => node switch
    {
        null => null,
        MapNode m => m.Pairs.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => ToCel(g.Last().Value)),
        SeqNode q => q.Children.Select(ToCel).ToList(),
        ScalarNode { Type: ScalarType.Bool } b => ScalarNode.ParseBool(b.Value),
        ScalarNode { Type: ScalarType.Int } i => long.TryParse(i.Value, System.Globalization.CultureInfo.InvariantCulture, out var l) ? l : i.Value,
        ScalarNode { Type: ScalarType.Float } f => double.Parse(f.Value, System.Globalization.CultureInfo.InvariantCulture),
        ScalarNode { Type: ScalarType.Null } => null,
        ScalarNode s => s.Value,
        _ => null,
    };
}
