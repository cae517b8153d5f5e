namespace ZeroDrift.Sensitive;

/// <summary>PRC resident identity number (GB 11643-1999): 6-digit region, 8-digit birth date, 3-digit sequence, ISO 7064 MOD 11-2 check character.</summary>
public static class PrcIdentityNumber
{
    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    private const string CheckChars = "10X98765432";

    // Province-level administrative division codes (GB/T 2260): the first two digits of every region code.
    private static readonly HashSet<int> Provinces =
    [
        11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
        50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
    ];

    /// <summary>The check character GB 11643 assigns to the first 17 digits.</summary>
    public static char CheckCharacter(ReadOnlySpan<char> first17)
    {
        var sum = 0;
        for (var i = 0; i < 17; i++) sum += (first17[i] - '0') * Weights[i];
        return CheckChars[sum % 11];
    }

    /// <param name="today">The date birth dates may not pass; today's UTC date by default.</param>
    public static bool IsValid(ReadOnlySpan<char> id, DateOnly? today = null)
    {
        if (id.Length != 18) return false;
        for (var i = 0; i < 17; i++) if (!char.IsAsciiDigit(id[i])) return false;
        var last = char.ToUpperInvariant(id[17]);
        if (!char.IsAsciiDigit(last) && last != 'X') return false;
        if (!Provinces.Contains((id[0] - '0') * 10 + (id[1] - '0'))) return false;
        // Only the province is checked: prefecture and county codes change with every redistricting, and numbers keep the code they were issued under.
        if (!TryBirthDate(id, out var birth)) return false;
        var limit = today ?? DateOnly.FromDateTime(DateTime.UtcNow);
        if (birth > limit || birth.Year < 1900) return false;
        return CheckCharacter(id[..17]) == last;
    }

    internal static bool TryBirthDate(ReadOnlySpan<char> id, out DateOnly date)
    {
        date = default;
        var year = int.Parse(id.Slice(6, 4), provider: System.Globalization.CultureInfo.InvariantCulture);
        var month = int.Parse(id.Slice(10, 2), provider: System.Globalization.CultureInfo.InvariantCulture);
        var day = int.Parse(id.Slice(12, 2), provider: System.Globalization.CultureInfo.InvariantCulture);
        if (month is < 1 or > 12 || day < 1 || year < 1 || day > DateTime.DaysInMonth(year, month)) return false;
        date = new DateOnly(year, month, day);
        return true;
    }
}

/// <summary>PRC mainland mobile numbers: 11 digits in the 13x–19x ranges MIIT has allocated to public mobile networks.</summary>
public static class PrcMobileNumber
{
    // Three-digit network prefixes in use for personal mobile service (voice/SMS and data cards); 140–144, 146, 148 (IoT, 13 digits)
    // and 174 (satellite, shared with other uses), 154, 160–161, 163–164, 168–169, 179 and 194 are not personal mobile numbers.
    private static readonly HashSet<int> Prefixes =
    [
        130, 131, 132, 133, 134, 135, 136, 137, 138, 139,
        145, 147, 149,
        150, 151, 152, 153, 155, 156, 157, 158, 159,
        162, 165, 166, 167,
        170, 171, 172, 173, 175, 176, 177, 178,
        180, 181, 182, 183, 184, 185, 186, 187, 188, 189,
        190, 191, 192, 193, 195, 196, 197, 198, 199,
    ];

    /// <summary>Whether 11 digits (no country code, no separators) form an allocated mobile number.</summary>
    public static bool IsValid(ReadOnlySpan<char> digits)
    {
        if (digits.Length != 11) return false;
        foreach (var c in digits) if (!char.IsAsciiDigit(c)) return false;
        return Prefixes.Contains((digits[0] - '0') * 100 + (digits[1] - '0') * 10 + (digits[2] - '0'));
    }
}

public enum CardBrand
{
    Visa,
    Mastercard,
    AmericanExpress,
    Discover,
    Jcb,
    UnionPay,
    DinersClub,
}

