using System.Text.RegularExpressions;

namespace ZeroDrift.Sensitive;

/// <summary>One item of personal data found on a line: where it is (0-based offset in the segment) and its normalized value.</summary>
internal readonly record struct PiiItem(PiiKind Kind, int Index, int Length, string Value);

/// <summary>
/// Finds validated personal data in one line. Candidates come from simple linear regexes; each is then validated
/// (check digits, ranges, dates) and, for the weak formats, kept only when a context keyword is near: on the line,
/// on the line before, or in the file's first line (the header row of a table dump). A span taken by one kind is
/// not reported again as another (an identity number is not also a Diners card).
/// </summary>
internal sealed class PiiMatcher(SensitiveDataOptions options)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(250);
    private const RegexOptions Opts = RegexOptions.Compiled | RegexOptions.CultureInvariant;

    private static readonly Regex IdRx = new(@"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])", Opts, Timeout);
    private static readonly Regex CardRx = new(
        @"(?<![0-9A-Za-z.])(?:\d{13,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]\d{3})?|\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{1,3}|\d{4}[ -]\d{6}[ -]\d{4,5})(?![0-9A-Za-z]|\.\d)",
        Opts, Timeout);
    private static readonly Regex IbanRx = new(@"(?<![0-9A-Za-z])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}", Opts, Timeout);
    private static readonly Regex SsnRx = new(@"(?<![0-9A-Za-z.-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![0-9A-Za-z-]|\.\d)", Opts, Timeout);
    private static readonly Regex MobileRx = new(
        @"(?<![0-9A-Za-z+.-])(?:(?:\+|00)86[ -]?)?(1[3-9]\d)([ -]?)(\d{4})\2(\d{4})(?![0-9A-Za-z]|[.-]\d)", Opts, Timeout);
    private static readonly Regex PassportRx = new(@"(?<![0-9A-Za-z])[A-Z]{0,2}\d{6,9}(?![0-9A-Za-z])", Opts, Timeout);
    private static readonly Regex EmailRx = new(
        @"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}(?![A-Za-z0-9-])", Opts, Timeout);

    private readonly IReadOnlySet<PiiKind> _kinds = options.Kinds ?? Enum.GetValues<PiiKind>().ToHashSet();
    private readonly DateOnly _today = options.Today ?? DateOnly.FromDateTime(DateTime.UtcNow);

    /// <param name="context">Which kinds have a keyword near this line; asked lazily, only when a weak candidate needs it.</param>
    public void Match(ReadOnlySpan<char> line, Func<PiiKind, bool> context, List<PiiItem> found)
    {
        var start = found.Count;
        var hasDigit = line.IndexOfAnyInRange('0', '9') >= 0;
        var hasAt = line.Contains('@');
        if (!hasDigit && !hasAt) return;
        var text = line.ToString();
        if (hasDigit)
        {
            if (Wants(PiiKind.PrcIdentityNumber)) Ids(text, found, start);
            if (Wants(PiiKind.PaymentCard)) Cards(text, context, found, start);
            if (Wants(PiiKind.Iban)) Ibans(text, found, start);
            if (Wants(PiiKind.UsSsn)) Ssns(text, context, found, start);
            if (Wants(PiiKind.PrcMobileNumber)) Mobiles(text, context, found, start);
            if (Wants(PiiKind.Passport)) Passports(text, context, found, start);
        }
        if (Wants(PiiKind.Email) && hasAt) Emails(text, found, start);
    }

    private bool Wants(PiiKind kind) => _kinds.Contains(kind);

    private static bool Taken(List<PiiItem> found, int from, int index, int length)
    {
        for (var i = from; i < found.Count; i++)
        {
            var f = found[i];
            if (index < f.Index + f.Length && f.Index < index + length) return true;
        }
        return false;
    }

    private void Ids(string text, List<PiiItem> found, int from)
    {
        foreach (Match m in IdRx.Matches(text))
        {
            var v = m.Value.ToUpperInvariant();
            if (PrcIdentityNumber.IsValid(v, _today) && !Taken(found, from, m.Index, m.Length))
                found.Add(new(PiiKind.PrcIdentityNumber, m.Index, m.Length, v));
        }
    }

    private static void Cards(string text, Func<PiiKind, bool> context, List<PiiItem> found, int from)
    {
        foreach (Match m in CardRx.Matches(text))
        {
            var digits = Digits(m.ValueSpan);
            if (PaymentCardNumber.Identify(digits) is null || Taken(found, from, m.Index, m.Length)) continue;
            // A number printed in groups is formatted as a card; a bare digit run could be any identifier.
            var grouped = digits.Length != m.Length;
            if (grouped || context(PiiKind.PaymentCard)) found.Add(new(PiiKind.PaymentCard, m.Index, m.Length, digits));
        }
    }

    private static void Ibans(string text, List<PiiItem> found, int from)
    {
        foreach (Match m in IbanRx.Matches(text))
        {
            // The regex may run on into the next word; cut at the country's registry length.
            if (Iban.LengthFor(m.ValueSpan[..2]) is not { } length) continue;
            var chars = new char[length];
            int n = 0, end = 0;
            for (var i = 0; i < m.Length && n < length; i++)
            {
                var c = m.ValueSpan[i];
                if (c == ' ') continue;
                chars[n++] = c;
                end = i + 1;
            }
            if (n < length) continue;
            var after = m.Index + end;
            if (after < text.Length && char.IsAsciiLetterOrDigit(text[after])) continue;
            var v = new string(chars);
            if (Iban.IsValid(v) && !Taken(found, from, m.Index, end)) found.Add(new(PiiKind.Iban, m.Index, end, v));
        }
    }

    private static void Ssns(string text, Func<PiiKind, bool> context, List<PiiItem> found, int from)
    {
        foreach (Match m in SsnRx.Matches(text))
        {
            var digits = m.Groups[1].Value + m.Groups[3].Value + m.Groups[4].Value;
            if (!UsSocialSecurityNumber.IsValid(digits) || Taken(found, from, m.Index, m.Length)) continue;
            // The dashed form is the SSN's own print format; nine bare digits need a keyword.
            if (m.Groups[2].Value == "-" || context(PiiKind.UsSsn)) found.Add(new(PiiKind.UsSsn, m.Index, m.Length, digits));
        }
    }

    private static void Mobiles(string text, Func<PiiKind, bool> context, List<PiiItem> found, int from)
    {
        foreach (Match m in MobileRx.Matches(text))
        {
            var digits = m.Groups[1].Value + m.Groups[3].Value + m.Groups[4].Value;
            if (!PrcMobileNumber.IsValid(digits) || Taken(found, from, m.Index, m.Length)) continue;
            // With the country code the number is unmistakably a phone number; otherwise 11 digits need a keyword.
            var international = m.Value.StartsWith('+') || m.Value.StartsWith("0086", StringComparison.Ordinal);
            if (international || context(PiiKind.PrcMobileNumber)) found.Add(new(PiiKind.PrcMobileNumber, m.Index, m.Length, digits));
        }
    }

    private static void Passports(string text, Func<PiiKind, bool> context, List<PiiItem> found, int from)
    {
        foreach (Match m in PassportRx.Matches(text))
        {
            if (m.Length is < 7 or > 10 || Taken(found, from, m.Index, m.Length)) continue;
            // Only near a passport keyword: the shape alone is any number.
            if (!context(PiiKind.Passport)) return;
            found.Add(new(PiiKind.Passport, m.Index, m.Length, m.Value));
        }
    }

    private static void Emails(string text, List<PiiItem> found, int from)
    {
        foreach (Match m in EmailRx.Matches(text))
        {
            var v = m.Value;
            // git@github.com:org/repo is an SSH remote, not a person.
            if (v.StartsWith("git@", StringComparison.OrdinalIgnoreCase)) continue;
            if (EmailAddress.Check(v) != EmailAddress.Verdict.Valid || Taken(found, from, m.Index, m.Length)) continue;
            found.Add(new(PiiKind.Email, m.Index, m.Length, v));
        }
    }

    private static string Digits(ReadOnlySpan<char> s)
    {
        Span<char> buf = stackalloc char[s.Length];
        var n = 0;
        foreach (var c in s) if (char.IsAsciiDigit(c)) buf[n++] = c;
        return new string(buf[..n]);
    }
}
