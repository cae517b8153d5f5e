using System.Text.RegularExpressions;

namespace ZeroDrift.Sensitive;

/// <summary>One item of personal data found on a line: where it is (0-based offset in the segment) and its normalized value.</summary>
internal readonly record struct PiiItem(PiiKind Kind, int Index, int Length, string Value);

/// <summary>
/// Finds validated personal data in one line. Candidates come from a hand-written tokenizer (digit formats,
/// e-mail addresses) and two linear regexes (IBAN, passport), run only when one pass over the line shows digits,
/// capitals or an @ where their kinds need them; each candidate is then validated
/// (check digits, ranges, dates) and, for the weak formats, kept only when a context keyword is near: on the line,
/// on the line before, or in the file's first line (the header row of a table dump). A span taken by one kind is
/// not reported again as another (an identity number is not also a Diners card).
/// </summary>
internal sealed class PiiMatcher(SensitiveDataOptions options)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(250);
    private const RegexOptions Opts = RegexOptions.Compiled | RegexOptions.CultureInvariant;

    private static readonly Regex IbanRx = new(@"(?<![0-9A-Za-z])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}", Opts, Timeout);
    private static readonly Regex PassportRx = new(@"(?<![0-9A-Za-z])[A-Z]{0,2}\d{6,9}(?![0-9A-Za-z])", Opts, Timeout);

    private readonly IReadOnlySet<PiiKind> _kinds = options.Kinds ?? Enum.GetValues<PiiKind>().ToHashSet();
    private readonly DateOnly _today = options.Today ?? DateOnly.FromDateTime(DateTime.UtcNow);

    /// <param name="context">Which kinds have a keyword near this line; asked lazily, only when a weak candidate needs it.</param>
    public void Match(ReadOnlySpan<char> line, Func<PiiKind, bool> context, List<PiiItem> found)
    {
        var start = found.Count;
        var shape = Shape(line);
        var hasAt = line.Contains('@');
        if (shape.MaxGrouped < 6 && !shape.IbanStart && !hasAt) return;
        // Digit kinds come from one tokenizer pass; the regexes run only where the line's shape allows their kind.
        if (shape.MaxGrouped >= 9) Numbers(line, context, found, start);
        string? text = null;
        if (shape.IbanStart && Wants(PiiKind.Iban)) Ibans(text ??= line.ToString(), found, start);
        if (shape.MaxRun >= 6 && Wants(PiiKind.Passport) && context(PiiKind.Passport)) Passports(text ??= line.ToString(), found, start);
        if (hasAt && Wants(PiiKind.Email)) Emails(line, found, start);
    }

    /// <summary>What one pass over a line tells: the longest digit run, the longest run of digits allowing single
    /// space or dash separators, and whether two capitals followed by two digits (an IBAN's start) occur.</summary>
    internal static (int MaxRun, int MaxGrouped, bool IbanStart) Shape(ReadOnlySpan<char> line)
    {
        int maxRun = 0, maxGrouped = 0, run = 0, grouped = 0;
        var iban = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (char.IsAsciiDigit(c))
            {
                run++;
                grouped++;
                if (run > maxRun) maxRun = run;
                if (grouped > maxGrouped) maxGrouped = grouped;
                if (!iban && run == 2 && i >= 3 && char.IsAsciiLetterUpper(line[i - 2]) && char.IsAsciiLetterUpper(line[i - 3])) iban = true;
                continue;
            }
            run = 0;
            if ((c == ' ' || c == '-') && i > 0 && char.IsAsciiDigit(line[i - 1]) && i + 1 < line.Length && char.IsAsciiDigit(line[i + 1])) continue;
            grouped = 0;
        }
        return (maxRun, maxGrouped, iban);
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



    private static void Passports(string text, List<PiiItem> found, int from)
    {
        // Only called near a passport keyword: the shape alone is any number.
        foreach (Match m in PassportRx.Matches(text))
        {
            if (m.Length is < 7 or > 10 || Taken(found, from, m.Index, m.Length)) continue;
            found.Add(new(PiiKind.Passport, m.Index, m.Length, m.Value));
        }
    }


    private static string Digits(ReadOnlySpan<char> s)
    {
        Span<char> buf = stackalloc char[s.Length];
        var n = 0;
        foreach (var c in s) if (char.IsAsciiDigit(c)) buf[n++] = c;
        return new string(buf[..n]);
    }

    /// <summary>
    /// Splits the line into numeric tokens (digits joined by single spaces or dashes, an optional leading + and a
    /// trailing X for identity numbers) standing alone (not glued to letters, not part of a decimal), then tries the
    /// digit formats on runs of the token's groups: identity numbers, cards as printed (4-4-4-4, 4-6-5, …), mobile
    /// numbers (3-4-4, with +86), SSNs (3-2-4) and their bare forms.
    /// </summary>
    private void Numbers(ReadOnlySpan<char> line, Func<PiiKind, bool> context, List<PiiItem> found, int from)
    {
        // A token of more groups (a space-separated list of numbers) is cut into tokens of this many groups.
        Span<(int Start, int Length)> groups = stackalloc (int, int)[32];
        var i = 0;
        while (i < line.Length)
        {
            if (!char.IsAsciiDigit(line[i])) { i++; continue; }
            var tokenStart = i;
            var plus = i > 0 && line[i - 1] == '+';
            var glued = (i > 0 && (char.IsAsciiLetter(line[i - 1]) || line[i - 1] == '.' && i > 1 && char.IsAsciiDigit(line[i - 2])))
                || (plus && i > 1 && char.IsAsciiLetterOrDigit(line[i - 2]));
            var count = 0;
            while (true)
            {
                var g = i;
                while (i < line.Length && char.IsAsciiDigit(line[i])) i++;
                groups[count++] = (g, i - g);
                if (count < groups.Length && i + 1 < line.Length && (line[i] == ' ' || line[i] == '-') && char.IsAsciiDigit(line[i + 1])) { i++; continue; }
                break;
            }
            var x = i < line.Length && (line[i] == 'X' || line[i] == 'x') && groups[count - 1].Length == 17 ? 1 : 0;
            var end = i + x;
            var after = end < line.Length && (char.IsAsciiLetterOrDigit(line[end]) || line[end] == '.' && end + 1 < line.Length && char.IsAsciiDigit(line[end + 1]));
            if (glued || after) { i = end; continue; }
            TryGroups(line, groups[..count], plus, x == 1, context, found, from);
            i = Math.Max(end, tokenStart + 1);
        }
    }

    private void TryGroups(ReadOnlySpan<char> line, ReadOnlySpan<(int Start, int Length)> g, bool plus, bool trailingX, Func<PiiKind, bool> context, List<PiiItem> found, int from)
    {
        var k = 0;
        // A leading country code: +86 / 0086 before a mobile number.
        var international = false;
        if (g.Length > 1 && (plus && Text(line, g[0]) is "86" || Text(line, g[0]) is "0086"))
        {
            international = true;
            k = 1;
        }
        else if (plus && g.Length == 1 && g[0].Length == 13 && line.Slice(g[0].Start, 2) is "86")
        {
            // +8613812345678
            var v = line.Slice(g[0].Start + 2, 11).ToString();
            if (PrcMobileNumber.IsValid(v)) Add(PiiKind.PrcMobileNumber, g[0].Start - 1, g[0].Length + 1, v, found, from);
            return;
        }
        while (k < g.Length)
        {
            var used = TryAt(line, g[k..], trailingX && k == g.Length - 1, international && k == 1, plus && k == 0, context, found, from);
            k += Math.Max(used, 1);
        }
    }

    /// <summary>Tries every format starting at the first group; returns how many groups the match used (0: none).</summary>
    private int TryAt(ReadOnlySpan<char> line, ReadOnlySpan<(int Start, int Length)> g, bool trailingX, bool international, bool plus, Func<PiiKind, bool> context, List<PiiItem> found, int from)
    {
        var first = g[0];
        var sep = g.Length > 1 ? line[first.Start + first.Length] : '\0';
        // Identity number: 17 digits and X, or 18 digits.
        if (Wants(PiiKind.PrcIdentityNumber) && !plus && ((first.Length == 17 && trailingX) || first.Length == 18))
        {
            var v = line.Slice(first.Start, 18).ToString().ToUpperInvariant();
            if (PrcIdentityNumber.IsValid(v, _today)) { Add(PiiKind.PrcIdentityNumber, first.Start, 18, v, found, from); return 1; }
        }

        if (Wants(PiiKind.PaymentCard) && !plus && !international)
        {
            // Cards as printed: 4-4-4-4(-3), 4-4-4-1..3 (13-15 digits), 4-6-5 (Amex), 4-6-4 (Diners); a bare run needs a keyword.
            foreach (var pattern in CardGroupings)
            {
                if (g.Length < pattern.Length || !SameSeparators(line, g, pattern.Length, sep)) continue;
                var fits = true;
                for (var j = 0; j < pattern.Length && fits; j++) fits = pattern[j] < 0 ? g[j].Length is >= 1 and <= 3 : g[j].Length == pattern[j];
                if (!fits) continue;
                var v = Joined(line, g, pattern.Length);
                if (PaymentCardNumber.Identify(v) is not null) { Add(PiiKind.PaymentCard, first.Start, SpanOf(g, pattern.Length), v, found, from); return pattern.Length; }
            }
            if (first.Length is >= 13 and <= 19 && PaymentCardNumber.Identify(line.Slice(first.Start, first.Length)) is not null && context(PiiKind.PaymentCard))
            {
                Add(PiiKind.PaymentCard, first.Start, first.Length, line.Slice(first.Start, first.Length).ToString(), found, from);
                return 1;
            }
        }

        if (Wants(PiiKind.PrcMobileNumber) && !plus)
        {
            // 138 1234 5678 / 138-1234-5678 / 13812345678; with a country code it is a phone number without a keyword.
            string? v = null;
            var n = 0;
            if (g.Length >= 3 && first.Length == 3 && g[1].Length == 4 && g[2].Length == 4 && SameSeparators(line, g, 3, sep)) { v = Joined(line, g, 3); n = 3; }
            else if (first.Length == 11) { v = line.Slice(first.Start, 11).ToString(); n = 1; }
            if (v is not null && PrcMobileNumber.IsValid(v) && (international || context(PiiKind.PrcMobileNumber)))
            {
                Add(PiiKind.PrcMobileNumber, first.Start, SpanOf(g, n), v, found, from);
                return n;
            }
        }

        if (Wants(PiiKind.UsSsn) && !plus && !international)
        {
            // 536-90-4399 is the SSN's own print form; 536 90 4399 and 536904399 need a keyword.
            if (g.Length >= 3 && first.Length == 3 && g[1].Length == 2 && g[2].Length == 4 && SameSeparators(line, g, 3, sep) && (g.Length == 3 || line[g[3].Start - 1] != sep))
            {
                var v = Joined(line, g, 3);
                if (UsSocialSecurityNumber.IsValid(v) && (sep == '-' || context(PiiKind.UsSsn))) { Add(PiiKind.UsSsn, first.Start, SpanOf(g, 3), v, found, from); return 3; }
            }
            else if (first.Length == 9)
            {
                var v = line.Slice(first.Start, 9).ToString();
                if (UsSocialSecurityNumber.IsValid(v) && context(PiiKind.UsSsn)) { Add(PiiKind.UsSsn, first.Start, 9, v, found, from); return 1; }
            }
        }
        return 0;
    }

    // Group lengths of printed card numbers; -1 stands for a last group of one to three digits.
    private static readonly int[][] CardGroupings = [[4, 4, 4, 4, 3], [4, 4, 4, 4], [4, 6, 5], [4, 6, 4], [4, 4, 4, -1]];

    private static string Text(ReadOnlySpan<char> line, (int Start, int Length) g) => line.Slice(g.Start, g.Length).ToString();

    private static void Add(PiiKind kind, int index, int length, string value, List<PiiItem> found, int from)
    {
        if (!Taken(found, from, index, length)) found.Add(new(kind, index, length, value));
    }

    private static bool SameSeparators(ReadOnlySpan<char> line, ReadOnlySpan<(int Start, int Length)> g, int n, char sep)
    {
        for (var j = 1; j < n; j++) if (line[g[j].Start - 1] != sep) return false;
        return true;
    }

    private static int SpanOf(ReadOnlySpan<(int Start, int Length)> g, int n) => g[n - 1].Start + g[n - 1].Length - g[0].Start;

    private static string Joined(ReadOnlySpan<char> line, ReadOnlySpan<(int Start, int Length)> g, int n)
    {
        var length = 0;
        for (var j = 0; j < n; j++) length += g[j].Length;
        Span<char> chars = stackalloc char[length];
        var o = 0;
        for (var j = 0; j < n; j++) { line.Slice(g[j].Start, g[j].Length).CopyTo(chars[o..]); o += g[j].Length; }
        return new string(chars);
    }

    private const string LocalChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-";
    private static readonly System.Buffers.SearchValues<char> Local = System.Buffers.SearchValues.Create(LocalChars);
    private static readonly System.Buffers.SearchValues<char> Domain = System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");

    /// <summary>E-mail addresses found around each @: the local part to its left, the domain to its right, then validated.</summary>
    private static void Emails(ReadOnlySpan<char> line, List<PiiItem> found, int from)
    {
        var at = -1;
        while ((at = line[(at + 1)..].IndexOf('@') is var n && n >= 0 ? at + 1 + n : -1) >= 0)
        {
            var s = at;
            while (s > 0 && at - s < 64 && Local.Contains(line[s - 1])) s--;
            while (s < at && !char.IsAsciiLetterOrDigit(line[s])) s++; // a local part starts with a letter or digit here
            var e = at + 1;
            while (e < line.Length && e - at <= 253 && Domain.Contains(line[e])) e++;
            while (e > at + 1 && line[e - 1] is '.' or '-') e--;
            if (s == at || e == at + 1) continue;
            if (s > 0 && Local.Contains(line[s - 1])) continue; // the local part is longer than 64: not an address
            var v = line[s..e].ToString();
            // git@github.com:org/repo is an SSH remote, not a person.
            if (v.StartsWith("git@", StringComparison.OrdinalIgnoreCase)) continue;
            if (EmailAddress.Check(v) != EmailAddress.Verdict.Valid) continue;
            Add(PiiKind.Email, s, e - s, v, found, from);
        }
    }
}
