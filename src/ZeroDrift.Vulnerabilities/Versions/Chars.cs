namespace ZeroDrift.Vulnerabilities.Versions;

/// <summary>ASCII character classes and arbitrary-length numeric comparison shared by the schemes.</summary>
internal static class Chars
{
    public static bool IsDigit(char c) => c is >= '0' and <= '9';

    public static bool IsLetter(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z');

    public static bool IsAlphanumeric(char c) => IsDigit(c) || IsLetter(c);

    public static bool AllDigits(ReadOnlySpan<char> s) => s.Length > 0 && !s.ContainsAnyExceptInRange('0', '9');

    /// <summary>
    /// Compares two runs of ASCII digits by value, however long (versions carry dates and build numbers far past
    /// 64 bits): leading zeros dropped, then the longer is larger, then digit by digit.
    /// </summary>
    public static int CompareDigits(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        a = a.TrimStart('0');
        b = b.TrimStart('0');
        if (a.Length != b.Length) return a.Length < b.Length ? -1 : 1;
        return Math.Sign(a.SequenceCompareTo(b));
    }

    /// <summary>A digit run without its leading zeros ("0" for zero).</summary>
    public static string CanonicalDigits(ReadOnlySpan<char> digits)
    {
        var trimmed = digits.TrimStart('0');
        return trimmed.IsEmpty ? "0" : trimmed.ToString();
    }

    /// <summary>Compares numeric components, the shorter padded with zeros.</summary>
    public static int ComparePadded(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        for (var i = 0; i < Math.Max(a.Count, b.Count); i++)
        {
            var c = CompareDigits(i < a.Count ? a[i] : "0", i < b.Count ? b[i] : "0");
            if (c != 0) return c;
        }
        return 0;
    }

    public static int Ordinal(string a, string b) => Math.Sign(string.CompareOrdinal(a, b));
}
