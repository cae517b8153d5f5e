using System.Text;
using ZeroDrift.Secrets;

namespace ZeroDrift.Secrets.Tests;

public class SecretScannerTests
{
    private const string Token = "tok_Q7mK2vR9xW4pL8nT3yB6";

    private static SecretScanner Scanner(string extra = "") => new(SecretRuleSet.ParseGitleaks($$"""
        [[rules]]
        id = "tok"
        description = "test token"
        regex = '''\b(tok_[A-Za-z0-9]{20})\b'''
        entropy = 3.0
        keywords = ["tok_"]
        [[rules.allowlists]]
        stopwords = ["example"]
        [[rules]]
        id = "pem"
        regex = '''-----BEGIN PRIVATE KEY-----[\s\S-]{64,}?-----END PRIVATE KEY-----'''
        keywords = ["-----begin"]
        {{extra}}
        """));

    [Fact]
    public void Reports_line_column_secret_and_redaction()
    {
        var f = Assert.Single(Scanner().Scan("a/b.env", new StringReader($"x=1\n\n  KEY={Token} # prod\n")));
        Assert.Equal(("tok", 3, 7), (f.RuleId, f.Line, f.Column));
        Assert.Equal(Token, f.Secret);
        Assert.Equal("test token", f.Description);
        Assert.Equal("a/b.env:tok:3", f.Fingerprint);
        Assert.Equal("tok_*****", f.RedactedSecret);
        Assert.DoesNotContain(Token, f.RedactedMatch, StringComparison.Ordinal);
        Assert.True(f.Entropy > 3.0);
    }

    [Fact]
    public void Keyword_filter_is_case_insensitive()
    {
        var set = SecretRuleSet.ParseGitleaks("""
            [[rules]]
            id = "up"
            regex = '''(?i)\bsecretkey=([a-z0-9]{12})'''
            keywords = ["SecretKey"]
            """);
        Assert.Single(new SecretScanner(set).Scan("f", new StringReader("SECRETKEY=ab12cd34ef56\n")));
    }

    [Theory]
    [InlineData("KEY=tok_aaaaaaaaaaaaaaaaaaaa")]                    // entropy below the threshold
    [InlineData("KEY=tok_Q7mK2vR9xW4pL8nT3yB6 # zerodrift:allow")]  // inline marker
    [InlineData("KEY=tok_Q7mK2vR9xW4pL8nT3yB6 // gitleaks:allow")]
    [InlineData("KEY=tok_EXAMPLEvR9xW4pL8nT3yB")]                    // stop-word in the secret
    [InlineData("KEY=mytok_Q7mK2vR9xW4pL8nT3yB6")]                  // no word boundary
    public void Does_not_report_allowed_or_weak_matches(string line) =>
        Assert.Empty(Scanner().Scan("f.txt", new StringReader(line + "\n")));

    [Fact]
    public void A_rule_runs_only_on_lines_holding_one_of_its_keywords()
    {
        var set = SecretRuleSet.ParseGitleaks("""
            [[rules]]
            id = "kw"
            regex = '''val_[0-9]{6}'''
            keywords = ["marker"]
            """);
        var scanner = new SecretScanner(set);
        Assert.Empty(scanner.Scan("f", new StringReader("val_123456\nmarker elsewhere\n")));
        Assert.Equal(2, Assert.Single(scanner.Scan("f", new StringReader("x\nMARKER val_123456\n"))).Line);
    }

    [Fact]
    public void Keyword_matcher_reports_every_occurrence_once()
    {
        var matcher = new KeywordMatcher(["he", "she", "his", "hers"]);
        var hits = new List<(int End, int Id)>();
        matcher.Scan("USHERS and his".AsSpan(), ref hits, static (ref List<(int End, int Id)> h, int end, int id) => h.Add((end, id)));
        Assert.Equal([(3, 0), (3, 1), (5, 3), (13, 2)], hits.OrderBy(h => h.End).ThenBy(h => h.Id));
        Assert.Equal([0, 1, 2, 3], matcher.Find("ushers, his").Order());
    }

    [Fact]
    public void Binary_files_are_skipped()
    {
        var bytes = Encoding.UTF8.GetBytes($"\0\x01ELF KEY={Token}\n");
        Assert.Empty(Scanner().Scan("bin", new MemoryStream(bytes)));
        var text = Encoding.UTF8.GetBytes($"KEY={Token}\n");
        Assert.Single(Scanner().Scan("txt", new MemoryStream(text)));
    }

    [Fact]
    public void Secrets_after_the_sniffed_prefix_are_found_in_streams()
    {
        var text = new string('#', 20_000) + "\n" + string.Concat(Enumerable.Repeat("filler line\n", 10_000)) + $"KEY={Token}\n";
        var f = Assert.Single(Scanner().Scan("big", new MemoryStream(Encoding.UTF8.GetBytes(text))));
        Assert.Equal(10_002, f.Line);
    }

    [Fact]
    public void Secrets_on_chunk_boundaries_are_found_once_with_the_right_line()
    {
        for (var shift = -40; shift <= 40; shift += 7)
        {
            var padding = new string('a', SecretScanner.ChunkChars - 10 + shift);
            var text = $"one\n{padding}\nKEY={Token}\n{padding} {Token}\nend\n";
            var findings = Scanner().Scan("f", new StringReader(text));
            Assert.Equal([3, 4], findings.Select(f => f.Line).Order());
        }
    }

