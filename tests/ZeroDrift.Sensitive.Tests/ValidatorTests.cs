using ZeroDrift.Sensitive;

namespace ZeroDrift.Sensitive.Tests;

public class ValidatorTests
{
    private static readonly DateOnly Today = new(2026, 11, 29);

    [Theory]
    [InlineData("11010519491231002X")] // the worked example of GB 11643-1999
    [InlineData("11010519491231002x")] // lower-case check character
    [InlineData("110101199003074477")]
    [InlineData("440308199901011234")]
    [InlineData("650102200002291231")]   // born on a leap day
    public void Prc_identity_numbers_with_valid_region_date_and_check_digit_pass(string id)
    {
        // Computed, not copied: the check character of the first 17 digits must be the 18th.
        Assert.Equal(char.ToUpperInvariant(id[17]), PrcIdentityNumber.CheckCharacter(id.AsSpan(0, 17)));
        Assert.True(PrcIdentityNumber.IsValid(id, Today));
    }

    [Theory]
    [InlineData("110105194912310021", "wrong check digit (X expected)")]
    [InlineData("440524188001010014", "the standard's second example: born 1880, before 1900")]
    [InlineData("990105194912310029", "province 99 does not exist")]
    [InlineData("110105194902300021", "30 February")]
    [InlineData("110105190002290021", "1900 was not a leap year")]
    [InlineData("110105203001010021", "born in the future")]
    [InlineData("11010519491231002", "17 characters")]
    [InlineData("1101051949123100X2", "X not in last place")]
    public void Prc_identity_numbers_are_rejected(string id, string why)
    {
        // Give the structurally broken ones a correct check digit so only the named rule can reject them.
        if (id.Length == 18 && id[..17].All(char.IsAsciiDigit) && why != "wrong check digit (X expected)")
            id = id[..17] + PrcIdentityNumber.CheckCharacter(id.AsSpan(0, 17));
        Assert.False(PrcIdentityNumber.IsValid(id, Today), why);
    }

    [Theory]
    [InlineData("13812345678", true)]
    [InlineData("19912345678", true)]
    [InlineData("16612345678", true)]
    [InlineData("14712345678", true)]
    [InlineData("14012345678", false)] // IoT range
    [InlineData("15412345678", false)] // unallocated
    [InlineData("17412345678", false)] // satellite
    [InlineData("12012345678", false)]
    [InlineData("1381234567", false)]
    public void Prc_mobile_numbers_follow_the_allocations(string number, bool valid) =>
        Assert.Equal(valid, PrcMobileNumber.IsValid(number));

    [Theory] // the networks' and processors' published test numbers
    [InlineData("4111111111111111", CardBrand.Visa)]
    [InlineData("4012888888881881", CardBrand.Visa)]
    [InlineData("4222222222222", CardBrand.Visa)]
    [InlineData("5555555555554444", CardBrand.Mastercard)]
    [InlineData("5105105105105100", CardBrand.Mastercard)]
    [InlineData("2223003122003222", CardBrand.Mastercard)]
    [InlineData("378282246310005", CardBrand.AmericanExpress)]
    [InlineData("371449635398431", CardBrand.AmericanExpress)]
    [InlineData("6011111111111117", CardBrand.Discover)]
    [InlineData("6011000990139424", CardBrand.Discover)]
    [InlineData("3530111333300000", CardBrand.Jcb)]
    [InlineData("3566002020360505", CardBrand.Jcb)]
    [InlineData("6200000000000005", CardBrand.UnionPay)]
    [InlineData("30569309025904", CardBrand.DinersClub)]
    [InlineData("38520000023237", CardBrand.DinersClub)]
    [InlineData("36227206271667", CardBrand.DinersClub)]
    public void Published_test_card_numbers_are_identified(string pan, CardBrand brand) =>
        Assert.Equal(brand, PaymentCardNumber.Identify(pan));

    [Theory]
    [InlineData("4111111111111112")] // Luhn fails
    [InlineData("1234567812345670")] // Luhn passes, no issuer
    [InlineData("411111111111111")]  // Visa prefix, 15 digits
    [InlineData("2721000000000004")] // just above Mastercard's 2-series
    [InlineData("37828224631000")]   // Amex prefix, 14 digits
    [InlineData("0000000000000000")]
    public void Invalid_card_numbers_are_rejected(string pan)
    {
        Assert.Null(PaymentCardNumber.Identify(pan));
    }

