using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ZeroDrift.Secrets;

/// <summary>
/// Aho–Corasick automaton over lower-cased ASCII keywords, compiled to a dense DFA (one 128-entry row per
/// state) so that one pass over a text reports every keyword occurrence with one table lookup per character.
/// Upper-case ASCII folds to lower case; every non-ASCII character folds to one symbol. That folding can only
/// add hits, never lose one, which is all a pre-filter needs: the rule's regex decides.
/// </summary>
public sealed class KeywordMatcher
{
    private const int Alphabet = 128;
    // state * Alphabet + symbol -> the next state's row offset (state * Alphabet), plus 1 when keywords end there:
    // the hot loop then needs no multiplication and looks at the outputs only on a hit.
    private readonly int[] _next;
    private static readonly byte[] Fold = Enumerable.Range(0, Alphabet).Select(c => (byte)Symbol((char)c)).ToArray();
    private readonly int[][] _outputs;     // state -> keyword ids ending here (own and via failure links)

    public int KeywordCount { get; }

    private readonly int _maxKeywordLength;

    public KeywordMatcher(IReadOnlyList<string> keywords)
    {
        KeywordCount = keywords.Count;
        _maxKeywordLength = keywords.Count == 0 ? 0 : keywords.Max(k => k.Length);
        var gotoRows = new List<int[]> { NewRow() };
        var outputs = new List<List<int>> { new() };
        for (var k = 0; k < keywords.Count; k++)
        {
            var state = 0;
            foreach (var ch in keywords[k])
            {
                var sym = Symbol(ch);
                if (gotoRows[state][sym] < 0)
                {
                    gotoRows[state][sym] = gotoRows.Count;
                    gotoRows.Add(NewRow());
                    outputs.Add(new());
                }
                state = gotoRows[state][sym];
            }
            if (keywords[k].Length > 0) outputs[state].Add(k);
        }

        // Breadth-first: fill missing transitions from the failure state so the table is a complete DFA.
        var count = gotoRows.Count;
        _next = new int[count * Alphabet];
        var fail = new int[count];
        var queue = new Queue<int>();
        for (var s = 0; s < Alphabet; s++)
        {
            var t = gotoRows[0][s];
            if (t < 0) _next[s] = 0;
            else { _next[s] = t; fail[t] = 0; queue.Enqueue(t); }
        }
        while (queue.Count > 0)
        {
            var r = queue.Dequeue();
            outputs[r].AddRange(outputs[fail[r]]);
            for (var s = 0; s < Alphabet; s++)
            {
                var t = gotoRows[r][s];
                if (t < 0) _next[r * Alphabet + s] = _next[fail[r] * Alphabet + s];
                else
                {
                    fail[t] = _next[fail[r] * Alphabet + s];
                    _next[r * Alphabet + s] = t;
                    queue.Enqueue(t);
                }
            }
        }
        _outputs = outputs.Select(o => o.Distinct().ToArray()).ToArray();
        for (var i = 0; i < _next.Length; i++)
            _next[i] = _next[i] * Alphabet + (_outputs[_next[i]].Length > 0 ? 1 : 0);
    }

    private static int[] NewRow()
    {
        var row = new int[Alphabet];
        Array.Fill(row, -1);
        return row;
    }

    private static int Symbol(char c) => c >= Alphabet ? 0 : c is >= 'A' and <= 'Z' ? c + 32 : c;

