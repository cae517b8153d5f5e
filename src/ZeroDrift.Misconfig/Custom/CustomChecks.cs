using Cel;
using ZeroDrift.Core;
using ZeroDrift.Core.IO;
using ZeroDrift.Core.Findings;
using ZeroDrift.Misconfig.Documents;

namespace ZeroDrift.Misconfig.Custom;

/// <summary>A custom check file that cannot be used: unreadable structure, a missing field. An <see cref="IOException"/>
/// so the command reports it as one line and exits 2, like any unreadable input file.</summary>
public sealed class CustomCheckFileException(string message) : IOException(message);

/// <summary>
/// A user's check, written in CEL the way a Kubernetes ValidatingAdmissionPolicy validation is: the expression sees
/// the resource as <c>object</c> and must be true for the resource to pass. Each evaluation has the cost budget and
/// deadline of its <see cref="CelLimits"/>.
/// </summary>
public sealed class CustomCheck
{
    private readonly CelProgramDelegate _program;
    private readonly CelMeter _meter;

    internal CustomCheck(RuleDescriptor rule, IReadOnlyList<string> kinds, string expression, string? message, CelProgramDelegate program, CelMeter meter,
        IReadOnlyList<string>? resourceTypes = null)
    {
        Rule = rule;
        Kinds = kinds;
        ResourceTypes = resourceTypes ?? [];
        Expression = expression;
        Message = message;
        _program = program;
        _meter = meter;
    }

    public RuleDescriptor Rule { get; }
    public IReadOnlyList<string> Kinds { get; }
    public string Expression { get; }
    public string? Message { get; }

    /// <summary>Infrastructure-code resource types the check applies to (<c>match.resourceTypes</c>: <c>aws_s3_bucket</c>,
    /// <c>AWS::S3::Bucket</c>, <c>*</c>); a check with resource types and no kinds does not apply to Kubernetes objects.</summary>
    public IReadOnlyList<string> ResourceTypes { get; }

    public bool Matches(string? kind) => (Kinds.Count == 0 && ResourceTypes.Count == 0) || Kinds.Contains("*") || (kind is not null && Kinds.Contains(kind));

    public bool MatchesResource(string type) => ResourceTypes.Contains("*") || ResourceTypes.Contains(type);

    /// <summary>
    /// True when the resource passes; <see cref="CelBudgetExceededException"/> when the evaluation went over its cost
    /// budget or deadline (it is stopped from inside, and its result discarded); another exception (a field the
    /// expression reads without <c>has()</c>, a wrong type, a refused pattern) when CEL cannot decide.
    /// </summary>
    public bool Evaluate(object? resource)
    {
        object? result = null;
        // The CEL library does not document its compiled programs as thread-safe, and the meter serves one
        // evaluation at a time; files may be scanned in parallel.
        lock (_gate)
        {
            _meter.Start();
            try
            {
                result = _program(new Dictionary<string, object?> { ["object"] = resource });
            }
            catch (Exception) when (_meter.Exceeded is not null)
            {
                // What the library made of the budget's unwinding (an error of && or all()) is not the check's result.
            }
            if (_meter.Exceeded is { } reason) throw new CelBudgetExceededException(reason);
        }
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

    /// <summary>Loads one file (a regular file of at most <see cref="MaxFileBytes"/>). A check whose expression does
    /// not compile, or is too long or too deeply nested for <paramref name="limits"/>, is skipped with a warning; a
    /// file that is not a check file throws <see cref="CustomCheckFileException"/>.</summary>
    public static IReadOnlyList<CustomCheck> Load(string path, Action<string> warn, CelLimits? limits = null) =>
        Parse(BoundedFile.ReadAllText(path, MaxFileBytes, "custom check file"), path, warn, limits);

    public static IReadOnlyList<CustomCheck> Parse(string yaml, string source, Action<string> warn, CelLimits? limits = null)
    {
        limits ??= CelLimits.Default;
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

        var checks = new List<CustomCheck>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in list.Children)
        {
            var line = item.Start?.Line ?? 0;
            string Required(string field) => item[field]?.Str is { Length: > 0 } v ? v
                : throw new CustomCheckFileException($"custom check file {source}, line {line}: '{field}' is required");
            var id = Required("id");
            if (!ids.Add(id) || Checks.All.Any(r => r.Id == id) || Iac.Checks.IacChecks.Get(id) is not null)
                throw new CustomCheckFileException($"custom check file {source}, line {line}: check id {id} is already used");
            var expression = Required("expression");
            var severity = ParseSeverity(item["severity"]?.Str, source, line);
            var meter = new CelMeter(limits);
            CelProgramDelegate program;
            try
            {
                program = Compile(expression, meter, limits);
            }
            catch (CelExpressionRefusedException e)
            {
                warn($"custom check {id} ({source}, line {line}) skipped: {e.Message}");
                continue;
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
            var resourceTypes = (item["match"]?["resourceTypes"]?.Items ?? []).Select(k => k.Str).OfType<string>().ToList();
            checks.Add(new CustomCheck(rule, kinds, expression, item["message"]?.Str, program, meter, resourceTypes));
        }
        return checks;
    }

    /// <summary>
    /// Bounds the expression's shape before any recursive parsing, parses it once to weave in the cost accounting,
    /// and compiles the result in an environment of its own whose step, charge and <c>matches()</c> are the meter's.
    /// </summary>
    private static CelProgramDelegate Compile(string expression, CelMeter meter, CelLimits limits)
    {
        CelExpressionGuard.CheckShape(expression, limits);
        var env = new CelEnvironment(null, null);
        env.RegisterFunction(CelExpressionGuard.StepFunction, [typeof(object)], _ => meter.Step());
        env.RegisterFunction(CelExpressionGuard.ChargeFunction, [typeof(object)], args => meter.Charge(args[0]));
        env.RegisterFunction("matches", [typeof(string), typeof(string)], args => meter.Matches((string)args[0]!, (string)args[1]!));
        var written = env.Parse(expression);
        CheckDepth(written, limits);
        // The accounting wraps comprehension bodies and concatenations in brackets of their own: the woven text is
        // bounded again before it is parsed.
        var woven = CelExpressionGuard.Instrument(written, expression);
        CelExpressionGuard.CheckShape(woven, limits with { MaxNesting = 2 * limits.MaxNesting, MaxExpressionLength = int.MaxValue });
        var instrumented = env.Parse(woven);
        CheckDepth(instrumented, limits);
        return env.Compile(instrumented);
    }

    private static void CheckDepth(Cel.Internal.CelParser.StartContext tree, CelLimits limits)
    {
        if (CelExpressionGuard.TreeDepth(tree) > limits.MaxTreeDepth)
            throw new CelExpressionRefusedException($"its expression nests deeper than the interpreter may go ({limits.MaxTreeDepth} parse levels)");
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
