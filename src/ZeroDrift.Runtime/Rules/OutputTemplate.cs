using System.Text;

namespace ZeroDrift.Runtime.Rules;

/// <summary>
/// A rule's output with its <c>%field</c> references (<c>%proc.name</c>, <c>%proc.aname[2]</c>, <c>%evt.arg.flags</c>)
/// bound once. Formatting runs only when a rule matched; a field the event lacks prints as Falco's <c>&lt;NA&gt;</c>
/// and is <c>null</c> in <c>output_fields</c>.
/// </summary>
public sealed class OutputTemplate<TEvent>
{
    private readonly object[] _parts; // a literal string or a FieldPart
    public IReadOnlyList<string> FieldNames { get; }
    /// <summary>Fields the output names that the binding does not provide; they always print as &lt;NA&gt;.</summary>
    public IReadOnlyList<string> MissingFields { get; }

    private OutputTemplate(object[] parts, IReadOnlyList<string> names, IReadOnlyList<string> missing)
    {
        _parts = parts;
        FieldNames = names;
        MissingFields = missing;
    }

    /// <summary>A field as written in the template (the key in output_fields) and its accessor, if bound.</summary>
    private sealed record FieldPart(string Written, BoundField<TEvent>? Field);

    internal static OutputTemplate<TEvent> Compile(string output, FieldTable<TEvent> table)
    {
        var parts = new List<object>();
        var names = new List<string>();
        var missing = new List<string>();
        var literal = new StringBuilder();
        var i = 0;
        while (i < output.Length)
        {
            var c = output[i];
            if (c == '%' && i + 1 < output.Length && char.IsAsciiLetter(output[i + 1]))
            {
                var start = i + 1;
                var end = start;
                while (end < output.Length && (char.IsAsciiLetterOrDigit(output[end]) || output[end] is '_' or '.')) end++;
                while (end > start && output[end - 1] == '.') end--; // a sentence-ending dot is not part of the name
                if (end < output.Length && output[end] == '[')
                {
                    var close = output.IndexOf(']', end);
                    if (close > 0) end = close + 1;
                }
                var text = output[start..end];
                if (!text.Contains('.'))
                {
                    literal.Append(c);
                    i++;
                    continue;
                }
                if (literal.Length > 0) { parts.Add(literal.ToString()); literal.Clear(); }
                FieldRef? field = null;
                try { field = ConditionParser.ParseField(text); } catch (ConditionSyntaxException) { }
                var bound = field is null ? null : table.Bind(field, out _);
                if (bound is null && !missing.Contains(text)) missing.Add(text);
                if (!names.Contains(text)) names.Add(text);
                parts.Add(new FieldPart(text, bound));
                i = end;
                continue;
            }
            literal.Append(c);
            i++;
        }
        if (literal.Length > 0) parts.Add(literal.ToString());
        return new OutputTemplate<TEvent>([.. parts], names, missing);
    }

    /// <summary>The formatted message and the values of every field it names (keyed as written).</summary>
    public (string Message, Dictionary<string, object?> Fields) Format(TEvent e)
    {
        var text = new StringBuilder();
        var fields = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var part in _parts)
        {
            if (part is string s)
            {
                text.Append(s);
                continue;
            }
            var f = (FieldPart)part;
            var value = f.Field?.Extract(e);
            text.Append(value switch
            {
                null => "<NA>",
                bool b => b ? "true" : "false",
                long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => value.ToString(),
            });
            fields[f.Written] = value;
        }
        return (text.ToString(), fields);
    }
}
