using System.Text;

namespace ZeroDrift.Remediation.Dependencies;

/// <summary>
/// A unified diff (as <c>diff -u</c> and <c>git apply</c> read it) of one file, with three lines of context.
/// Edits are local, so the common head and tail are trimmed first and the longest common subsequence runs on
/// what is left; a middle too large for that becomes one replaced block (still a correct diff).
/// </summary>
public static class UnifiedDiff
{
    private const int Context = 3;
    private const long MaxCells = 4_000_000;

    public static string Of(string path, string before, string after)
    {
        if (before == after) return "";
        var a = Lines(before);
        var b = Lines(after);
        var ops = Operations(a, b);
        var sb = new StringBuilder();
        sb.Append("--- a/").Append(path).Append('\n').Append("+++ b/").Append(path).Append('\n');
        var i = 0;
        while (i < ops.Count)
        {
            if (ops[i].Kind == ' ') { i++; continue; }
            var start = Math.Max(0, i - Context);
            var end = i;
            // Extend the hunk while the next change is within 2×context lines.
            while (true)
            {
                while (end < ops.Count && ops[end].Kind != ' ') end++;
                var next = end;
                while (next < ops.Count && ops[next].Kind == ' ') next++;
                if (next < ops.Count && next - end <= 2 * Context) { end = next; continue; }
                end = Math.Min(ops.Count, end + Context);
                break;
            }
            var hunk = ops.GetRange(start, end - start);
            var aStart = ops.Take(start).Count(o => o.Kind != '+');
            var bStart = ops.Take(start).Count(o => o.Kind != '-');
            var aCount = hunk.Count(o => o.Kind != '+');
            var bCount = hunk.Count(o => o.Kind != '-');
            sb.Append("@@ -").Append(Range(aStart, aCount)).Append(" +").Append(Range(bStart, bCount)).Append(" @@\n");
            foreach (var (kind, line) in hunk)
            {
                sb.Append(kind).Append(line.TrimEnd('\n')).Append('\n');
                if (!line.EndsWith('\n')) sb.Append("\\ No newline at end of file\n");
            }
            i = end;
        }
        return sb.ToString();
    }

    private static string Range(int start, int count) => count == 0 ? $"{start},0" : count == 1 ? $"{start + 1}" : $"{start + 1},{count}";

    private static List<string> Lines(string text)
    {
        var lines = new List<string>();
        var at = 0;
        while (at < text.Length)
        {
            var nl = text.IndexOf('\n', at);
            var end = nl < 0 ? text.Length : nl + 1;
            lines.Add(text[at..end]);
            at = end;
        }
        return lines;
    }

    private static List<(char Kind, string Line)> Operations(List<string> a, List<string> b)
    {
        var head = 0;
        while (head < a.Count && head < b.Count && a[head] == b[head]) head++;
        var tail = 0;
        while (tail < a.Count - head && tail < b.Count - head && a[^(tail + 1)] == b[^(tail + 1)]) tail++;
        var ops = new List<(char, string)>();
        ops.AddRange(a.Take(head).Select(l => (' ', l)));
        var midA = a.GetRange(head, a.Count - head - tail);
        var midB = b.GetRange(head, b.Count - head - tail);
        if ((long)midA.Count * midB.Count > MaxCells)
        {
            ops.AddRange(midA.Select(l => ('-', l)));
            ops.AddRange(midB.Select(l => ('+', l)));
        }
        else ops.AddRange(Lcs(midA, midB));
        ops.AddRange(a.Skip(a.Count - tail).Select(l => (' ', l)));
        return ops;
    }

    private static List<(char, string)> Lcs(List<string> a, List<string> b)
    {
        var n = a.Count;
        var m = b.Count;
        var table = new int[n + 1, m + 1];
        for (var i = n - 1; i >= 0; i--)
            for (var j = m - 1; j >= 0; j--)
                table[i, j] = a[i] == b[j] ? table[i + 1, j + 1] + 1 : Math.Max(table[i + 1, j], table[i, j + 1]);
        var ops = new List<(char, string)>();
        int x = 0, y = 0;
        while (x < n && y < m)
        {
            if (a[x] == b[y]) { ops.Add((' ', a[x])); x++; y++; }
            else if (table[x + 1, y] >= table[x, y + 1]) ops.Add(('-', a[x++]));
            else ops.Add(('+', b[y++]));
        }
        while (x < n) ops.Add(('-', a[x++]));
        while (y < m) ops.Add(('+', b[y++]));
        return ops;
    }
}
