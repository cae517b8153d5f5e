using ZeroDrift.Secrets;

namespace ZeroDrift.Secrets.Tests;

public class GitleaksConfigTests
{
    private static string GitleaksToml => Path.Combine(RepoPaths.SharedData, "rules", "gitleaks", "gitleaks.toml");

    private static readonly Lazy<SecretRuleSet> Gitleaks = new(() => SecretRuleSet.LoadGitleaks(GitleaksToml));

    [Fact]
    public void Every_rule_of_the_gitleaks_default_config_loads()
    {
        var text = File.ReadAllText(GitleaksToml);
        var declared = System.Text.RegularExpressions.Regex.Matches(text, @"(?m)^\[\[rules\]\]").Count;
        var set = Gitleaks.Value;
        Assert.Empty(set.Warnings);
        Assert.Equal(declared, set.Rules.Count);
        Assert.True(set.Rules.Count >= 200);
        Assert.NotEmpty(set.Allowlists);
        // RE2 has no lookarounds or backreferences, so every gitleaks rule fits the linear-time engine.
        Assert.Equal(set.Rules.Count(r => r.Regex is not null), set.Rules.Count(r => r.Regex is not null && r.NonBacktracking));
    }

    [Fact]
    public void Rule_fields_are_read()
    {
        var set = Gitleaks.Value;
        var github = set.Rules.Single(r => r.Id == "github-pat");
        Assert.Contains("ghp_", github.Keywords);
        Assert.True(github.Entropy > 0);
        var k8s = set.Rules.Single(r => r.Id == "kubernetes-secret-yaml");
        Assert.NotNull(k8s.Path);
        Assert.Equal(2, k8s.Allowlists.Count);
        Assert.Equal(RegexTarget.Match, k8s.Allowlists[1].RegexTarget);
        Assert.Contains(set.Rules.SelectMany(r => r.Allowlists), a => a.Condition == AllowlistCondition.And && a.RegexTarget == RegexTarget.Line);
        Assert.Contains(set.Rules.SelectMany(r => r.Allowlists), a => a.StopWords.Count > 0);
        Assert.Contains(set.Rules, r => r.SecretGroup == 2);
    }

    [Fact]
    public void Gitleaks_rules_find_what_their_documentation_says()
    {
        var scanner = new SecretScanner(Gitleaks.Value);
        var token = "ghp_" + "R7mK2vQ9xW4pL8nT3yB6cJ1hF5dG0sA2eZ4u";
        var findings = scanner.Scan("src/app.py", new StringReader($"GITHUB_TOKEN = \"{token}\"\n"));
        var f = Assert.Single(findings, f => f.RuleId == "github-pat");
        Assert.Equal(token, f.Secret);
        Assert.Equal(1, f.Line);
        Assert.Equal(17, f.Column);
        Assert.Equal("src/app.py:github-pat:1", f.Fingerprint);

        var key = "-----BEGIN RSA PRIVATE KEY-----\n" + string.Join("\n", Enumerable.Range(0, 6).Select(i => "MIIEow" + new string((char)('A' + i), 58))) + "\n-----END RSA PRIVATE KEY-----\n";
        var pk = scanner.Scan("id_rsa", new StringReader("# key\n" + key));
        var pf = Assert.Single(pk, f => f.RuleId == "private-key");
        Assert.Equal(2, pf.Line);
        Assert.Equal(9, pf.EndLine);

        // The global allowlist excludes lockfiles.
        Assert.Empty(scanner.Scan("web/node_modules/x/index.js", new StringReader($"t = \"{token}\"\n")));
    }

    // Fake tokens of the shapes the gitleaks rule documentation gives.
    [Theory]
    [InlineData("aws-access-token", "aws_access_key_id = AKIAHBRPOIGF3CBFNOBM", "AKIAHBRPOIGF3CBFNOBM")]
    [InlineData("stripe-access-token", "STRIPE_KEY=sk_live_TPSIAoCLrZ3aWZkSBvrjn9Wv", "sk_live_TPSIAoCLrZ3aWZkSBvrjn9Wv")]
    [InlineData("gitlab-pat", "token: glpat-gfygw2wMqZcUDIh7yfJs", "glpat-gfygw2wMqZcUDIh7yfJs")]
    [InlineData("npm-access-token", "//registry.example.test/:_authToken=npm_xmecosfogyr3xkxwnrek8pk3yr9oudocuzre", "npm_xmecosfogyr3xkxwnrek8pk3yr9oudocuzre")]
    [InlineData("slack-webhook-url", "url: https://hooks.slack.com/services/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LB", "https://hooks.slack.com/services/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LB")]
    [InlineData("generic-api-key", "client_secret = \"DNxril3RavGD5MfvJ7NScUykT8C8UBkk\"", "DNxril3RavGD5MfvJ7NScUykT8C8UBkk")]
    public void Gitleaks_rules_find_documented_token_shapes(string ruleId, string line, string secret)
    {
        var findings = new SecretScanner(Gitleaks.Value).Scan("config/settings.txt", new StringReader(line + "\n"));
        Assert.Contains(findings, f => f.RuleId == ruleId && f.Secret == secret);
    }

