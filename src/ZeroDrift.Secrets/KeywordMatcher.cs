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

    public KeywordMatcher(IReadOnlyList<string> keywords)
    {
        KeywordCount = keywords.Count;
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

    /// <summary>Calls <paramref name="onHit"/> with (index of the keyword's last character, keyword id) for every occurrence.</summary>
    public void Scan<TState>(ReadOnlySpan<char> text, ref TState state, HitHandler<TState> onHit)
    {
        // One table lookup per character, without bounds checks: every entry of _next is a valid row offset
        // (plus the output flag) and every symbol is below Alphabet, so each index stays inside the table.
        ref var next = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_next);
        ref var fold = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(Fold);
        var row = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var symbol = c < Alphabet ? System.Runtime.CompilerServices.Unsafe.Add(ref fold, c) : 0;
            var v = System.Runtime.CompilerServices.Unsafe.Add(ref next, row + symbol);
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
