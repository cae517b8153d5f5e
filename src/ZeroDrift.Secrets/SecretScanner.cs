using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using ZeroDrift.Parsing;
using ZeroDrift.Parsing.Streams;

namespace ZeroDrift.Secrets;

/// <summary>
/// Finds secrets in one file's text with a <see cref="SecretRuleSet"/>, the way gitleaks does, but streaming:
/// the text is read in chunks of bounded size cut at line ends (a line longer than a chunk is split, the next
/// chunk repeating the last <see cref="Overlap"/> characters so a secret on the cut is still seen whole).
/// Per chunk, one Aho–Corasick pass finds every rule keyword; a rule's regex then runs only on the lines that
/// hold one of its keywords (the whole chunk for rules that span lines, such as private keys; always for rules
/// without keywords). Regexes run on the backtracking engine under a time bound, and on the linear-time engine where that runs out, so no input can make a scan hang.
/// Thread-safe: one scanner serves parallel scans.
/// </summary>
public sealed class SecretScanner
{
    public const int ChunkChars = 64 * 1024;
    public const int Overlap = 4 * 1024;
    private static readonly string[] InlineMarkers = ["zerodrift:allow", "gitleaks:allow"];

    private readonly SecretRule[] _rules;
    private readonly int[] _newlines;        // the most line ends one match can hold, -1 when unbounded or not measured
    private readonly int[] _maxLength;       // the rule's longest match, 0 when unbounded or not measured
    private readonly int[] _keywordLength;
    private readonly int[][] _rulesByKeyword;
    private readonly int[] _alwaysRun;
    private readonly KeywordMatcher _keywords;
    private readonly SecretAllowlist[] _globalAllowlists;
    private readonly RuleCosts? _costs;

    public SecretRuleSet RuleSet { get; }

    public SecretScanner(SecretRuleSet ruleSet) : this(ruleSet, boundWindows: true)
    {
    }

    /// <param name="ruleSet">The rules.</param>
    /// <param name="boundWindows">Run a bounded rule only within twice its maximum match length around its keyword on
    /// a long line (the default); false runs it over the whole line (a reference for tests and benchmarks).</param>
    public SecretScanner(SecretRuleSet ruleSet, bool boundWindows) : this(ruleSet, boundWindows, costs: null)
    {
    }

    /// <param name="ruleSet">The rules.</param>
    /// <param name="boundWindows">See <see cref="SecretScanner(SecretRuleSet, bool)"/>.</param>
    /// <param name="costs">Where to add up each rule's time (bench's profile); null in normal use.</param>
    internal SecretScanner(SecretRuleSet ruleSet, bool boundWindows, RuleCosts? costs)
    {
        RuleSet = ruleSet;
        _costs = costs;
        _rules = [.. ruleSet.Rules];
        _newlines = _rules.Select(r => r.Matcher?.MaxNewlines ?? -1).ToArray();
        _maxLength = _rules.Select(r => boundWindows ? r.Matcher?.MaxLength ?? 0 : 0).ToArray();
        _globalAllowlists = [.. ruleSet.Allowlists];
        var keywordIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var byKeyword = new List<List<int>>();
        var always = new List<int>();
        for (var r = 0; r < _rules.Length; r++)
        {
            if (_rules[r].Matcher is null) continue;
            if (_rules[r].Keywords.Count == 0) { always.Add(r); continue; }
            foreach (var k in _rules[r].Keywords)
            {
                if (!keywordIds.TryGetValue(k, out var id))
                {
                    keywordIds[k] = id = byKeyword.Count;
                    byKeyword.Add([]);
                }
                byKeyword[id].Add(r);
            }
        }
        _keywords = new KeywordMatcher(keywordIds.OrderBy(kv => kv.Value).Select(kv => kv.Key).ToList());
        _keywordLength = keywordIds.OrderBy(kv => kv.Value).Select(kv => kv.Key.Length).ToArray();
        _rulesByKeyword = byKeyword.Select(l => l.Distinct().ToArray()).ToArray();
        _alwaysRun = [.. always];
    }

