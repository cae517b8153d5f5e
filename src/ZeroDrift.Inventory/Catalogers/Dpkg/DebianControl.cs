namespace ZeroDrift.Inventory.Catalogers.Dpkg;

/// <summary>Parses deb822 control data (dpkg's status file): stanzas of "Field: value" with indented continuations.</summary>
public static class DebianControl
{
    public static IEnumerable<Dictionary<string, string>> Parse(TextReader reader)
    {
        var stanza = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? field = null;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            if (line.Length == 0 || line.Trim().Length == 0)
            {
                if (stanza.Count > 0) yield return stanza;
                stanza = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                field = null;
                continue;
            }
            if (line[0] is ' ' or '\t')
            {
                if (field is not null) stanza[field] += "\n" + line.Trim();
                continue;
            }
            var colon = line.IndexOf(':');
            if (colon <= 0) throw new FormatException($"malformed control line '{Shorten(line)}'");
            field = line[..colon].Trim();
            stanza[field] = line[(colon + 1)..].Trim();
        }
        if (stanza.Count > 0) yield return stanza;
    }

    private static string Shorten(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
