namespace ZeroDrift.Inventory.Catalogers.Java;

/// <summary>
/// Maven's version range syntax in a dependency's version: "[1.0]" (exactly), "[1.0,2.0)", "(,1.0]", "[1.0,)",
/// or several ranges separated by commas ("[1.0,1.2),[1.3,)").
/// </summary>
internal static class MavenVersionRange
{
    public static bool IsRange(string version) => version.Length > 0 && version[0] is '[' or '(';

    /// <summary>The lowest version the range admits: the first range's lower bound when it is inclusive; null otherwise.</summary>
    public static string? LowestVersion(string range)
    {
        if (!range.StartsWith('[')) return null;
        var end = range.IndexOfAny([',', ']', ')'], 1);
        if (end < 0) return null;
        var lower = range[1..end].Trim();
        return lower.Length > 0 ? lower : null;
    }
}