    /// <summary>Scans a file's bytes; binary files (a NUL byte in the first 8 KB) yield only path-only rules' findings.</summary>
    public IReadOnlyList<SecretFinding> Scan(string path, Stream content)
    {
        var state = RentState();
        try
        {
            var sniff = state.Reader.Bytes;
            var read = BinaryContent.ReadHead(content, sniff.AsSpan(0, BinaryContent.SniffBytes));
            if (BinaryContent.IsBinary(sniff.AsSpan(0, read)))
            {
                // Binary: no text to search, but a rule on the path alone still reports the file (a PKCS#12 file is binary).
                var fileFindings = new List<SecretFinding>();
                ActiveRules(path, fileFindings);
                return fileFindings;
            }
            if (read >= 2 && (sniff[0], sniff[1]) is (0xFF, 0xFE) or (0xFE, 0xFF))
            {
                // UTF-16 with a byte-order mark (and no NUL byte: all of it outside Latin-1): rare enough for a StreamReader.
                using var utf16 = new StreamReader(new PrefixedStream(sniff.AsMemory(0, read).ToArray(), content), Encoding.UTF8,
                    detectEncodingFromByteOrderMarks: true, bufferSize: 16 * 1024, leaveOpen: true);
                return Scan(path, utf16, state);
            }
            state.Reader.Start(content, read);
            return Scan(path, state.Reader, state);
        }
        finally
        {
            state.Reader.Release();
            _statePool.Add(state);
        }
    }

    /// <summary>Scans text; memory stays bounded by the chunk size whatever the length of the text or its lines.</summary>
    public IReadOnlyList<SecretFinding> Scan(string path, TextReader content)
    {
        // The chunk buffer and per-rule window lists are reused from file to file: a tree scan meets thousands of
        // small files, and a fresh 128 KB buffer each (a large-object allocation) cost more than reading them.
        var state = RentState();
        try
        {
            return Scan(path, content, state);
        }
        finally
        {
            _statePool.Add(state);
        }
    }

    private IReadOnlyList<SecretFinding> Scan(string path, TextReader content, ChunkState state)
    {
        var findings = new List<SecretFinding>();
        var active = ActiveRules(path, findings);
        if (active is null) return findings;
        ScanChunks(path, content, active, state, findings);
        return findings;
    }

    private readonly System.Collections.Concurrent.ConcurrentBag<ChunkState> _statePool = [];

    private ChunkState RentState() => _statePool.TryTake(out var state) ? state : new ChunkState(_rules.Length);

    private void ScanChunks(string path, TextReader content, bool[] active, ChunkState state, List<SecretFinding> findings)
    {
        var buffer = state.Buffer;
        var filled = 0;
        var lineOfChunk = 1;
        var columnOfChunk = 0;   // characters of the chunk's first line that earlier chunks held (a line longer than a chunk)
        var eof = false;
        while (true)
        {
            // Stop one short of full: a supplementary character needs two chars (see Utf8ChunkReader).
            while (!eof && buffer.Length - filled >= 2)
            {
                var n = content.Read(buffer, filled, buffer.Length - filled);
                if (n == 0) eof = true; else filled += n;
            }
            if (filled == 0) break;

            // Cut at the last line end; without one, cut anywhere and repeat the overlap in the next chunk.
            int chunkLength, carryFrom;
            if (eof) { chunkLength = filled; carryFrom = filled; }
            else
            {
                var lastNewline = Array.LastIndexOf(buffer, '\n', filled - 1);
                if (lastNewline >= 0)
                {
                    // Repeat the last whole lines (up to the overlap) so a multi-line secret on the cut is seen whole.
                    chunkLength = lastNewline + 1;
                    var from = Math.Max(0, chunkLength - Overlap);
                    var nl = chunkLength - 1 > from ? Array.IndexOf(buffer, '\n', from, chunkLength - 1 - from) : -1;
                    carryFrom = nl >= 0 ? nl + 1 : chunkLength;
                }
                else { chunkLength = filled; carryFrom = filled - Overlap; }
            }
            // Matches starting in the repeated overlap are left to the next chunk, which sees them whole.
            var reportBefore = carryFrom < chunkLength ? carryFrom : chunkLength;
            ScanChunk(path, chunkLength, reportBefore, lineOfChunk, columnOfChunk, active, state, findings);
            if (eof && carryFrom >= filled) break;

            var carried = buffer.AsSpan(0, carryFrom);
            lineOfChunk += CountNewlines(carried);
            var lastCarriedNewline = carried.LastIndexOf('\n');
            columnOfChunk = lastCarriedNewline < 0 ? columnOfChunk + carryFrom : carryFrom - lastCarriedNewline - 1;
            Array.Copy(buffer, carryFrom, buffer, 0, filled - carryFrom);
            filled -= carryFrom;
        }
    }

    private static int CountNewlines(ReadOnlySpan<char> text) => text.Count('\n');

