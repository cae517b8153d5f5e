using System.Text.RegularExpressions;

namespace ZeroDrift.Inventory.Catalogers.Java;

/// <summary>
/// Resolves <c>${…}</c> references in a POM the way Maven's model interpolation does for the cases a file alone
/// can answer: <c>project.*</c> (and the old <c>pom.*</c> and bare forms) for groupId, artifactId and version,
/// <c>project.parent.*</c>, and <c>&lt;properties&gt;</c> of the POM and its parents (the child's win).
/// </summary>
internal sealed partial class PomProperties
{
    // A property may refer to another; a cycle or a very long chain stops here.
    private const int MaxDepth = 16;
    private const int MaxLength = 64 << 10;

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    /// <param name="chain">The POM first, then its parent, grandparent…</param>
    public PomProperties(IReadOnlyList<MavenPom> chain, string? groupId, string? version)
    {
        // Parents first so that the child's properties override them.
        foreach (var pom in chain.Reverse())
            foreach (var (key, value) in pom.Properties)
                _values[key] = value;
        var project = chain[0];
        foreach (var prefix in new[] { "project.", "pom.", "" })
        {
            Set(prefix + "groupId", groupId);
            Set(prefix + "artifactId", project.ArtifactId);
            Set(prefix + "version", version);
            Set(prefix + "packaging", project.Packaging ?? "jar");
            Set(prefix + "parent.groupId", project.Parent?.GroupId);
            Set(prefix + "parent.artifactId", project.Parent?.ArtifactId);
            Set(prefix + "parent.version", project.Parent?.Version);
        }
    }

    private void Set(string key, string? value)
    {
        if (value is not null) _values[key] = value;
    }

    /// <summary>The value with every resolvable reference replaced; null when one remains unresolved.</summary>
    public string? Resolve(string? value)
    {
        if (value is null) return null;
        for (var depth = 0; depth < MaxDepth; depth++)
        {
            if (!value.Contains("${", StringComparison.Ordinal)) return value;
            var unresolved = false;
            var next = Reference().Replace(value, m =>
            {
                if (_values.TryGetValue(m.Groups[1].Value, out var replacement)) return replacement;
                unresolved = true;
                return m.Value;
            });
            // Properties that expand to several copies of each other could grow without bound.
            if (unresolved || next.Length > MaxLength) return null;
            value = next;
        }
        return value.Contains("${", StringComparison.Ordinal) ? null : value;
    }

    /// <summary>The first <c>${name}</c> left in <paramref name="value"/>, for a warning.</summary>
    public static string? FirstReference(string value) => Reference().Match(value) is { Success: true } m ? m.Value : null;

    [GeneratedRegex(@"\$\{([^}]+)\}")]
    private static partial Regex Reference();
}
