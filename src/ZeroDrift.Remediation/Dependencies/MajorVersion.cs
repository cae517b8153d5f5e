using ZeroDrift.Core;

namespace ZeroDrift.Remediation.Dependencies;

/// <summary>
/// Whether an upgrade crosses a major version, by each ecosystem's compatibility rule: npm and Cargo read
/// requirements with caret semantics, where 0.x minors (and 0.0.x patches) are breaking; Go only changes a
/// module's path at v2, so its first component decides; PyPI, Maven and NuGet have no such rule, and the
/// first numeric component is what their users treat as the major.
/// </summary>
public static class MajorVersion
{
    public static bool Crosses(Ecosystem ecosystem, string from, string to)
    {
        var a = Leading(from);
        var b = Leading(to);
        if (a.Count == 0 || b.Count == 0) return !string.Equals(from, to, StringComparison.Ordinal);
        if (ecosystem is Ecosystem.Npm or Ecosystem.Cargo)
        {
            for (var i = 0; i < 3; i++)
            {
                var x = i < a.Count ? a[i] : 0;
                var y = i < b.Count ? b[i] : 0;
                if (x != y) return true;
                if (x != 0) return false;
            }
            return false;
        }
        return a[0] != b[0];
    }

    /// <summary>The leading numeric components: "v1.2.3-rc1" → [1, 2, 3]; "2.10" → [2, 10].</summary>
    private static List<long> Leading(string version)
    {
        var parts = new List<long>();
        var s = version.TrimStart('v', 'V');
        var colon = s.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0 && colon < s.Length - 1 && s[..colon].All(char.IsAsciiDigit)) s = s[(colon + 1)..];
        foreach (var piece in s.Split('.'))
        {
            var digits = new string(piece.TakeWhile(char.IsAsciiDigit).ToArray());
            if (digits.Length == 0 || digits.Length > 18) break;
            parts.Add(long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture));
            if (digits.Length != piece.Length) break;
        }
        return parts;
    }
}