    /// <summary>Rules whose path filter admits this file; null when a global path allowlist excludes the file.</summary>
    private bool[]? ActiveRules(string path, List<SecretFinding> findings)
    {
        var active = new bool[_rules.Length];
        for (var r = 0; r < _rules.Length; r++)
        {
            var rule = _rules[r];
            if (rule.Path is not null && !rule.Path.IsMatch(path)) continue;
            if (rule.Matcher is null)
            {
                // A path-only rule reports the file itself, as gitleaks does.
                var f = new SecretFinding
                {
                    RuleId = rule.Id, Description = rule.Description, File = path, Line = 0, Column = 0, EndLine = 0,
                    Match = "file detected: " + path, Secret = "", Tags = rule.Tags,
                };
                if (!Allowed(rule, path, f.Secret, f.Match, "")) findings.Add(f);
                continue;
            }
            active[r] = true;
        }
        return active;
    }

    private sealed class ChunkState(int rules)
    {
        public readonly char[] Buffer = new char[ChunkChars];
        public readonly Utf8ChunkReader Reader = new();
        public readonly List<Window>[] Windows = Enumerable.Range(0, rules).Select(_ => new List<Window>()).ToArray();
        public readonly List<int> Touched = [];
        public int Length;
        public bool[] Active = [];
        public int[] Newlines = [];
        public int[] MaxLength = [];
        public int[] KeywordLength = [];
        public int[][] RulesByKeyword = [];
    }

    /// <summary>
    /// Where a rule's regex runs, and which matches count: those starting at or after <c>AcceptFrom</c> and ending at
    /// or before <c>AcceptTo</c> (the whole window unless an edge was cut inside a long line, see <see cref="ScanChunk"/>).
    /// </summary>
    private readonly record struct Window(int Start, int End, int AcceptFrom, int AcceptTo);

    private void ScanChunk(string path, int chunkLength, int reportBefore, int firstLine, int firstColumnOffset, bool[] active, ChunkState state,
        List<SecretFinding> findings)
    {
        foreach (var r in state.Touched) state.Windows[r].Clear();
        state.Touched.Clear();
        state.Length = chunkLength;
        var chunk = state.Buffer.AsSpan(0, chunkLength);
        state.Active = active;
        state.Newlines = _newlines;
        state.MaxLength = _maxLength;
        state.KeywordLength = _keywordLength;
        state.RulesByKeyword = _rulesByKeyword;
        var keywordsFrom = _costs is null ? 0 : RuleCosts.Now;
        _keywords.Scan(chunk, ref state, [MethodImpl(MethodImplOptions.AggressiveOptimization)] static (ref ChunkState s, int end, int keyword) =>
        {
            foreach (var r in s.RulesByKeyword[keyword])
            {
                if (!s.Active[r]) continue;
                var windows = s.Windows[r];
                var length = s.Length;
                var newlines = s.Newlines[r];
                if (newlines < 0)
                {
                    // A match may span any number of lines: the whole chunk, once.
                    if (windows.Count == 0) { s.Touched.Add(r); windows.Add(new(0, length, 0, length)); }
                    continue;
                }
                // A match holding this keyword lies within the N lines above and below the keyword's line (N: the most
                // line ends the pattern can match; 0 for most rules, which then run on the keyword's line), and within
                // the rule's maximum length L of the keyword. On a long line the window is cut 2L from the keyword; a
                // cut edge only admits matches at least L inside it, so an anchor or \b that sees the cut instead of the
                // real text never yields a finding, and such an edge match cannot overlap (and so hide) a match that
                // holds the keyword.
                var text = s.Buffer.AsSpan(0, length);
                var max = s.MaxLength[r];
                var keywordStart = end - s.KeywordLength[keyword] + 1;
                var from = max == 0 ? 0 : Math.Max(0, end + 1 - 2 * max);
                var start = LineStartAbove(text, from, keywordStart, newlines);
                var cutStart = start == from && from > 0 && text[from - 1] != '\n';
                var to = max == 0 ? length : (int)Math.Min(length, (long)keywordStart + 2 * max);
                var stop = LineEndBelow(text, end, to, newlines);
                var cutEnd = stop == to && to < length && text[to] != '\n';
                var window = new Window(start, stop, cutStart ? start + max : start, cutEnd ? stop - max : stop);
                if (windows.Count == 0) { s.Touched.Add(r); windows.Add(window); continue; }
                var last = windows[^1];
                if (window.Start > last.End) { windows.Add(window); continue; }
                windows[^1] = last with
                {
                    End = Math.Max(last.End, window.End),
                    AcceptTo = window.End > last.End ? window.AcceptTo : Math.Max(last.AcceptTo, window.AcceptTo),
                };
            }
        });

        if (_costs is not null)
        {
            _costs.KeywordTicks += RuleCosts.Now - keywordsFrom;
            _costs.KeywordChars += chunkLength;
        }
        var lines = new LineIndex(state.Buffer, firstLine, firstColumnOffset);
        foreach (var r in _alwaysRun)
            if (active[r]) Run(r, state.Buffer, chunkLength, new(0, chunkLength, 0, chunkLength), reportBefore, path, lines, findings);
        foreach (var r in state.Touched)
            foreach (var window in state.Windows[r])
                Run(r, state.Buffer, chunkLength, window, reportBefore, path, lines, findings);
    }

