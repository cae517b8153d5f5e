using System.Text;
using ZeroDrift.Core.Findings;
using ZeroDrift.Sensitive;

namespace ZeroDrift.Sensitive.Tests;

public class DetectorTests
{
    private static readonly SensitiveDataOptions Pinned = new() { Today = new DateOnly(2026, 11, 29) };

    private static List<ContentFinding> Scan(string text, SensitiveDataOptions? options = null, List<string>? warnings = null)
    {
        var detector = SensitiveDataDetector.Create(options ?? Pinned);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        return detector.Scan("/data/file.txt", stream, w => warnings?.Add(w), CancellationToken.None).ToList();
    }

    private static ContentFinding Single(List<ContentFinding> findings, string ruleId) => Assert.Single(findings, f => f.RuleId == ruleId);

    [Fact]
    public void Identity_number_is_found_masked_at_its_line_and_column()
    {
        var findings = Scan("name: Zhang San\nrecord: 11010519491231002X\n");
        var f = Single(findings, "pii-prc-resident-id");
        Assert.Equal(FindingClass.Pii, f.Class);
        Assert.Equal(new TextSpan(2, 9, 2, 26), f.Span);
        Assert.Equal("1101**********002X", f.Match);
        Assert.DoesNotContain("11010519491231002X", f.Message, StringComparison.Ordinal);
        Assert.Equal("1", f.Properties["count"]);
    }

    [Fact]
    public void Identity_number_inside_a_longer_number_or_with_a_bad_check_digit_is_not_reported()
    {
        Assert.Empty(Scan("order 911010519491231002X7 and 110105194912310021\n"));
    }

    [Fact]
    public void Mobile_number_needs_a_phone_keyword()
    {
        Assert.Empty(Scan("build 13812345678 finished\n"));
        Assert.Equal("138****5678", Single(Scan("手机: 13812345678\n"), "pii-prc-mobile").Match);
        Assert.Single(Scan("contact phone\n138-1234-5678\n"), f => f.RuleId == "pii-prc-mobile"); // keyword on the line before
        Assert.Single(Scan("call +86 138 1234 5678\n"), f => f.RuleId == "pii-prc-mobile");       // country code is context enough
    }