    /// <summary>Calls <paramref name="onHit"/> with (index of the keyword's last character, keyword id) for every
    /// occurrence, in the order of their last characters.</summary>
    // Fully optimised from the first call: a scan enters this loop once per chunk, and tiered compilation left the
    // first seconds of a scan on slower code (tier 0, then on-stack replacement) while regexes were still being built.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Scan<TState>(ReadOnlySpan<char> text, ref TState state, HitHandler<TState> onHit)
    {
        // Each step of the automaton waits for the previous step's table load, so one pass runs at the latency of that
        // load, not at the processor's throughput. Four quarters of the text are walked in the same loop instead: four
        // independent chains the processor overlaps. A quarter's walk starts MaxKeywordLength - 1 characters before
        // the quarter (a keyword that ends in it starts no earlier) and reports only keywords ending in its own
        // quarter; the later quarters' hits wait until the earlier ones are reported, so the order is one pass's.
        var overlap = Math.Max(0, _maxKeywordLength - 1);
        var n = text.Length;
        if (n < MinSplitLength || n / Ways <= 2 * overlap)
        {
            ScanRange(text, 0, n, ref state, onHit);
            return;
        }
        int b1 = n / 4, b2 = n / 2, b3 = n - n / 4;
        int s1 = b1 - overlap, s2 = b2 - overlap, s3 = b3 - overlap;
        var hits = t_hits ??= [new List<long>(), new List<long>(), new List<long>()];
        foreach (var list in hits) list.Clear();
        ref var next = ref MemoryMarshal.GetArrayDataReference(_next);
        ref var fold = ref MemoryMarshal.GetArrayDataReference(Fold);
        int r0 = 0, r1 = 0, r2 = 0, r3 = 0;
        var steps = Math.Min(Math.Min(b1, b2 - s1), Math.Min(b3 - s2, n - s3));
        for (var i = 0; i < steps; i++)
        {
            var c0 = text[i];
            var c1 = text[s1 + i];
            var c2 = text[s2 + i];
            var c3 = text[s3 + i];
            var v0 = Unsafe.Add(ref next, r0 + (c0 < Alphabet ? Unsafe.Add(ref fold, c0) : 0));
            var v1 = Unsafe.Add(ref next, r1 + (c1 < Alphabet ? Unsafe.Add(ref fold, c1) : 0));
            var v2 = Unsafe.Add(ref next, r2 + (c2 < Alphabet ? Unsafe.Add(ref fold, c2) : 0));
            var v3 = Unsafe.Add(ref next, r3 + (c3 < Alphabet ? Unsafe.Add(ref fold, c3) : 0));
            r0 = v0 & ~1;
            r1 = v1 & ~1;
            r2 = v2 & ~1;
            r3 = v3 & ~1;
            if (((v0 | v1 | v2 | v3) & 1) == 0) continue;
            if ((v0 & 1) != 0)
            {
                var outs = _outputs[r0 / Alphabet];
                for (var j = 0; j < outs.Length; j++) onHit(ref state, i, outs[j]);
            }
            if ((v1 & 1) != 0 && s1 + i >= b1) Keep(hits[0], s1 + i, _outputs[r1 / Alphabet]);
            if ((v2 & 1) != 0 && s2 + i >= b2) Keep(hits[1], s2 + i, _outputs[r2 / Alphabet]);
            if ((v3 & 1) != 0 && s3 + i >= b3) Keep(hits[2], s3 + i, _outputs[r3 / Alphabet]);
        }
        // The quarters differ in length by a few characters: each finishes from where its chain stopped (past the
        // overlap, so whatever it finds there is its own), in order.
        ScanRange(text, steps, b1, ref state, onHit, r0);
        Replay(hits[0], ref state, onHit);
        ScanRange(text, s1 + steps, b2, ref state, onHit, r1);
        Replay(hits[1], ref state, onHit);
        ScanRange(text, s2 + steps, b3, ref state, onHit, r2);
        Replay(hits[2], ref state, onHit);
        ScanRange(text, s3 + steps, n, ref state, onHit, r3);
    }

    private const int Ways = 4;

    /// <summary>Shorter texts are walked in one chain: the split's overlap and bookkeeping outweigh the gain.</summary>
    private const int MinSplitLength = 1024;

    [ThreadStatic] private static List<long>[]? t_hits;

    private static void Keep(List<long> hits, int end, int[] keywords)
    {
        foreach (var k in keywords) hits.Add(((long)end << 32) | (uint)k);
    }

    private static void Replay<TState>(List<long> hits, ref TState state, HitHandler<TState> onHit)
    {
        foreach (var hit in hits) onHit(ref state, (int)(hit >> 32), (int)hit);
        hits.Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScanRange<TState>(ReadOnlySpan<char> text, int from, int to, ref TState state, HitHandler<TState> onHit,
        int row = 0)
    {
        // One table lookup per character, without bounds checks: every entry of _next is a valid row offset
        // (plus the output flag) and every symbol is below Alphabet, so each index stays inside the table.
        ref var next = ref MemoryMarshal.GetArrayDataReference(_next);
        ref var fold = ref MemoryMarshal.GetArrayDataReference(Fold);
        for (var i = from; i < to; i++)
        {
            var c = text[i];
            var v = Unsafe.Add(ref next, row + (c < Alphabet ? Unsafe.Add(ref fold, c) : 0));
            row = v & ~1;
            if ((v & 1) == 0) continue;
            var outs = _outputs[row / Alphabet];
            for (var j = 0; j < outs.Length; j++) onHit(ref state, i, outs[j]);
        }
    }

    /// <summary>The ids of keywords that occur in <paramref name="text"/>.</summary>
    public HashSet<int> Find(ReadOnlySpan<char> text)
    {
        var found = new HashSet<int>();
        Scan(text, ref found, static (ref HashSet<int> f, int _, int id) => f.Add(id));
        return found;
    }

    public delegate void HitHandler<TState>(ref TState state, int endIndex, int keywordId);
}
