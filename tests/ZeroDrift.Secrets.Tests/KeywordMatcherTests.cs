using System.Text;
using ZeroDrift.Secrets;

namespace ZeroDrift.Secrets.Tests;

/// <summary>The keyword automaton reports every occurrence, in order, whatever the text's length and wherever it splits it.</summary>
public class KeywordMatcherTests
{
    private static readonly string[] Keywords =
        ["sec", "secret", "ecr", "://", "ghp_", "a", "akia", "password", "pwd", "eyj", "x", "-----begin", "1//0", "k10"];

    /// <summary>The reference: every (end index, keyword id) from a plain search of the lower-cased text.</summary>
    private static List<(int End, int Id)> Naive(string text)
    {
        // The automaton folds ASCII case only; every non-ASCII character stands for none of the keywords' characters.
        var folded = string.Concat(text.Select(c => c >= 128 ? '\u0001' : char.ToLowerInvariant(c)));
        var hits = new List<(int, int)>();
        for (var id = 0; id < Keywords.Length; id++)
            for (var i = folded.IndexOf(Keywords[id], StringComparison.Ordinal); i >= 0; i = folded.IndexOf(Keywords[id], i + 1, StringComparison.Ordinal))
                hits.Add((i + Keywords[id].Length - 1, id));
        return hits;
    }

    private static List<(int End, int Id)> Found(KeywordMatcher matcher, string text)
    {
        var hits = new List<(int, int)>();
        matcher.Scan(text.AsSpan(), ref hits, static (ref List<(int, int)> h, int end, int id) => h.Add((end, id)));
        return hits;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(1023)]
    [InlineData(1024)]
    [InlineData(1025)]
    [InlineData(4099)]
    [InlineData(65_536)]
    public void Every_occurrence_is_reported_in_order(int length)
    {
        var matcher = new KeywordMatcher(Keywords);
        var random = new Random(length);
        const string alphabet = "abcdeghiknoprstwxyzAKIESCRT_-:/10 \né€";
        for (var round = 0; round < 20; round++)
        {
            var sb = new StringBuilder(length);
            while (sb.Length < length)
            {
                if (random.Next(6) == 0) sb.Append(random.Next(2) == 0 ? Keywords[random.Next(Keywords.Length)] : Keywords[random.Next(Keywords.Length)].ToUpperInvariant());
                else sb.Append(alphabet[random.Next(alphabet.Length)]);
            }
            var text = sb.ToString(0, length);
            // Keywords straddling the quarter cuts, where the walk is split.
            foreach (var cut in new[] { length / 4, length / 2, length - length / 4 })
                if (cut >= 5 && cut + 5 <= length) text = text[..(cut - 3)] + "SeCret" + text[(cut + 3)..];
            var found = Found(matcher, text);
            var expected = Naive(text);
            Assert.Equal(expected.OrderBy(h => h.End).ThenBy(h => h.Id), found.OrderBy(h => h.End).ThenBy(h => h.Id));
            // In order of their ends (the scanner merges windows relying on it).
            Assert.Equal(found.Select(h => h.End).Order(), found.Select(h => h.End));
        }
    }
}
