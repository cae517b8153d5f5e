using System.Text;
using System.Text.RegularExpressions;
using ZeroDrift.Secrets;

namespace ZeroDrift.Secrets.Tests;

public partial class BuiltInRulesTests
{
    private static readonly SecretScanner Scanner = new(BuiltInRules.RuleSet);

    public static TheoryData<string> RuleIds => new(BuiltInRuleSamples.Rows.Select(r => r.Id));

    [Fact]
    public void Every_built_in_rule_compiles_non_backtracking_and_has_keywords_and_samples()
    {
        var set = BuiltInRules.RuleSet;
        Assert.Empty(set.Warnings);
        Assert.True(set.Rules.Count >= 150, $"{set.Rules.Count} rules");
        Assert.Equal(set.Rules.Count, set.Rules.Select(r => r.Id).Distinct().Count());
        // Rules on the path alone (a PKCS#12 file) have no pattern; every other rule has one, keywords and samples.
        var patterned = set.Rules.Where(r => r.Matcher is not null).ToList();
        Assert.All(set.Rules.Except(patterned), r => Assert.NotNull(r.Path));
        Assert.All(patterned, r => Assert.True(r.NonBacktracking, r.Id));
        // Built-in patterns are not validated at load (see LazyRegex): the quick probe must build for each, and match no empty text.
        Assert.All(patterned, r => Assert.False(r.Matcher!.MayMatch(""), r.Id));
        Assert.All(set.Rules.SelectMany(r => r.Allowlists).SelectMany(a => a.Regexes)
                .Concat(set.Allowlists.SelectMany(a => a.Paths)).Concat(set.Rules.Select(r => r.Path).OfType<LazyRegex>()),
            r => Assert.False(r.IsMatch("\u0001"), r.ToString()));
        Assert.All(patterned, r => Assert.NotEmpty(r.Keywords));
        Assert.Equal(patterned.Select(r => r.Id).Order(), BuiltInRuleSamples.Rows.Select(r => r.Id).Order());
    }

    [Theory]
    [InlineData("certs/client.p12")]
    [InlineData("deploy/SIGNING.PFX")]
    public void A_PKCS12_key_store_is_reported_by_its_path_even_though_it_is_binary(string path)
    {
        byte[] der = [0x30, 0x82, 0x0A, 0x00, 0x02, 0x01, 0x03, 0x30, 0x00, 0x00, 0x06, 0x09];
        var finding = Assert.Single(Scanner.Scan(path, new MemoryStream(der)));
        Assert.Equal("pkcs12-file", finding.RuleId);
        Assert.Equal("file detected: " + path, finding.Match);
        Assert.Empty(Scanner.Scan("docs/p12.md", new MemoryStream(der)));
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void True_positive(string id)
    {
        var (line, secret) = Sample(id, positive: true);
        var findings = Scanner.Scan(BuiltInRuleSamples.PathOf(id), new StringReader("# settings\n" + line + "\n"));
        Assert.Contains(findings, f => f.RuleId == id && f.Secret == secret && f.Line == 2);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Near_miss_is_not_reported(string id)
    {
        var (line, _) = Sample(id, positive: false);
        var findings = Scanner.Scan(BuiltInRuleSamples.PathOf(id), new StringReader(line + "\n"));
        Assert.DoesNotContain(findings, f => f.RuleId == id);
    }

    /// <summary>A rule's true-positive sample line (for tests that place samples elsewhere).</summary>
    internal static string SampleLine(string id) => Sample(id, positive: true).Line;

    /// <summary>A rule's near-miss sample line.</summary>
    internal static string NearMissLine(string id) => Sample(id, positive: false).Line;

    private static (string Line, string Secret) Sample(string id, bool positive)
    {
        var row = BuiltInRuleSamples.Rows.Single(r => r.Id == id);
        var random = new Random(StableSeed(id) + (positive ? 0 : 1));
        var text = Placeholder().Replace(positive ? row.Positive : row.NearMiss, m => Fake(m, random));
        var start = text.IndexOf('⟨', StringComparison.Ordinal);
        var end = text.IndexOf('⟩', StringComparison.Ordinal);
        var secret = start >= 0 ? text[(start + 1)..end] : "";
        return (text.Replace("⟨", "", StringComparison.Ordinal).Replace("⟩", "", StringComparison.Ordinal), secret);
    }

    private static string Fake(Match m, Random random)
    {
        if (m.Value == "{uuid}")
            return string.Join('-', new[] { 8, 4, 4, 4, 12 }.Select(n => Chars("0123456789abcdef", n, random)));
        var alphabet = m.Groups[1].Value switch
        {
            "a" => "abcdefghijklmnopqrstuvwxyz0123456789",
            "A" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            "U" => "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
            "Z" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            "h" => "0123456789abcdef",
            "H" => "0123456789ABCDEF",
            "d" => "0123456789",
            "b" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            "u" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
            "2" => "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
            "7" => "abcdefghijklmnopqrstuvwxyz234567",
            "g" => "abcdefgh0123456789",
            "B" => "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
            var c => throw new ArgumentException("unknown character class " + c),
        };
        return Chars(alphabet, int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), random);
    }

    private static string Chars(string alphabet, int n, Random random)
    {
        var sb = new StringBuilder(n);
        for (var i = 0; i < n; i++) sb.Append(alphabet[random.Next(alphabet.Length)]);
        return sb.ToString();
    }

    private static int StableSeed(string s)
    {
        var h = 2166136261u;
        foreach (var c in s) h = (h ^ c) * 16777619u;
        return (int)(h & 0x7FFFFFFF);
    }

    [GeneratedRegex(@"\{uuid\}|\{([A-Za-z0-9]):(\d+)\}")]
    private static partial Regex Placeholder();
}

public class BuiltInRulesRealWorldTests
{
    private static readonly SecretScanner Scanner = new(BuiltInRules.RuleSet);

    [Theory]
    [InlineData("In <c>async { let! token = Async.CancellationToken ...}</c> token can be used")]   // FSharp.Core.xml in the .NET SDK
    [InlineData("const password = process.env.DATABASE_PASSWORD;")]
    [InlineData("apiKey: this.configService.get('API_KEY'),")]
    [InlineData("secret_key = os.environ['SECRET_KEY']")]
    [InlineData("password: ${DB_PASSWORD}")]
    [InlineData("\"integrity\": \"sha512-Jz4P0Zg6D4Xn8GFsCw2XbH0uGQ3kzL9V7f0uWm1hJ5QzY6xLwJq8TXcR3pV2sN7bK1yD4eA9fM6oU0iH5tS3g==\"")]
    [InlineData("https://github.com/dotnet/runtime/blob/main/README.md")]
    [InlineData("Accept: application/json")]
    public void Ordinary_code_and_config_lines_are_not_secrets(string line) =>
        Assert.Empty(Scanner.Scan("src/app.ts", new StringReader(line + "\n")));

    [Fact]
    public void Lockfiles_are_skipped_by_the_global_allowlist()
    {
        var line = "GITHUB_TOKEN=ghp_" + "Zq8Xw2Lr5Tn9Vb3Mk7Pj1Hc6Fd4Gs0Ay2Eu8" + "\n";
        Assert.NotEmpty(Scanner.Scan("web/.env", new StringReader(line)));
        Assert.Empty(Scanner.Scan("web/package-lock.json", new StringReader(line)));
    }
}
