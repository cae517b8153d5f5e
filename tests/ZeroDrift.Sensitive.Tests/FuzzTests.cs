using System.Text;
using ZeroDrift.Sensitive;

namespace ZeroDrift.Sensitive.Tests;

/// <summary>Random lines built from the characters the tokenizer cares about never make a scan throw, and every
/// reported span lies inside its line.</summary>
public class FuzzTests
{
    private const string Alphabet = "0123456789012345678901234567890123456789 --++@@..XxABGBDE:,_\tphone card ssn passport 身份证 a@b.io\r";

    [Fact]
    public void Random_lines_never_throw_and_spans_stay_inside_lines()
    {
        var detector = SensitiveDataDetector.Create(new SensitiveDataOptions { Today = new DateOnly(2026, 11, 29) });
        var random = new Random(20261129);
        for (var round = 0; round < 300; round++)
        {
            var sb = new StringBuilder();
            var lines = random.Next(1, 40);
            for (var l = 0; l < lines; l++)
            {
                var length = random.Next(0, 200);
                for (var c = 0; c < length; c++) sb.Append(Alphabet[random.Next(Alphabet.Length)]);
                // Now and then a real item, so validated paths run too.
                if (random.Next(4) == 0) sb.Append(random.Next(3) switch { 0 => " 11010519491231002X", 1 => " 4111 1111 1111 1111", _ => " +86 138 1234 5678" });
                sb.Append('\n');
            }
            var text = sb.ToString();
            var lineLengths = text.Split('\n').Select(x => x.TrimEnd('\r').Length).ToArray();
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
            var findings = detector.Scan("/f.txt", stream, _ => { }, CancellationToken.None).ToList();
            foreach (var f in findings)
            {
                var span = f.Span!;
                Assert.InRange(span.StartLine, 1, lineLengths.Length);
                Assert.InRange(span.StartColumn, 1, Math.Max(1, lineLengths[span.StartLine - 1]));
                Assert.InRange(span.EndColumn, span.StartColumn, lineLengths[span.StartLine - 1]);
            }
        }
    }
}
