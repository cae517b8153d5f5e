using System.Text;
using BenchmarkDotNet.Attributes;
using ZeroDrift.Sensitive;

namespace ZeroDrift.Benchmarks;

/// <summary>
/// Sensitive-data scanning over 4 MB of mixed text (application logs, source code, prose, and a CSV dump holding
/// identity numbers, phone numbers, cards, IBANs and e-mail addresses), against the reference of only reading the
/// same bytes as UTF-8 lines: the ratio says what the detectors cost on top of reading the file.
/// </summary>
[MemoryDiagnoser]
public class PiiScanBenchmarks
{
    public const int Bytes = 4 << 20;
    private readonly SensitiveDataDetector _detector = SensitiveDataDetector.Create();
    private byte[] _mixed = [];

    [GlobalSetup]
    public void Setup() => _mixed = MixedText(Bytes);

    internal static byte[] MixedText(int size)
    {
        var sb = new StringBuilder();
        var random = new Random(11);
        var i = 0;
        while (sb.Length < size)
        {
            switch (i % 8)
            {
                case 0:
                    sb.Append("2026-11-29T05:").Append(random.Next(10, 59)).Append(":00.123Z INFO request id=").Append(random.Next())
                        .Append(" took ").Append(random.Next(1, 900)).Append("ms status=200 bytes=").Append(random.Next(100, 99999)).Append('\n');
                    break;
                case 1:
                    sb.Append("    public int Compute").Append(i).Append("(int value) => value * ").Append(random.Next(2, 99)).Append(" + 0x").Append(random.Next().ToString("x", System.Globalization.CultureInfo.InvariantCulture)).Append(";\n");
                    break;
                case 2:
                    sb.Append("The quick brown fox jumps over the lazy dog while the build server compiles version 1.").Append(i % 100).Append(".3 again.\n");
                    break;
                case 3:
                    sb.Append("user").Append(i).Append(",11010519491231002X,13812345678,4111111111111111,GB82WEST12345698765432,user").Append(i).Append("@corp.io\n");
                    break;
                case 4:
                    sb.Append("{\"id\":").Append(random.NextInt64(1_000_000_000_000, 9_999_999_999_999)).Append(",\"sku\":\"A-").Append(random.Next(1000, 9999)).Append("\",\"price\":").Append(random.Next(1, 999)).Append(".99}\n");
                    break;
                case 5:
                    sb.Append("phone: 13912345678 email: someone@example.com card 5555 5555 5555 4444\n");
                    break;
                case 6:
                    sb.Append("sha256:").Append(Convert.ToHexString(BitConverter.GetBytes(random.NextInt64()))).Append(Convert.ToHexString(BitConverter.GetBytes(random.NextInt64()))).Append('\n');
                    break;
                default:
                    sb.Append("        <dependency><groupId>org.example</groupId><artifactId>lib").Append(i).Append("</artifactId></dependency>\n");
                    break;
            }
            i++;
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    [Benchmark(Baseline = true, Description = "read lines only (reference)")]
    public int ReadLines()
    {
        using var reader = new StreamReader(new MemoryStream(_mixed), Encoding.UTF8);
        var n = 0;
        while (reader.ReadLine() is not null) n++;
        return n;
    }

    [Benchmark(Description = "PII scan, all detectors")]
    public int ScanMixed4MB() =>
        _detector.Scan("/data/mixed.txt", new MemoryStream(_mixed), _ => { }, CancellationToken.None).Sum(f => int.Parse(f.Properties["count"], System.Globalization.CultureInfo.InvariantCulture));
}
