namespace ZeroDrift.Secrets;

/// <summary>Shannon entropy in bits per character, as gitleaks computes it for its entropy thresholds.</summary>
public static class ShannonEntropy
{
    public static double Of(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return 0;
        var counts = new Dictionary<char, int>();
        foreach (var c in text) counts[c] = counts.GetValueOrDefault(c) + 1;
        double entropy = 0, length = text.Length;
        foreach (var n in counts.Values)
        {
            var p = n / length;
            entropy -= p * Math.Log2(p);
        }
        return entropy;
    }
}