    /// <summary>The start of the line <paramref name="lines"/> lines above the one holding <paramref name="index"/>, or <paramref name="floor"/> if that comes first.</summary>
    private static int LineStartAbove(ReadOnlySpan<char> text, int floor, int index, int lines)
    {
        var at = index;
        for (var n = 0; n <= lines; n++)
        {
            var nl = text[floor..at].LastIndexOf('\n');
            if (nl < 0) return floor;
            at = floor + nl;
        }
        return at + 1;
    }

    /// <summary>The end (exclusive, before its line end) of the line <paramref name="lines"/> lines below the one holding <paramref name="index"/>, or <paramref name="ceiling"/> if that comes first.</summary>
    private static int LineEndBelow(ReadOnlySpan<char> text, int index, int ceiling, int lines)
    {
        var at = index;
        for (var n = 0; n <= lines; n++)
        {
            if (at >= ceiling) return ceiling;
            var nl = text[at..ceiling].IndexOf('\n');
            if (nl < 0) return ceiling;
            at += nl;
            if (n < lines) at++;
        }
        return at;
    }

    private void Run(int r, char[] buffer, int chunkLength, Window w, int reportBefore, string path, LineIndex lines,
        List<SecretFinding> findings)
    {
        var chunk = buffer.AsSpan(0, chunkLength);
        var matcher = _rules[r].Matcher!;
        try
        {
            // Almost every window holds no match: a capture-free, allocation-free test on a cheaply built engine settles
            // those (see LazyRegex.MayMatch).
            var probeFrom = _costs is null ? 0 : RuleCosts.Now;
            var mayMatch = matcher.MayMatch(chunk[w.Start..w.End]);
            _costs?.Probe(r, w.End - w.Start, RuleCosts.Now - probeFrom, mayMatch);
            if (!mayMatch) return;
            var matchFrom = _costs is null ? 0 : RuleCosts.Now;
            var before = findings.Count;
            Matches(r, chunk, w, reportBefore, path, lines, findings);
            _costs?.Match(r, RuleCosts.Now - matchFrom, findings.Count - before);
        }
        catch (RegexMatchTimeoutException)
        {
            // A wrapped regex with a time bound (a caller's own, not a loaded pattern) hit it: this window yields nothing.
        }
    }

    /// <summary>
    /// The findings of a window whose probe found a candidate. They come from the probe's backtracking engine (compiled
    /// once hot) under its time bound, as RE2 and gitleaks define a match (leftmost-first): the NonBacktracking engine's
    /// construction (for the generic rule 40-110 ms, and the JIT of its generic code) and its matching over 741
    /// candidate windows of the benchmark tree cost more than the rest of the rule. A window that runs out of time is
    /// matched again, from scratch, on the linear-time engine, which stays the bound on what crafted input can cost.
    /// </summary>
    private void Matches(int r, ReadOnlySpan<char> chunk, Window w, int reportBefore, string path, LineIndex lines,
        List<SecretFinding> findings)
    {
        var matcher = _rules[r].Matcher!;
        // Only a window that matches becomes a string (Match needs one); it is the whole input the regex sees,
        // exactly as Match(chunk, start, length) would treat it.
        var window = new string(chunk[w.Start..w.End]);
        if (matcher.Bounded is { } bounded)
        {
            var before = findings.Count;
            try
            {
                Collect(r, bounded, window, chunk, w, reportBefore, path, lines, findings);
                return;
            }
            catch (RegexMatchTimeoutException)
            {
                findings.RemoveRange(before, findings.Count - before);
                matcher.BoundedTimedOut();
            }
        }
        Collect(r, matcher.Value, window, chunk, w, reportBefore, path, lines, findings);
    }