    [Fact]
    public void Gitleaks_multi_line_kubernetes_secret_rule_spans_lines_and_honours_its_path_and_allowlists()
    {
        const string yaml = """
            apiVersion: v1
            kind: Secret
            metadata:
              name: db
            type: Opaque
            data:
              password: cDRzc3cwcmQtUXo3S2Y5TG0yWA==
            """;
        var scanner = new SecretScanner(Gitleaks.Value);
        var f = Assert.Single(scanner.Scan("deploy/secret.yaml", new StringReader(yaml)), f => f.RuleId == "kubernetes-secret-yaml");
        Assert.Equal(2, f.Line);
        Assert.Contains("cDRzc3cwcmQtUXo3S2Y5TG0yWA==", f.Secret, StringComparison.Ordinal);
        // Only YAML files, and a templated value is allowed.
        Assert.DoesNotContain(scanner.Scan("deploy/secret.txt", new StringReader(yaml)), f => f.RuleId == "kubernetes-secret-yaml");
        var templated = yaml.Replace("cDRzc3cwcmQtUXo3S2Y5TG0yWA==", "{{ .Values.password }}", StringComparison.Ordinal);
        Assert.DoesNotContain(scanner.Scan("deploy/secret.yaml", new StringReader(templated)), f => f.RuleId == "kubernetes-secret-yaml");
    }

    [Fact]
    public void Gitleaks_generic_rule_stop_words_apply_to_the_secret()
    {
        // "todo" is one of generic-api-key's stop-words: gitleaks drops this candidate, and so do we.
        var findings = new SecretScanner(Gitleaks.Value).Scan("a.txt", new StringReader("client_secret = \"TOdoe5c3veGprQFnIiU74KKEpYEZAmgg\"\n"));
        Assert.DoesNotContain(findings, f => f.RuleId == "generic-api-key");
    }

    [Fact]
    public void Extend_use_default_disables_and_overrides_rules()
    {
        var set = SecretRuleSet.ParseGitleaks("""
            [extend]
            useDefault = true
            disabledRules = ["aws-access-key-id"]

            [[rules]]
            id = "acme-key"
            description = "Acme key"
            regex = '''acme_(?P<secret>[[:alnum:]]{12})'''
            secretGroup = 1
            keywords = ["acme_"]
            tags = ["acme"]

            [[rules]]
            id = "broken"
            regex = '''(?U)a+b'''

            [[allowlists]]
            targetRules = ["acme-key"]
            regexes = ['''^0{12}$''']
            """);
        Assert.DoesNotContain(set.Rules, r => r.Id == "aws-access-key-id");
        Assert.Equal(BuiltInRules.RuleSet.Rules.Count - 1 + 1, set.Rules.Count);
        var warning = Assert.Single(set.Warnings);
        Assert.Equal("broken", warning.RuleId);
        Assert.Contains("ungreedy", warning.Reason, StringComparison.Ordinal);
        var acme = set.Rules.Single(r => r.Id == "acme-key");
        Assert.Equal(["acme"], acme.Tags);
        Assert.Equal(["acme-key"], set.Allowlists[^1].TargetRules);

        var scanner = new SecretScanner(set);
        Assert.Equal("AbCdEf123456", Assert.Single(scanner.Scan("a.txt", new StringReader("x acme_AbCdEf123456\n"))).Secret);
        Assert.Empty(scanner.Scan("a.txt", new StringReader("x acme_000000000000\n")));
    }

