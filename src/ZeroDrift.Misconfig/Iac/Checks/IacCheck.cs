using ZeroDrift.Core;
using ZeroDrift.Core.Findings;
using ZeroDrift.Misconfig.Documents;
using ZeroDrift.Misconfig.Iac.Terraform;

namespace ZeroDrift.Misconfig.Iac.Checks;

/// <summary>A failed check on one resource: what is wrong, and the value (or block) it is about, for the line.</summary>
public sealed record IacFail(string Message, DocNode? At = null);

/// <summary>
/// A built-in infrastructure check: its metadata (with the benchmark section it comes from and the Checkov check it
/// corresponds to, when one does) and, per resource type it applies to, how it judges a resource. A check decides
/// only on values it can read: an unknown value (a reference, an unresolved variable) neither passes nor fails, so
/// it gives no finding.
/// </summary>
public sealed record IacCheck(RuleDescriptor Rule, string? Benchmark, string? Checkov,
    IReadOnlyDictionary<string, Func<IacResource, IacContext, IEnumerable<IacFail>>> ByType);

/// <summary>The other resources of the same module or template, for checks that need a related resource (a bucket's
/// versioning or public access block declared as resources of their own).</summary>
public sealed class IacContext(IReadOnlyList<IacResource> resources)
{
    public IReadOnlyList<IacResource> Resources => resources;

    // Candidates by (type, directory), built once: a check asks for each of its resources, and a tree of thousands of
    // buckets must not compare every bucket with every resource.
    private readonly ILookup<(string Type, string Dir), IacResource> _byTypeAndDir =
        resources.ToLookup(r => (r.Type, TerraformProject.DirectoryOf(r.File)));

    /// <summary>Resources of <paramref name="type"/> in the same file's directory whose attributes name
    /// <paramref name="target"/>: by address in a reference (<c>aws_s3_bucket.logs.id</c>), by a CloudFormation
    /// <c>Ref</c>, or by the target's literal name.</summary>
    public IEnumerable<IacResource> Referencing(IacResource target, string type, string? nameAttribute = null)
    {
        var name = nameAttribute is null ? null : target.Attributes[nameAttribute] is ScalarNode { Type: ScalarType.String } s ? s.Value : null;
        var dir = TerraformProject.DirectoryOf(target.File);
        var local = target.Address.StartsWith("module.", StringComparison.Ordinal)
            ? target.Address[..(target.Address.LastIndexOf('.', target.Address.LastIndexOf('.') - 1) + 1)] : "";
        var bare = target.Address[local.Length..];
        return _byTypeAndDir[(type, dir)].Where(r => r != target && Names(r.Attributes, bare, target.Address, name));
    }

    private static bool Names(DocNode node, string address, string full, string? name) => node switch
    {
        ScalarNode { Type: ScalarType.Unknown } u => u.Value.Contains(address + ".", StringComparison.Ordinal) || u.Value.Contains(full + ".", StringComparison.Ordinal),
        ScalarNode s => name is not null && s.Value == name,
        MapNode { Pairs: [{ Key: "Ref", Value: ScalarNode r }] } => r.Value == address,
        MapNode m => m.Pairs.Any(p => Names(p.Value, address, full, name)),
        SeqNode q => q.Children.Any(c => Names(c, address, full, name)),
        _ => false,
    };
}

/// <summary>Reading values of the resource model the way the checks need them.</summary>
public static class V
{
    /// <summary>The value at a dotted path; a list on the way (a nested block) gives its first element.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string[]> Paths = new(StringComparer.Ordinal);

    public static DocNode? Get(DocNode? n, string path)
    {
        foreach (var part in Paths.GetOrAdd(path, p => p.Split('.')))
        {
            if (n is SeqNode q) n = q.Children.Count > 0 ? q.Children[0] : null;
            n = n?[part];
            if (n is null) return null;
        }
        return n;
    }

    /// <summary>Every block (or list item) at a path.</summary>
    public static IEnumerable<DocNode> All(DocNode? n, string key) => n?[key] switch
    {
        SeqNode q => q.Children,
        MapNode m => [m],
        _ => [],
    };