/// <summary>Payment card numbers (PANs): the Luhn check plus the issuer identification ranges and lengths of the major networks.</summary>
public static class PaymentCardNumber
{
    public static bool LuhnValid(ReadOnlySpan<char> digits)
    {
        var sum = 0;
        var doubleIt = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if (d is < 0 or > 9) return false;
            if (doubleIt) { d *= 2; if (d > 9) d -= 9; }
            sum += d;
            doubleIt = !doubleIt;
        }
        return digits.Length > 0 && sum % 10 == 0;
    }

    /// <summary>The network whose IIN range and length the number fits, or null; the number must also pass Luhn.</summary>
    public static CardBrand? Identify(ReadOnlySpan<char> digits)
    {
        if (digits.Length is < 13 or > 19 || !LuhnValid(digits)) return null;
        var len = digits.Length;
        var p2 = Prefix(digits, 2);
        var p3 = Prefix(digits, 3);
        var p4 = Prefix(digits, 4);
        var p6 = Prefix(digits, 6);
        if (digits[0] == '4') return len is 13 or 16 or 19 ? CardBrand.Visa : null;
        if (p2 is >= 51 and <= 55 || p4 is >= 2221 and <= 2720) return len == 16 ? CardBrand.Mastercard : null;
        if (p2 is 34 or 37) return len == 15 ? CardBrand.AmericanExpress : null;
        // Discover's range includes UnionPay co-branded 622126–622925, checked before UnionPay's 62.
        if (p4 == 6011 || p3 is >= 644 and <= 649 || p2 == 65 || p6 is >= 622126 and <= 622925)
            return len is >= 16 and <= 19 ? CardBrand.Discover : null;
        if (p4 is >= 3528 and <= 3589) return len is >= 16 and <= 19 ? CardBrand.Jcb : null;
        if (p2 == 62) return len is >= 16 and <= 19 ? CardBrand.UnionPay : null;
        if (p2 == 36) return len is >= 14 and <= 19 ? CardBrand.DinersClub : null;
        if (p3 is >= 300 and <= 305 || p4 == 3095 || p2 is 38 or 39) return len is >= 14 and <= 19 ? CardBrand.DinersClub : null;
        return null;
    }

    private static int Prefix(ReadOnlySpan<char> digits, int n) => int.Parse(digits[..n], provider: System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>International Bank Account Numbers (ISO 13616): the registry length of the country and the mod-97 check.</summary>
public static class Iban
{
    // IBAN lengths per country from the SWIFT IBAN registry.
    private static readonly Dictionary<string, int> Lengths = new(StringComparer.Ordinal)
    {
        ["AD"] = 24, ["AE"] = 23, ["AL"] = 28, ["AT"] = 20, ["AZ"] = 28, ["BA"] = 20, ["BE"] = 16, ["BG"] = 22, ["BH"] = 22,
        ["BI"] = 27, ["BR"] = 29, ["BY"] = 28, ["CH"] = 21, ["CR"] = 22, ["CY"] = 28, ["CZ"] = 24, ["DE"] = 22, ["DJ"] = 27,
        ["DK"] = 18, ["DO"] = 28, ["EE"] = 20, ["EG"] = 29, ["ES"] = 24, ["FI"] = 18, ["FK"] = 18, ["FO"] = 18, ["FR"] = 27,
        ["GB"] = 22, ["GE"] = 22, ["GI"] = 23, ["GL"] = 18, ["GR"] = 27, ["GT"] = 28, ["HN"] = 28, ["HR"] = 21, ["HU"] = 28,
        ["IE"] = 22, ["IL"] = 23, ["IQ"] = 23, ["IS"] = 26, ["IT"] = 27, ["JO"] = 30, ["KW"] = 30, ["KZ"] = 20, ["LB"] = 28,
        ["LC"] = 32, ["LI"] = 21, ["LT"] = 20, ["LU"] = 20, ["LV"] = 21, ["LY"] = 25, ["MC"] = 27, ["MD"] = 24, ["ME"] = 22,
        ["MK"] = 19, ["MN"] = 20, ["MR"] = 27, ["MT"] = 31, ["MU"] = 30, ["NI"] = 28, ["NL"] = 18, ["NO"] = 15, ["OM"] = 23,
        ["PK"] = 24, ["PL"] = 28, ["PS"] = 29, ["PT"] = 25, ["QA"] = 29, ["RO"] = 24, ["RS"] = 22, ["RU"] = 33, ["SA"] = 24,
        ["SC"] = 31, ["SD"] = 18, ["SE"] = 24, ["SI"] = 19, ["SK"] = 24, ["SM"] = 27, ["SO"] = 23, ["ST"] = 25, ["SV"] = 28,
        ["TL"] = 23, ["TN"] = 24, ["TR"] = 26, ["UA"] = 29, ["VA"] = 22, ["VG"] = 24, ["XK"] = 20, ["YE"] = 30,
    };

    /// <summary>The registry length of a country's IBANs, or null when the country issues none.</summary>
    public static int? LengthFor(ReadOnlySpan<char> country) =>
        Lengths.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(country, out var n) ? n : null;

    /// <summary>Whether an electronic-format IBAN (no spaces, upper case) has its country's length and a valid mod-97 check.</summary>
    public static bool IsValid(ReadOnlySpan<char> iban)
    {
        if (iban.Length < 15 || LengthFor(iban[..2]) != iban.Length) return false;
        if (!char.IsAsciiDigit(iban[2]) || !char.IsAsciiDigit(iban[3])) return false;
        // Move the first four characters to the end, letters to 10..35, and reduce mod 97 digit by digit.
        var remainder = 0;
        for (var i = 0; i < iban.Length; i++)
        {
            var c = iban[(i + 4) % iban.Length];
            if (char.IsAsciiDigit(c)) remainder = (remainder * 10 + (c - '0')) % 97;
            else if (char.IsAsciiLetterUpper(c)) remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
            else return false;
        }
        return remainder == 1;
    }
}

/// <summary>US Social Security numbers: the SSA's structural rules and the numbers known to be invalid or published.</summary>
public static class UsSocialSecurityNumber
{
    // Numbers the SSA voided after they were published (the Woolworth wallet card, the 1962 ad) and the universal placeholder.
    private static readonly HashSet<string> Invalid = ["078051120", "219099999", "123456789"];

    /// <summary>Whether nine digits (no dashes) can be an issued SSN: area not 000, 666 or 900–999; group not 00; serial not 0000;
    /// not a published voided number, not a placeholder of repeated digits.</summary>
    public static bool IsValid(ReadOnlySpan<char> digits)
    {
        if (digits.Length != 9) return false;
        foreach (var c in digits) if (!char.IsAsciiDigit(c)) return false;
        var area = (digits[0] - '0') * 100 + (digits[1] - '0') * 10 + (digits[2] - '0');
        if (area is 0 or 666 or >= 900) return false;
        if (digits[3] == '0' && digits[4] == '0') return false;
        if (digits[5..].SequenceEqual("0000")) return false;
        // Placeholders people type for an example (111-22-3333, 999-99-9999): every group one repeated digit.
        if (Repeated(digits[..3]) && Repeated(digits[3..5]) && Repeated(digits[5..])) return false;
        return !Invalid.Contains(digits.ToString());
    }

    private static bool Repeated(ReadOnlySpan<char> group)
    {
        foreach (var c in group) if (c != group[0]) return false;
        return true;
    }
}

/// <summary>E-mail addresses: the dot-atom subset of RFC 5322 that real addresses use, with a required alphabetic top-level domain.</summary>
public static class EmailAddress
{
    // Reserved for documentation and testing (RFC 2606, RFC 6761): never a real person's address.
    private static readonly string[] ReservedDomains = ["example.com", "example.org", "example.net", "example.edu", "localhost"];
    private static readonly string[] ReservedTlds = ["example", "test", "invalid", "localhost", "local"];

    // File extensions that look like a TLD in `icon@2x.png` or `name@1.0.0.tgz`; none is a delegated TLD that people use for mail.
    private static readonly HashSet<string> FileExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "js", "mjs", "cjs", "ts", "css", "map", "json", "tgz", "gz", "zip",
        "html", "htm", "xml", "txt", "md", "yaml", "yml", "toml", "lock", "py", "rb", "go", "rs", "cs", "java", "class", "jar",
        "so", "dll", "exe", "wasm", "woff", "woff2", "ttf", "eot", "pdf", "mp4", "mp3", "wav", "sh", "ps1", "vue", "jsx", "tsx",
    };

    public enum Verdict { Valid, Invalid, Reserved }

    public static Verdict Check(string address)
    {
        var at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1) return Verdict.Invalid;
        var local = address.AsSpan(0, at);
        var domain = address[(at + 1)..];
        if (local.Length > 64 || domain.Length > 253) return Verdict.Invalid;
        if (local[0] == '.' || local[^1] == '.' || local.Contains("..", StringComparison.Ordinal)) return Verdict.Invalid;
        var labels = domain.Split('.');
        if (labels.Length < 2) return Verdict.Invalid;
        foreach (var label in labels)
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-') return Verdict.Invalid;
        }
        var tld = labels[^1];
        if (tld.Length < 2 || !tld.All(char.IsAsciiLetter) || FileExtensions.Contains(tld)) return Verdict.Invalid;
        var lower = domain.ToLowerInvariant();
        if (ReservedTlds.Contains(tld.ToLowerInvariant())) return Verdict.Reserved;
        foreach (var r in ReservedDomains)
        {
            if (lower == r || lower.EndsWith("." + r, StringComparison.Ordinal)) return Verdict.Reserved;
        }
        return Verdict.Valid;
    }
}
