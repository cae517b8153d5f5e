using System.Text.RegularExpressions;

namespace ZeroDrift.Remediation.Dependencies.Editors;

/// <summary>
/// Raises the floor of a simple version requirement ("^4.17.15", "~1.2", "=1.0.0", ">=2", "1.6.0") to a new
/// version, keeping its operator: the smallest change that makes the vulnerable versions unresolvable.
/// Compound requirements ("1 || 2", ">=1 <2", wildcards, tags) are not rewritten: the caller says so.
/// </summary>
internal static partial class VersionRange
{
    [GeneratedRegex(@"^(?<op>\^|~|>=|=|==|~=)?\s*(?<v>v?\d+(\.\d+){0,2}([-+][0-9A-Za-z.\-+]*)?)$")]
    private static partial Regex Simple();

    public static string? Raise(string requirement, string to)
    {
        var m = Simple().Match(requirement.Trim());
        if (!m.Success) return null;
        return m.Groups["op"].Value + to;
    }
}
