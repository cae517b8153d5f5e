using ZeroDrift.Core;
using ZeroDrift.Core.Findings;

namespace ZeroDrift.Sensitive;

public enum PiiKind
{
    PrcIdentityNumber,
    PrcMobileNumber,
    PaymentCard,
    Iban,
    Email,
    UsSsn,
    Passport,
}

/// <summary>The rule each kind of personal data is reported under, and the words that make a candidate credible.</summary>
internal static class PiiRules
{
    public static readonly IReadOnlyDictionary<PiiKind, RuleDescriptor> ByKind = new Dictionary<PiiKind, RuleDescriptor>
    {
        [PiiKind.PrcIdentityNumber] = Rule("pii-prc-resident-id", "PRC resident identity numbers", Severity.High,
            "18-character PRC resident identity numbers (GB 11643) with a valid province code, a real birth date after 1900 and not in the future, and the ISO 7064 MOD 11-2 check character.",
            "https://openstd.samr.gov.cn/bzgk/gb/newGbInfo?hcno=080D6FBF2BB468F9007657F26D60013E"),
        [PiiKind.PrcMobileNumber] = Rule("pii-prc-mobile", "PRC mobile phone numbers", Severity.Medium,
            "11-digit PRC mobile numbers in the 13x–19x ranges allocated to public mobile networks, optionally with +86; reported only near a phone keyword.",
            "https://www.miit.gov.cn/"),
        [PiiKind.PaymentCard] = Rule("pii-payment-card", "Payment card numbers", Severity.High,
            "Card numbers (PANs) passing the Luhn check and matching the issuer range and length of Visa, Mastercard, American Express, Discover, JCB, UnionPay or Diners Club; bare digit runs only near a card keyword.",
            "https://www.pcisecuritystandards.org/"),
        [PiiKind.Iban] = Rule("pii-iban", "International bank account numbers (IBAN)", Severity.High,
            "IBANs with their country's registry length and a valid ISO 13616 mod-97 check, in electronic or grouped print form.",
            "https://www.swift.com/standards/data-standards/iban-international-bank-account-number"),
        [PiiKind.Email] = Rule("pii-email", "E-mail addresses", Severity.Low,
            "E-mail addresses (RFC 5322 dot-atom subset with an alphabetic top-level domain); documentation domains (example.com, .test, .invalid…), file names like icon@2x.png and git@ SSH remotes are not counted.",
            "https://www.rfc-editor.org/rfc/rfc5322#section-3.4.1"),
        [PiiKind.UsSsn] = Rule("pii-us-ssn", "US Social Security numbers", Severity.High,
            "SSNs with a valid area (not 000, 666, 900–999), group (not 00) and serial (not 0000), excluding voided published numbers; the undashed form only near an SSN keyword.",
            "https://www.ssa.gov/employer/randomization.html"),
        [PiiKind.Passport] = Rule("pii-passport", "Passport numbers", Severity.High,
            "Passport-number-shaped values (up to two letters and 6–9 digits) reported only near a passport keyword (passport, 护照, Reisepass, passeport…).",
            "https://www.icao.int/publications/pages/publication.aspx?docnum=9303"),
    };

    private static RuleDescriptor Rule(string id, string title, Severity severity, string description, string reference) => new()
    {
        Class = FindingClass.Pii,
        Id = id,
        Title = title,
        Severity = severity,
        Description = description,
        Remediation = "Remove personal data from source trees and images; keep it in a protected data store, or replace it with synthetic test data.",
        References = [reference],
    };

    /// <summary>Context words, matched case-insensitively; ASCII words only at word boundaries (camelCase humps count).</summary>
    public static readonly IReadOnlyDictionary<PiiKind, string[]> Keywords = new Dictionary<PiiKind, string[]>
    {
        [PiiKind.PrcIdentityNumber] = ["身份证", "证件号", "公民身份", "idcard", "id_card", "id card", "idno", "id_no", "identity", "sfz", "sfzh", "citizen", "resident", "national id"],
        [PiiKind.PrcMobileNumber] = ["手机", "电话", "联系方式", "mobile", "phone", "tel", "telephone", "cell", "cellphone", "msisdn", "sms", "contact"],
        [PiiKind.PaymentCard] = ["card", "credit", "debit", "信用卡", "银行卡", "卡号", "visa", "mastercard", "amex", "pan", "ccnum", "cc_number", "cardnumber", "payment"],
        [PiiKind.Iban] = ["iban", "bank", "account", "konto", "bic", "swift", "账户", "账号"],
        [PiiKind.Email] = ["email", "e-mail", "mail", "邮箱", "contact"],
        [PiiKind.UsSsn] = ["ssn", "social security", "socialsecurity", "social_security", "ss#", "taxpayer", "tin"],
        [PiiKind.Passport] = ["passport", "护照", "reisepass", "passeport", "pasaporte", "passport no", "passport_no", "passportnumber"],
    };
}