    [Fact]
    public void Numbers_written_next_to_each_other_are_told_apart()
    {
        var findings = Scan("phone 11010519491231002X 13812345678\nx +8613912345678 and 0086 138 1234 5678\n");
        Assert.Equal(1, int.Parse(Single(findings, "pii-prc-resident-id").Properties["count"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("3", Single(findings, "pii-prc-mobile").Properties["count"]);
        // A long space-separated list is read in pieces, every number still counted.
        var list = "phones: " + string.Join(' ', Enumerable.Range(0, 100).Select(i => $"1381234{1000 + i}"));
        Assert.Equal("100", Single(Scan(list + "\n"), "pii-prc-mobile").Properties["count"]);
        // Glued to letters, part of a decimal or of a longer digit run: not a number of its own.
        Assert.Empty(Scan("phone a13812345678 13812345678b 1.13812345678 138123456789\n"));
    }

    [Fact]
    public void Keyword_must_stand_as_a_word()
    {
        Assert.Empty(Scan("hotel 13812345678\n"));
        Assert.NotEmpty(Scan("userTel=13812345678\n"));
        Assert.NotEmpty(Scan("mobile_phones: 13812345678\n"));
    }

    [Fact]
    public void Table_dump_header_gives_context_to_every_row()
    {
        var sb = new StringBuilder("id,name,mobile,card_number\n");
        for (var i = 0; i < 20; i++) sb.Append(i).Append(",user").Append(i).Append(",1381234").Append(1000 + i).Append(",4111111111111111\n");
        var findings = Scan(sb.ToString());
        Assert.Equal("20", Single(findings, "pii-prc-mobile").Properties["count"]);
        var cards = Single(findings, "pii-payment-card");
        Assert.Equal("20", cards.Properties["count"]);
        Assert.Equal(2, cards.Span!.StartLine);
        Assert.Contains("line 2: 4111********1111; line 3: 4111********1111; line 4:", cards.Properties["samples"], StringComparison.Ordinal);
    }

    [Fact]
    public void Card_numbers_bare_need_a_keyword_but_grouped_ones_do_not()
    {
        Assert.Empty(Scan("trace 4111111111111111\n"));
        Assert.NotEmpty(Scan("credit card: 4111111111111111\n"));
        Assert.NotEmpty(Scan("4111 1111 1111 1111\n"));
        Assert.NotEmpty(Scan("3782-822463-10005\n"));
        Assert.Empty(Scan("card: 4111111111111112\n")); // Luhn fails
        Assert.Empty(Scan("card: 1.4111111111111111\n")); // part of a decimal number
    }

    [Fact]
    public void Identity_number_is_not_also_reported_as_a_card()
    {
        // A Jiangxi (36) number can pass Luhn and sit in the Diners range; it is reported once, as what it is.
        var id = Enumerable.Range(0, 1000).Select(i => $"36010219900101{i:D3}").Select(s => s + PrcIdentityNumber.CheckCharacter(s))
            .First(s => PaymentCardNumber.Identify(s) is not null);
        var findings = Scan($"card id {id}\n");
        Assert.Equal("pii-prc-resident-id", Assert.Single(findings).RuleId);
    }

    [Fact]
    public void Ibans_in_print_and_electronic_form()
    {
        var findings = Scan("Pay to GB82 WEST 1234 5698 7654 32 THANKS\nDE89370400440532013000\nGB82 WEST 1234 5698 7654 33\n");
        var f = Single(findings, "pii-iban");
        Assert.Equal("2", f.Properties["count"]);
        Assert.Equal(new TextSpan(1, 8, 1, 34), f.Span);
        Assert.Equal("GB82**************5432", f.Match);
    }

    [Fact]
    public void Ssn_dashed_form_stands_alone_bare_form_needs_a_keyword()
    {
        Assert.Equal("***-**-4399", Single(Scan("emp 536-90-4399\n"), "pii-us-ssn").Match);
        Assert.Empty(Scan("id 536904399\n"));
        Assert.NotEmpty(Scan("SSN: 536904399\n"));
        Assert.Empty(Scan("ssn 078-05-1120\nssn 666-12-3456\nssn 123-00-4567\n"));
    }

    [Fact]
    public void Passport_numbers_only_near_a_passport_keyword()
    {
        Assert.Empty(Scan("ticket E12345678\n"));
        Assert.Equal("E1*****78", Single(Scan("护照号码: E12345678\n"), "pii-passport").Match);
        Assert.NotEmpty(Scan("Passport No. 123456789\n"));
    }

    [Fact]
    public void Email_addresses_skip_documentation_domains_file_names_and_git_remotes()
    {
        var findings = Scan("owner: alice.smith@corp.io\nsee someone@example.com\nicon@2x.png\ngit@github.com:org/repo.git\n");
        var f = Single(findings, "pii-email");
        Assert.Equal("1", f.Properties["count"]);
        Assert.Equal("a***@c***.io", f.Match);
    }

    [Fact]
    public void Min_items_per_file_reports_only_bulk()
    {
        const string text = "a 11010519491231002X\nb alice.smith@corp.io\n";
        Assert.Equal(2, Scan(text, Pinned with { MinItemsPerFile = 2 }).Count);
        Assert.Empty(Scan(text, Pinned with { MinItemsPerFile = 3 }));
    }

    [Fact]
    public void Binary_files_are_skipped_and_binary_extensions_not_required()
    {
        Assert.Empty(Scan("\0\0\0 11010519491231002X"));
        var detector = SensitiveDataDetector.Create();
        Assert.False(detector.FileRequired("/img/a.png", 100));
        Assert.False(detector.FileRequired("/empty.txt", 0));
        Assert.True(detector.FileRequired("/dump.csv", 100));
    }

    [Fact]
    public void A_megabyte_line_is_read_in_bounded_segments_and_columns_stay_right()
    {
        var padding = new string('a', 1 << 20) + " ";
        var f = Single(Scan(padding + "11010519491231002X tail\nnext\n"), "pii-prc-resident-id");
        Assert.Equal(1, f.Span!.StartLine);
        Assert.Equal(padding.Length + 1, f.Span.StartColumn);
    }

    [Fact]
    public void Fingerprint_is_stable_and_counts_are_in_the_message()
    {
        var a = Single(Scan("a 11010519491231002X\n"), "pii-prc-resident-id");
        var b = Single(Scan("changed line\na 11010519491231002X\n"), "pii-prc-resident-id");
        Assert.Equal(a.Fingerprint, b.Fingerprint);
        Assert.StartsWith("1 PRC resident identity number ", a.Message, StringComparison.Ordinal);
        var two = Single(Scan("a 11010519491231002X\nb 11010519491231002X\n"), "pii-prc-resident-id");
        Assert.StartsWith("2 PRC resident identity numbers (first at line 1; ", two.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rules_describe_every_kind_and_options_are_validated()
    {
        var detector = SensitiveDataDetector.Create();
        Assert.Equal(7, detector.Rules.Count);
        Assert.All(detector.Rules, r => Assert.False(string.IsNullOrEmpty(r.Description)));
        Assert.Throws<ArgumentOutOfRangeException>(() => SensitiveDataDetector.Create(new SensitiveDataOptions { MinItemsPerFile = 0 }));
        Assert.Single(SensitiveDataDetector.Create(new SensitiveDataOptions { Kinds = new HashSet<PiiKind> { PiiKind.Email } }).Rules);
    }
}
