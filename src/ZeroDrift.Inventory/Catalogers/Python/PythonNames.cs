using System.Text.RegularExpressions;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.Python;

public static partial class PythonNames
{
    /// <summary>PEP 503 normalisation: the key two spellings of one project share ("Foo_Bar", "foo.bar" → "foo-bar").</summary>
    public static string Normalize(string name) => Separators().Replace(name.Trim(), "-").ToLowerInvariant();

    public static PackageUrl Purl(string name, string version) => PackageUrl.For(Ecosystem.PyPI, null, name, version);

    /// <summary>The project name at the start of a requirement ("requests[socks] (>=2.0); python_version…" → "requests").</summary>
    public static string? RequirementName(string requirement) =>
        RequirementNamePattern().Match(requirement) is { Success: true } m ? m.Value : null;

    [GeneratedRegex("[-_.]+")]
    private static partial Regex Separators();

    [GeneratedRegex(@"^\s*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")]
    private static partial Regex RequirementNamePattern();
}
