using System.Text.RegularExpressions;

namespace ZeroDrift.Inventory.Catalogers.Java;

/// <summary>Name and version from an archive's file name, <c>commons-lang3-3.14.0.jar</c> → (commons-lang3, 3.14.0).</summary>
internal static partial class ArchiveFileName
{
    public static readonly string[] Extensions = [".jar", ".war", ".ear", ".jpi", ".hpi", ".par", ".sar", ".nar", ".kar"];

    public static bool IsArchive(string name) =>
        Extensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    public static (string Name, string? Version) Split(string fileName)
    {
        var stem = fileName;
        var dot = stem.LastIndexOf('.');
        if (dot > 0 && IsArchive(stem)) stem = stem[..dot];
        // The version starts at the first "-" followed by a digit: guava-32.1.3-jre, jetty-server-9.4.53.v20231009.
        try
        {
            return NameVersion().Match(stem) is { Success: true } m ? (m.Groups["name"].Value, m.Groups["version"].Value) : (stem, null);
        }
        catch (RegexMatchTimeoutException)
        {
            return (stem, null); // a hostile zip entry name, thousands of characters long
        }
    }

    [GeneratedRegex(@"^(?<name>[A-Za-z][\w.]*?(?:-[A-Za-z][\w.]*?)*)-(?<version>\d[\w.+-]*)$", RegexOptions.None, matchTimeoutMilliseconds: 200)]
    private static partial Regex NameVersion();
}