    [Fact]
    public void Very_long_lines_are_split_with_overlap_and_memory_stays_bounded()
    {
        // One 1 MB line with the token straddling many possible cut points.
        var sb = new StringBuilder();
        for (var i = 0; i < 40; i++) sb.Append(new string('z', 25_000 + i)).Append(' ').Append(Token).Append(' ');
        var findings = Scanner().Scan("min.js", new StringReader(sb.ToString()));
        Assert.Equal(40, findings.Count);
        Assert.All(findings, f => Assert.Equal(1, f.Line));
        Assert.Equal(25_001 + 1, findings[0].Column);
    }

    [Fact]
    public void Multi_line_rules_see_the_whole_block_even_across_a_chunk_cut()
    {
        var body = string.Join("\n", Enumerable.Range(0, 20).Select(_ => "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"));
        var pem = $"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n";
        var lines = (SecretScanner.ChunkChars - 500) / 10;
        var text = string.Concat(Enumerable.Repeat("123456789\n", lines)) + pem;
        var f = Assert.Single(Scanner().Scan("k.pem", new StringReader(text)));
        Assert.Equal(lines + 1, f.Line);
        Assert.Equal(lines + 22, f.EndLine);
    }

    [Fact]
    public void Rules_without_keywords_always_run_and_path_rules_report_files()
    {
        var scanner = Scanner("""
            [[rules]]
            id = "nokw"
            regex = '''zzsecret_[0-9]{6}'''
            [[rules]]
            id = "pkcs12"
            path = '''\.p12$'''
            [[rules]]
            id = "only-in-env"
            regex = '''VAL_([0-9]{4})'''
            path = '''\.env$'''
            """);
        Assert.Equal("nokw", Assert.Single(scanner.Scan("a", new StringReader("zzsecret_123456\n"))).RuleId);
        Assert.Equal("pkcs12", Assert.Single(scanner.Scan("certs/a.p12", new StringReader(""))).RuleId);
        Assert.Empty(scanner.Scan("a.txt", new StringReader("VAL_1234\n")));
        Assert.Equal("1234", Assert.Single(scanner.Scan("prod.env", new StringReader("VAL_1234\n"))).Secret);
    }

    [Fact]
    public void Secret_group_selects_the_secret()
    {
        var set = SecretRuleSet.ParseGitleaks("""
            [[rules]]
            id = "two"
            regex = '''(user)=(\w+)'''
            secretGroup = 2
            """);
        Assert.Equal("hunter2", Assert.Single(new SecretScanner(set).Scan("f", new StringReader("user=hunter2"))).Secret);
    }

    [Fact]
    public void A_backtracking_rule_cannot_hang_a_scan()
    {
        // Every RE2 pattern fits NonBacktracking; build the worst case directly to prove the timeout path.
        var evil = new SecretRule
        {
            Id = "evil",
            Matcher = new LazyRegex(new System.Text.RegularExpressions.Regex(@"^(a+)+(?=b)", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromMilliseconds(50))),
        };
        var scanner = new SecretScanner(new SecretRuleSet([evil]));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Empty(scanner.Scan("f", new StringReader(new string('a', 5_000) + "c\n")));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Hostile_gitleaks_pattern_costs_linear_time()
    {
        var set = SecretRuleSet.ParseGitleaks("""
            [[rules]]
            id = "nested"
            regex = '''(\w+\s*)+=\s*"(x+x+)+y"'''
            """);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var line = new string('a', 30_000) + " = \"" + new string('x', 30_000) + "\"";
        Assert.Empty(new SecretScanner(set).Scan("f", new StringReader(line)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void A_window_the_quick_probe_cannot_settle_in_time_goes_to_the_linear_time_engine()
    {
        // The interpreter backtracks exponentially on the run of x without a y and runs out of time; the
        // NonBacktracking engine then decides, and finds the secret on the next line.
        var set = SecretRuleSet.ParseGitleaks("""
            [[rules]]
            id = "nested"
            regex = '''(?:x+x+)+y=(\d{6})'''
            """);
        var text = new string('x', 20_000) + "\nxxy=314159\n";
        var finding = Assert.Single(new SecretScanner(set).Scan("f", new StringReader(text)));
        Assert.Equal(("314159", 2), (finding.Secret, finding.Line));
    }

    [Fact]
    public void Secrets_around_a_run_a_nested_pattern_backtracks_on_are_each_reported_once()
    {
        // A window's matches come from the backtracking engine under a time bound, or, if it runs out, from the
        // NonBacktracking engine after the window's findings so far are dropped: either way each secret once, in order.
        var set = SecretRuleSet.ParseGitleaks("""
            [[rules]]
            id = "nested"
            regex = '''(?:x+x+)+y=(\d{6})'''
            """);
        var text = "xxy=314159 " + new string('x', 20_000) + "\nxxy=271828\n";
        var findings = new SecretScanner(set).Scan("f", new StringReader(text));
        Assert.Equal([("314159", 1), ("271828", 2)], findings.Select(f => (f.Secret, f.Line)));
    }

    [Fact]
    public void A_window_whose_matching_runs_out_of_time_is_matched_again_on_the_linear_time_engine()
    {
        // The probe finds the first match at once; looking for the next one, the backtracking engine tries the
        // exponentially many ways (?:a|aa)+ splits a long run of a without "!" and runs out of time. The window's findings
        // so far are dropped and the NonBacktracking engine matches it again: each secret once.
        var set = SecretRuleSet.ParseGitleaks("""
            [[rules]]
            id = "splits"
            regex = '''((?:a|aa)+)!'''
            """);
        var text = "aa! " + new string('a', 200) + "?\naaa!\n";
        var findings = new SecretScanner(set).Scan("f", new StringReader(text));
        Assert.Equal([("aa", 1), ("aaa", 2)], findings.Select(f => (f.Secret, f.Line)));
        Assert.Equal(1, set.Rules[0].Matcher!.Timeouts);
    }
}