    [Fact]
    public void Luhn_catches_a_single_changed_digit() =>
        Assert.False(PaymentCardNumber.LuhnValid("5555555555554445"));

    [Theory] // the ECBS / SWIFT registry example IBANs
    [InlineData("GB82WEST12345698765432")]
    [InlineData("DE89370400440532013000")]
    [InlineData("FR1420041010050500013M02606")]
    [InlineData("NL91ABNA0417164300")]
    [InlineData("BE68539007547034")]
    [InlineData("CH9300762011623852957")]
    [InlineData("NO9386011117947")]
    [InlineData("MT84MALT011000012345MTLCAST001S")]
    public void Registry_example_ibans_pass(string iban) => Assert.True(Iban.IsValid(iban));

    [Theory]
    [InlineData("GB82WEST12345698765433")] // mod 97 fails
    [InlineData("GB82WEST1234569876543")]  // one short for GB
    [InlineData("DE89370400440532013000X")]
    [InlineData("XX82WEST12345698765432")] // no such country
    [InlineData("US12345678901234567890")] // the US issues no IBANs
    [InlineData("gb82west12345698765432")] // electronic format is upper case
    public void Invalid_ibans_are_rejected(string iban) => Assert.False(Iban.IsValid(iban));

    [Theory]
    [InlineData("536904399", true)]
    [InlineData("001010001", true)]
    [InlineData("000123456", false)]
    [InlineData("666123456", false)]
    [InlineData("900123456", false)]
    [InlineData("999123456", false)]
    [InlineData("123004567", false)]
    [InlineData("123450000", false)]
    [InlineData("078051120", false)] // the Woolworth wallet card number
    [InlineData("219099999", false)] // the 1962 advertisement
    [InlineData("123456789", false)]
    [InlineData("111223333", false)] // a placeholder (pyparsing's documentation uses it)
    [InlineData("111223334", true)]
    public void Ssn_area_group_serial_rules(string ssn, bool valid) => Assert.Equal(valid, UsSocialSecurityNumber.IsValid(ssn));

    [Theory]
    [InlineData("alice.smith@corp.io", EmailAddress.Verdict.Valid)]
    [InlineData("x+tag@mail.co.uk", EmailAddress.Verdict.Valid)]
    [InlineData("someone@example.com", EmailAddress.Verdict.Reserved)]
    [InlineData("ops@mail.example.org", EmailAddress.Verdict.Reserved)]
    [InlineData("a@b.test", EmailAddress.Verdict.Reserved)]
    [InlineData("icon@2x.png", EmailAddress.Verdict.Invalid)]
    [InlineData("lodash@4.17.21", EmailAddress.Verdict.Invalid)]
    [InlineData("a..b@corp.io", EmailAddress.Verdict.Invalid)]
    [InlineData(".a@corp.io", EmailAddress.Verdict.Invalid)]
    [InlineData("a@-corp.io", EmailAddress.Verdict.Invalid)]
    [InlineData("a@localhost", EmailAddress.Verdict.Invalid)]
    public void Email_addresses(string address, EmailAddress.Verdict verdict) => Assert.Equal(verdict, EmailAddress.Check(address));

    [Theory]
    [InlineData(PiiKind.PrcIdentityNumber, "11010519491231002X", "1101**********002X")]
    [InlineData(PiiKind.PaymentCard, "4111111111111111", "4111********1111")]
    [InlineData(PiiKind.PrcMobileNumber, "13812345678", "138****5678")]
    [InlineData(PiiKind.UsSsn, "536904399", "***-**-4399")]
    [InlineData(PiiKind.Email, "alice.smith@corp.io", "a***@c***.io")]
    [InlineData(PiiKind.Passport, "E12345678", "E1*****78")]
    [InlineData(PiiKind.Iban, "NO9386011117947", "NO93*******7947")]
    public void Masks_keep_a_short_prefix_and_suffix(PiiKind kind, string value, string masked) =>
        Assert.Equal(masked, Masking.Mask(kind, value));
}