    [Fact]
    public void Extend_path_is_resolved_against_the_config_folder()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "base.toml"), """
            [[rules]]
            id = "base-rule"
            regex = '''base_[a-z]{8}'''
            keywords = ["base_"]
            """);
        File.WriteAllText(Path.Combine(dir.Path, "top.toml"), """
            [extend]
            path = "base.toml"
            [[rules]]
            id = "top-rule"
            regex = '''top_[a-z]{8}'''
            """);
        var set = SecretRuleSet.LoadGitleaks(Path.Combine(dir.Path, "top.toml"));
        Assert.Equal(["base-rule", "top-rule"], set.Rules.Select(r => r.Id));
    }

    [Fact]
    public void Malformed_configs_fail_clearly()
    {
        Assert.Throws<FormatException>(() => SecretRuleSet.ParseGitleaks("[[rules]\nid="));
        var set = SecretRuleSet.ParseGitleaks("""
            [[rules]]
            id = "bad-regex"
            regex = '''a(b'''
            [[rules]]
            id = "nothing"
            """);
        Assert.Empty(set.Rules);
        Assert.Equal(["bad-regex", "nothing"], set.Warnings.Select(w => w.RuleId));
    }

    [Fact]
    public void Patterns_re2_refuses_are_refused_with_the_rule_and_the_file_and_the_rest_loads()
    {
        using var dir = new TempDir();
        var config = Path.Combine(dir.Path, "hostile.toml");
        File.WriteAllText(config, """
            [[rules]]
            id = "nested-counts"
            regex = '''((a{1,100}){1,100}){1,100}b'''
            [[rules]]
            id = "backreference"
            regex = '''(a)\1'''
            [[rules]]
            id = "allowlist-counts"
            regex = '''tok_[A-Z]{22}'''
            [[rules.allowlists]]
            regexes = ['''(x{2,1000}){2,1000}''']
            [[rules]]
            id = "fine"
            regex = '''tok_[A-Z]{22}'''
            keywords = ["tok_"]
            """);
        var set = SecretRuleSet.LoadGitleaks(config);
        Assert.Equal(["fine"], set.Rules.Select(r => r.Id));
        Assert.Equal(["nested-counts", "backreference", "allowlist-counts"], set.Warnings.Select(w => w.RuleId));
        Assert.All(set.Warnings, w => Assert.Equal(config, w.File));
        Assert.Contains("copies", set.Warnings[0].Reason, StringComparison.Ordinal);
        Assert.Single(new SecretScanner(set).Scan("a.txt", new StringReader("tok_ABCDEFGHIJKLMNOPQRSTUV\n")));
    }

    [Fact]
    public void An_extended_path_that_is_not_a_regular_file_or_too_large_is_an_input_error()
    {
        using var dir = new TempDir();
        var config = Path.Combine(dir.Path, "top.toml");
        File.WriteAllText(config, "[extend]\npath = '/dev/zero'\n");
        var e = Assert.Throws<ZeroDrift.Core.IO.InputFileException>(() => SecretRuleSet.LoadGitleaks(config));
        Assert.Equal("gitleaks config /dev/zero is not a regular file", e.Message);

        var big = Path.Combine(dir.Path, "big.toml");
        using (var f = File.Create(big)) f.SetLength(SecretRuleSet.MaxConfigBytes + 1); // sparse: stat says the size
        File.WriteAllText(config, "[extend]\npath = 'big.toml'\n");
        e = Assert.Throws<ZeroDrift.Core.IO.InputFileException>(() => SecretRuleSet.LoadGitleaks(config));
        Assert.Equal($"gitleaks config {big} is larger than 16 MiB", e.Message);
    }

    [Theory]
    [InlineData("OR", "docs/a.md", "tok_AAAAAAAAAAAAAAAAAAAAAA", true)]   // path alone allows
    [InlineData("OR", "src/a.md", "tok_ZZZZZZZZZZZZZZZZZZZZZZ", false)]
    [InlineData("AND", "docs/a.md", "tok_ZZZZZZZZZZZZZZZZZZZZZZ", false)] // path but not the regex
    [InlineData("AND", "docs/a.md", "tok_AAAAAAAAAAAAAAAAAAAAAA", true)]
    public void Allowlist_condition_combines_criteria(string condition, string path, string line, bool allowed)
    {
        var set = SecretRuleSet.ParseGitleaks($$"""
            [[rules]]
            id = "tok"
            regex = '''tok_[A-Z]{22}'''
            keywords = ["tok_"]
            [[rules.allowlists]]
            condition = "{{condition}}"
            paths = ['''^docs/''']
            regexTarget = "line"
            regexes = ['''A{22}''']
            """);
        var findings = new SecretScanner(set).Scan(path, new StringReader(line + "\n"));
        Assert.Equal(allowed, findings.Count == 0);
    }
}
