using System.Text;
using ZeroDrift.Core.Findings;
using ZeroDrift.Parsing;
using ZeroDrift.Parsing.Streams;

namespace ZeroDrift.Sensitive;

/// <summary>
/// The sensitive-data (PII) scanner of <c>zerodrift scan --scanners pii</c>. Reads each text file once, line by
/// line with bounded memory, and reports one finding per file and kind of personal data: how many items the file
/// holds, where the first is, and a few masked samples with their lines. Bulk data is the real leak, so
/// <see cref="SensitiveDataOptions.MinItemsPerFile"/> keeps only files holding at least that many items.
/// </summary>
public sealed class SensitiveDataDetector : IContentDetector
{
    private const int HeaderChars = 4 * 1024;

    // Files that are never text: sniffing them is wasted reading.
    private static readonly HashSet<string> BinaryExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".bmp", ".tif", ".tiff", ".mp3", ".mp4", ".mov", ".avi", ".wav", ".flac",
        ".zip", ".jar", ".war", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".so", ".dll", ".exe", ".o", ".a", ".dylib",
        ".class", ".pyc", ".wasm", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".pdf", ".db", ".sqlite", ".bin", ".iso", ".img",
    };

    private readonly SensitiveDataOptions _options;
    private readonly PiiMatcher _matcher;

    private SensitiveDataDetector(SensitiveDataOptions options)
    {
        if (options.MinItemsPerFile < 1) throw new ArgumentOutOfRangeException(nameof(options), "MinItemsPerFile must be at least 1.");
        _options = options;
        _matcher = new PiiMatcher(options);
        var kinds = options.Kinds ?? Enum.GetValues<PiiKind>().ToHashSet();
        Rules = [.. PiiRules.ByKind.Where(kv => kinds.Contains(kv.Key)).Select(kv => kv.Value)];
    }

    public static SensitiveDataDetector Create(SensitiveDataOptions? options = null) => new(options ?? new SensitiveDataOptions());

    public FindingClass Class => FindingClass.Pii;

    public IReadOnlyList<RuleDescriptor> Rules { get; }

    public bool FileRequired(string path, long size) =>
        size > 0 && size <= _options.MaxFileBytes && !BinaryExtensions.Contains(Path.GetExtension(path));

    public IEnumerable<ContentFinding> Scan(string path, Stream content, Action<string> warn, CancellationToken cancellationToken)
    {
        List<ContentFinding> findings;
        try
        {
            findings = ScanFile(path, content, warn, cancellationToken);
        }
        catch (Exception e) when (e is IOException or DecoderFallbackException or System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            warn($"{path}: personal-data scan stopped: {e.Message}");
            return [];
        }
        return findings;
    }

    private List<ContentFinding> ScanFile(string path, Stream content, Action<string> warn, CancellationToken cancellationToken)
    {
        var sniff = new byte[BinaryContent.SniffBytes];
        var read = BinaryContent.ReadHead(content, sniff);
        if (BinaryContent.IsBinary(sniff.AsSpan(0, read))) return [];
        var stream = new PrefixedStream(sniff.AsMemory(0, read), content);
        using var reader = new StreamReader(stream, new UTF8Encoding(false, false), detectEncodingFromByteOrderMarks: true, bufferSize: 64 * 1024);
        var lines = new BoundedLineReader(reader);
        var tallies = new Dictionary<PiiKind, Tally>();
        var found = new List<PiiItem>();
        var header = 0;
        var previousText = new char[BoundedLineReader.MaxSegment];
        var previousLength = 0;
        var total = 0;

        while (lines.Next(out var segment, out var line, out var column))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (line == 1 && column == 1) header = KeywordContext.Scan(segment.Span[..Math.Min(segment.Length, HeaderChars)]);
            // Context is looked up lazily, per kind, only when a candidate needs it: most lines need none.
            var checkedKinds = 0;
            var foundKinds = 0;
            var previous = previousText.AsMemory(0, previousLength);
            bool Context(PiiKind kind)
            {
                var bit = 1 << (int)kind;
                if ((header & bit) != 0) return true;
                if ((checkedKinds & bit) == 0)
                {
                    checkedKinds |= bit;
                    if (KeywordContext.Has(segment.Span, kind) || KeywordContext.Has(previous.Span, kind)) foundKinds |= bit;
                }
                return (foundKinds & bit) != 0;
            }
            found.Clear();
            _matcher.Match(segment.Span, Context, found);
            foreach (var item in found)
            {
                if (!tallies.TryGetValue(item.Kind, out var tally)) tallies[item.Kind] = tally = new Tally(line, column + item.Index, column + item.Index + item.Length - 1);
                tally.Count++;
                total++;
                if (tally.Samples.Count < _options.SamplesPerFinding) tally.Samples.Add((line, Masking.Mask(item.Kind, item.Value)));
            }
            segment.Span.CopyTo(previousText);
            previousLength = segment.Length;
        }

        if (total < _options.MinItemsPerFile) return [];
        var results = new List<ContentFinding>();
        foreach (var (kind, tally) in tallies.OrderBy(kv => kv.Value.FirstLine).ThenBy(kv => kv.Key))
        {
            var rule = PiiRules.ByKind[kind];
            var samples = string.Join("; ", tally.Samples.Select(s => $"line {s.Line}: {s.Masked}"));
            results.Add(new ContentFinding
            {
                Class = FindingClass.Pii,
                RuleId = rule.Id,
                Title = rule.Title,
                Severity = rule.Severity,
                Path = path,
                Span = new TextSpan(tally.FirstLine, tally.FirstColumn, tally.FirstLine, tally.FirstEndColumn),
                Message = $"{tally.Count} {(tally.Count == 1 ? Singular(kind) : Plural(kind))} (first at line {tally.FirstLine}; {samples})",
                Match = tally.Samples[0].Masked,
                Fingerprint = $"{path}:{rule.Id}:{tally.Count}",
                Properties = new Dictionary<string, string>
                {
                    ["count"] = tally.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["samples"] = samples,
                    ["fileItems"] = total.ToString(System.Globalization.CultureInfo.InvariantCulture),
                },
            });
        }
        return results;
    }

    private static string Singular(PiiKind kind) => kind switch
    {
        PiiKind.PrcIdentityNumber => "PRC resident identity number",
        PiiKind.PrcMobileNumber => "PRC mobile phone number",
        PiiKind.PaymentCard => "payment card number",
        PiiKind.Iban => "IBAN",
        PiiKind.Email => "e-mail address",
        PiiKind.UsSsn => "US Social Security number",
        _ => "passport number",
    };

    // Spelled out rather than derived from the title: lower-casing "PRC" or "IBAN" would misspell them.
    private static string Plural(PiiKind kind) => kind switch
    {
        PiiKind.PrcIdentityNumber => "PRC resident identity numbers",
        PiiKind.PrcMobileNumber => "PRC mobile phone numbers",
        PiiKind.PaymentCard => "payment card numbers",
        PiiKind.Iban => "IBANs",
        PiiKind.Email => "e-mail addresses",
        PiiKind.UsSsn => "US Social Security numbers",
        _ => "passport numbers",
    };

    private sealed class Tally(int firstLine, int firstColumn, int firstEndColumn)
    {
        public int FirstLine { get; } = firstLine;
        public int FirstColumn { get; } = firstColumn;
        public int FirstEndColumn { get; } = firstEndColumn;
        public int Count { get; set; }
        public List<(int Line, string Masked)> Samples { get; } = [];
    }
}
