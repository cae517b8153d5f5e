using System.Text.RegularExpressions;

namespace ZeroDrift.Misconfig;

/// <summary>Whether a variable name says it holds a secret, and whether its value is a literal rather than a reference.</summary>
internal static partial class SecretNames
{
    [GeneratedRegex(@"passw(or)?d|passwd|pwd|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credential|(^|[_-])key$|auth[_-]?key", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();

    // Names that hold where a secret is, or something about it, not the secret itself.
    [GeneratedRegex(@"[_-](file|path|dir|url|uri|name|endpoint|ttl|length|len|expiry|expires|expiration|header|type|id|ref|version|enabled|mode|size|timeout|host|port|user|username)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NotTheSecret();

    public static bool LooksSecret(string name) => name.Length <= 256 && SecretName().IsMatch(name) && !NotTheSecret().IsMatch(name);

    /// <summary>A literal value: not empty and not a reference to another variable (<c>$VAR</c>, <c>${VAR}</c>, <c>$(VAR)</c>).</summary>
    public static bool IsLiteral(string? value) =>
        !string.IsNullOrWhiteSpace(value) && !value.StartsWith('$') && !value.Contains("{{", StringComparison.Ordinal);
}
