namespace ZeroDrift.Sensitive;

/// <summary>Masks personal data for reports: a short prefix and suffix stay so a reader can find the item, the rest becomes <c>*</c>.</summary>
public static class Masking
{
    public static string Mask(PiiKind kind, string value) => kind switch
    {
        PiiKind.Email => MaskEmail(value),
        PiiKind.UsSsn => "***-**-" + value[^4..],
        PiiKind.PrcMobileNumber => Keep(value, 3, 4),
        PiiKind.Passport => Keep(value, 2, 2),
        _ => Keep(value, 4, 4),
    };

    /// <summary>Keeps <paramref name="prefix"/> and <paramref name="suffix"/> characters, shortened so at least four are masked.</summary>
    public static string Keep(string value, int prefix, int suffix)
    {
        while (value.Length - prefix - suffix < 4 && (prefix > 0 || suffix > 0))
        {
            if (prefix >= suffix && prefix > 0) prefix--; else suffix--;
        }
        if (prefix + suffix >= value.Length) return new string('*', value.Length);
        return string.Concat(value.AsSpan(0, prefix), new string('*', value.Length - prefix - suffix), value.AsSpan(value.Length - suffix));
    }

    private static string MaskEmail(string value)
    {
        var at = value.LastIndexOf('@');
        var local = value[..at];
        var domain = value[(at + 1)..];
        var dot = domain.LastIndexOf('.');
        return $"{local[0]}***@{domain[0]}***{domain[dot..]}";
    }
}