    /// <summary>Adds the findings of <paramref name="regex"/>'s matches in the window.</summary>
    private void Collect(int r, Regex regex, string window, ReadOnlySpan<char> chunk, Window w, int reportBefore, string path, LineIndex lines,
        List<SecretFinding> findings)
    {
        var start = w.Start;
        var rule = _rules[r];
        var matcher = rule.Matcher!;
        for (var m = regex.Match(window); m.Success; m = m.NextMatch())
        {
            var index = start + m.Index;
            // A left-out identifier prefix is put back: the finding starts where the whole pattern's match does.
            var matchStart = matcher.PrefixMaxLength > 0 ? matcher.PrefixStart(chunk, index, start) : index;
            var matchLength = index + m.Length - matchStart;
            if (matchStart >= reportBefore) break;
            if (matchLength == 0 || matchStart < w.AcceptFrom || matchStart + matchLength > w.AcceptTo) continue;
            if (matcher.LeadingWordBoundary && !LazyRegex.AtWordBoundary(chunk, index)) continue;
            var secret = SecretOf(rule, m);
            if (secret.Length == 0) continue;
            var entropy = ShannonEntropy.Of(secret);
            if (rule.Entropy > 0 && entropy <= rule.Entropy) continue;
            var (line, column, lineStart) = lines.Locate(matchStart);
            var lastLineFrom = matchStart + matchLength - 1 < lineStart ? lineStart : matchStart + matchLength - 1;
            var lineEndIndex = chunk[lastLineFrom..].IndexOf('\n');
            var lineText = new string(chunk[lineStart..(lineEndIndex < 0 ? chunk.Length : lastLineFrom + lineEndIndex)].TrimEnd('\r'));
            if (InlineMarkers.Any(marker => lineText.Contains(marker, StringComparison.Ordinal))) continue;
            var value = matchStart == index ? m.Value : new string(chunk.Slice(matchStart, matchLength));
            var allowFrom = _costs is null ? 0 : RuleCosts.Now;
            var allowed = Allowed(rule, path, secret, value, lineText);
            _costs?.Allow(r, RuleCosts.Now - allowFrom);
            if (allowed) continue;
            findings.Add(new SecretFinding
            {
                RuleId = rule.Id, Description = rule.Description, File = path, Line = line, Column = column,
                EndLine = line + chunk.Slice(matchStart, matchLength).Count('\n'), Match = value, Secret = secret,
                Entropy = Math.Round(entropy, 4), Tags = rule.Tags,
            });
        }
    }

    /// <summary>The secret group when set, else the first non-empty group, else the whole match (gitleaks' choice).</summary>
    private static string SecretOf(SecretRule rule, Match m)
    {
        if (rule.SecretGroup > 0)
            return rule.SecretGroup < m.Groups.Count ? m.Groups[rule.SecretGroup].Value : "";
        for (var g = 1; g < m.Groups.Count; g++)
            if (m.Groups[g].Success && m.Groups[g].Length > 0) return m.Groups[g].Value;
        return m.Value;
    }

    private bool Allowed(SecretRule rule, string path, string secret, string match, string line)
    {
        foreach (var a in _globalAllowlists)
            if ((a.TargetRules.Count == 0 || a.TargetRules.Contains(rule.Id)) && a.Allows(path, secret, match, line, null))
                return true;
        foreach (var a in rule.Allowlists)
            if (a.Allows(path, secret, match, line, null)) return true;
        return false;
    }

    /// <summary>Maps chunk offsets to 1-based line and column, scanning forward only as far as needed.</summary>
    private sealed class LineIndex(char[] chunk, int firstLine, int firstColumnOffset)
    {
        private readonly List<int> _starts = [0];
        private int _scanned;

        public (int Line, int Column, int LineStart) Locate(int index)
        {
            while (_scanned < index)
            {
                var nl = Array.IndexOf(chunk, '\n', _scanned, index - _scanned);
                if (nl < 0) { _scanned = index; break; }
                _starts.Add(nl + 1);
                _scanned = nl + 1;
            }
            var i = _starts.BinarySearch(index);
            if (i < 0) i = ~i - 1;
            // The chunk's first line may have begun in an earlier chunk: its columns count from there.
            return (firstLine + i, index - _starts[i] + 1 + (i == 0 ? firstColumnOffset : 0), _starts[i]);
        }
    }
}