    public static bool? Bool(DocNode? n) => n switch
    {
        ScalarNode { Type: ScalarType.Bool } b => b.Bool,
        ScalarNode { Type: ScalarType.String } s => ScalarNode.ParseBool(s.Value.ToLowerInvariant()),
        _ => null,
    };

    public static bool IsTrue(DocNode? n) => Bool(n) == true;

    public static bool IsFalse(DocNode? n) => Bool(n) == false;

    /// <summary>Absent or null: the provider's default applies.</summary>
    public static bool Missing(DocNode? n) => n is null or ScalarNode { Type: ScalarType.Null };

    /// <summary>A value the checks cannot read: a reference, an unresolved variable, an intrinsic function.</summary>
    public static bool Unknown(DocNode? n) => n is ScalarNode { Type: ScalarType.Unknown } || n is MapNode { Pairs: [{ Key: var k }] } && (k == "Ref" || k.StartsWith("Fn::", StringComparison.Ordinal));

    public static string? Str(DocNode? n) => n is ScalarNode { Type: not ScalarType.Unknown and not ScalarType.Null } s ? s.Value : null;

    public static long? Int(DocNode? n) => n is ScalarNode { Type: ScalarType.Int or ScalarType.String or ScalarType.Float } s
        && double.TryParse(s.Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) ? (long)d : null;

    /// <summary>The strings of a scalar or a list of scalars.</summary>
    public static IEnumerable<string> Strings(DocNode? n) => n switch
    {
        SeqNode q => q.Children.Select(Str).OfType<string>(),
        ScalarNode => Str(n) is { } s ? [s] : [],
        _ => [],
    };

    public static bool IsWorld(string cidr) => cidr is "0.0.0.0/0" or "::/0" or "*" or "Internet" or "Any" or "any" or "internet" or "0.0.0.0";
}

internal static class CheckBuilder
{
    public static IacCheck Make(string id, string title, Severity severity, string description, string fix, string? benchmark, string? checkov,
        params (string Type, Func<IacResource, IacContext, IEnumerable<IacFail>> Eval)[] evaluators)
    {
        var references = new List<string>();
        if (checkov is not null) references.Add($"https://www.checkov.io/5.Policy%20Index/all.html#{checkov}");
        var rule = new RuleDescriptor
        {
            Class = FindingClass.Misconfig,
            Id = id,
            Title = title,
            Severity = severity,
            Description = benchmark is null ? description : $"{description} ({benchmark})",
            Remediation = fix,
            References = references,
        };
        return new IacCheck(rule, benchmark, checkov, evaluators.ToDictionary(e => e.Type, e => e.Eval, StringComparer.Ordinal));
    }

    public static IEnumerable<IacFail> Fail(string message, DocNode? at = null) => [new IacFail(message, at)];

    public static IEnumerable<IacFail> Pass => [];

    /// <summary>A boolean attribute that must be true (absent means the provider's default, <paramref name="defaultValue"/>).</summary>
    public static Func<IacResource, IacContext, IEnumerable<IacFail>> MustBeTrue(string path, bool defaultValue, string message) => (r, _) =>
    {
        var v = V.Get(r.Attributes, path);
        if (V.Unknown(v)) return Pass;
        var value = V.Missing(v) ? defaultValue : V.Bool(v);
        return value == false ? Fail(message, v) : Pass;
    };

    /// <summary>A boolean attribute that must be false (absent means <paramref name="defaultValue"/>).</summary>
    public static Func<IacResource, IacContext, IEnumerable<IacFail>> MustBeFalse(string path, bool defaultValue, string message) => (r, _) =>
    {
        var v = V.Get(r.Attributes, path);
        if (V.Unknown(v)) return Pass;
        var value = V.Missing(v) ? defaultValue : V.Bool(v);
        return value == true ? Fail(message, v) : Pass;
    };

    /// <summary>An attribute that must be set (to anything, a reference included).</summary>
    public static Func<IacResource, IacContext, IEnumerable<IacFail>> MustBeSet(string path, string message) => (r, _) =>
    {
        var v = V.Get(r.Attributes, path);
        return V.Missing(v) || (V.Str(v) == "") ? Fail(message, v) : Pass;
    };
}
