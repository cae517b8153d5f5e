using System.Collections.Frozen;

namespace ZeroDrift.Vulnerabilities.Severities;

/// <summary>One metric of a CVSS version: its abbreviated name, whether the vector must carry it, its values.</summary>
internal sealed record MetricDefinition(string Name, bool Mandatory, string[] Values);

/// <summary>
/// The metrics of one CVSS version in the specification's order, and the strict parser of the
/// <c>NAME:VALUE/NAME:VALUE…</c> part of a vector string that every version shares.
/// </summary>
internal sealed class MetricTable
{
    private readonly MetricDefinition[] _metrics;
    private readonly FrozenDictionary<string, int> _index;

    public MetricTable(params MetricDefinition[] metrics)
    {
        _metrics = metrics;
        _index = metrics.Select((m, i) => KeyValuePair.Create(m.Name, i)).ToFrozenDictionary(StringComparer.Ordinal);
    }

    public IReadOnlyList<MetricDefinition> Metrics => _metrics;

    public int IndexOf(string name) => _index[name];

    public bool TryIndexOf(string name, out int index) => _index.TryGetValue(name, out index);

    /// <summary>
    /// Parses the metrics after the version prefix. Names and values are case-sensitive as the specifications
    /// write them (v2's <c>Au</c>, v4's <c>U:Clear</c>). Each metric may appear once; every mandatory metric
    /// must appear; with <paramref name="canonicalOrder"/> the metrics must also follow the table's order.
    /// Returns the values aligned with <see cref="Metrics"/> (null where absent), or an error.
    /// </summary>
    public string?[]? Parse(string body, bool canonicalOrder, out string? error)
    {
        var values = new string?[_metrics.Length];
        var previous = -1;
        var start = 0;
        while (start <= body.Length)
        {
            var end = body.IndexOf('/', start);
            if (end < 0) end = body.Length;
            var part = body.AsSpan(start, end - start);
            if (part.IsEmpty)
            {
                error = start == body.Length ? "the vector ends with '/' or has no metrics" : $"empty metric at position {start}";
                return null;
            }
            var colon = part.IndexOf(':');
            if (colon <= 0 || colon == part.Length - 1 || part[(colon + 1)..].Contains(':'))
            {
                error = $"'{part}' is not a NAME:VALUE metric";
                return null;
            }
            var name = part[..colon];
            var value = part[(colon + 1)..];
            if (!_index.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name, out var i))
            {
                error = $"unknown metric '{name}'";
                return null;
            }
            var metric = _metrics[i];
            if (values[i] is not null)
            {
                error = $"metric {metric.Name} appears more than once";
                return null;
            }
            if (canonicalOrder && i < previous)
            {
                error = $"metric {metric.Name} is out of order: the specification lists it before {_metrics[previous].Name}";
                return null;
            }
            previous = i;
            var known = -1;
            for (var v = 0; v < metric.Values.Length && known < 0; v++)
                if (value.SequenceEqual(metric.Values[v])) known = v;
            if (known < 0)
            {
                error = $"invalid value '{value}' for {metric.Name} (expected one of {string.Join(", ", metric.Values)})";
                return null;
            }
            values[i] = metric.Values[known];
            start = end + 1;
            if (end == body.Length) break;
        }
        var missing = _metrics.Where((m, i) => m.Mandatory && values[i] is null).Select(m => m.Name).ToList();
        if (missing.Count > 0)
        {
            error = $"missing base metric{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)}";
            return null;
        }
        error = null;
        return values;
    }
}
