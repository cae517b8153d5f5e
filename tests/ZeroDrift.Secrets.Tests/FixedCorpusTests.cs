using System.Security.Cryptography;
using System.Text;
using ZeroDrift.Secrets;

namespace ZeroDrift.Secrets.Tests;

/// <summary>
/// The findings of the built-in rules over a fixed corpus, compared with those recorded in
/// <c>FixedCorpus.expected.txt</c> before the scanner's hot path was rewritten for speed (pooled UTF-8 decoding, the
/// keyword automaton walking two halves at once): performance work must not gain or lose a finding. The corpus holds
/// every rule's true positive and near miss as short lines (LF and CRLF), planted in a 200 K-character minified line
/// (across chunk cuts), and between multi-byte UTF-8 text (a byte-order mark, CJK, emoji) so that chunk cuts and
/// read boundaries fall inside multi-byte characters. Set ZERODRIFT_UPDATE_CORPUS=1 to record the file anew.
/// </summary>
public class FixedCorpusTests
{
    private static readonly string ExpectedPath = Path.Combine(AppContext.BaseDirectory, "FixedCorpus.expected.txt");

    internal static IEnumerable<(string Path, byte[] Content)> Corpus()
    {
        var random = new Random(2026);
        var ids = BuiltInRuleSamples.Rows.Select(r => r.Id).ToList();
        var positives = ids.Select(BuiltInRulesTests.SampleLine).ToList();
        var nearMisses = ids.Select(BuiltInRulesTests.NearMissLine).ToList();

        var lines = new StringBuilder();
        for (var i = 0; i < ids.Count; i++)
        {
            var eol = i % 2 == 0 ? "\n" : "\r\n";
            lines.Append("# ").Append(ids[i]).Append(eol).Append(positives[i]).Append(eol).Append(nearMisses[i]).Append(eol);
        }
        yield return ("config/settings.env", Encoding.UTF8.GetBytes(lines.ToString()));

        // One long line: samples at random places, some straddling the 64 K chunk cuts (and their 4 K overlap).
        var single = positives.Where(l => !l.Contains('\n')).ToList();
        var minified = new StringBuilder();
        foreach (var sample in single)
        {
            minified.Append(Filler(random, random.Next(3) == 0 ? random.Next(0, 30) : random.Next(200, 1800))).Append(' ').Append(sample).Append(';');
            if (random.Next(8) == 0) minified.Append(nearMisses[random.Next(nearMisses.Count)]).Append(';');
        }
        yield return ("dist/bundle.min.js", Encoding.UTF8.GetBytes(minified.Append('\n').ToString()));

        // Multi-byte text around the samples, long enough for several chunks and stream reads.
        string[] words = ["密钥", "配置文件", "пароль", "clé", "🔑", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "naïve", "日本語のテキスト"];
        var unicode = new StringBuilder();
        for (var round = 0; round < 3; round++)
            foreach (var sample in positives)
            {
                for (var w = random.Next(4, 60); w > 0; w--) unicode.Append(words[random.Next(words.Length)]).Append(' ');
                unicode.Append(random.Next(2) == 0 ? "\n" : " ").Append(sample).Append('\n');
            }
        yield return ("docs/notes.md", [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(unicode.ToString())]);

        // Invalid UTF-8 bytes (but no NUL) between samples: decoded to U+FFFD as before.
        var invalid = new List<byte>();
        foreach (var sample in positives.Take(40))
            invalid.AddRange([0xC3, 0x28, 0xE2, 0x82, (byte)' ', .. Encoding.UTF8.GetBytes(sample), (byte)'\n']);
        yield return ("bin/script.sh", [.. invalid]);
    }

    private static string Filler(Random random, int length)
    {
        const string alphabet = "qwrzxvbnmQWRZXVBNM0123456789(){}=;,. ";
        var sb = new StringBuilder(length);
        for (var i = 0; i < length; i++) sb.Append(alphabet[random.Next(alphabet.Length)]);
        return sb.ToString();
    }

    /// <summary>One line per finding; the secret as a hash (the corpus' fake tokens need not be repeated in the file).</summary>
    private static List<string> Describe(string path, IEnumerable<SecretFinding> findings) =>
        findings.Select(f => $"{path}\t{f.RuleId}\t{f.Line}:{f.Column}-{f.EndLine}\t{Hash(f.Secret)}\t{Hash(f.Match)}")
            .Order(StringComparer.Ordinal).ToList();

    private static string Hash(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)))[..16];

    [Fact]
    public void Findings_over_the_fixed_corpus_are_those_recorded_before_the_speed_work()
    {
        var scanner = new SecretScanner(BuiltInRules.RuleSet);
        var found = Corpus().SelectMany(c => Describe(c.Path, scanner.Scan(c.Path, new MemoryStream(c.Content)))).ToList();
        if (Environment.GetEnvironmentVariable("ZERODRIFT_UPDATE_CORPUS") == "1")
        {
            var source = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "FixedCorpus.expected.txt");
            File.WriteAllLines(source, found);
        }
        var expected = File.ReadAllLines(ExpectedPath).ToList();
        Assert.True(expected.Count > 400, $"only {expected.Count} recorded findings");
        Assert.Equal(expected, found);
    }

    [Fact]
    public void Bytes_and_decoded_text_give_the_same_findings()
    {
        // The pooled byte path decodes UTF-8 itself; a StreamReader over the same bytes is the reference.
        var scanner = new SecretScanner(BuiltInRules.RuleSet);
        foreach (var (path, content) in Corpus())
        {
            var reference = Describe(path, scanner.Scan(path, new StreamReader(new MemoryStream(content), Encoding.UTF8, detectEncodingFromByteOrderMarks: true)));
            Assert.Equal(reference, Describe(path, scanner.Scan(path, new MemoryStream(content))));
            // Reads of one byte at a time cut every multi-byte character.
            Assert.Equal(reference, Describe(path, scanner.Scan(path, new TrickleStream(content))));
        }
    }

    [Fact]
    public void A_utf16_file_with_a_byte_order_mark_is_still_decoded()
    {
        // A custom rule over CJK text: UTF-16 without any character of Latin-1, so no NUL byte makes it look binary.
        var rules = SecretRuleSet.ParseGitleaks("""
            [[rules]]
            id = "cjk-secret"
            regex = '密钥：([一-龥]{4,})'
            """);
        var scanner = new SecretScanner(rules);
        var text = "配置文件、密钥：甲乙丙丁戊己庚辛、日本語";
        var bytes = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(text)).ToArray();
        Assert.DoesNotContain((byte)0, bytes);
        var finding = Assert.Single(scanner.Scan("a.txt", new MemoryStream(bytes)));
        Assert.Equal("甲乙丙丁戊己庚辛", finding.Secret);
        Assert.Equal(6, finding.Column);
    }

    private sealed class TrickleStream(byte[] content) : Stream
    {
        private int _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => content.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            if (_position >= content.Length || buffer.IsEmpty) return 0;
            buffer[0] = content[_position++];
            return 1;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
