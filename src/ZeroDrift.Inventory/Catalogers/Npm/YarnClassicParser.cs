namespace ZeroDrift.Inventory.Catalogers.Npm;

/// <summary>
/// Yarn classic's lockfile syntax: unindented headers listing specs ("a@^1", "a@^1.1":), two-space indented
/// "key value" fields, and four-space indented "name range" lines under "dependencies:" and "optionalDependencies:".
/// </summary>
internal static class YarnClassicParser
{
    public sealed record Entry(IReadOnlyList<string> Specs, Dictionary<string, string> Fields, List<KeyValuePair<string, string>> Dependencies);

    /// <summary>Berry files are YAML with a "__metadata:" block; classic files never have one.</summary>
    public static bool LooksLikeBerry(string text) =>
        text.Split('\n').Any(line => line.StartsWith("__metadata:", StringComparison.Ordinal));

    public static IEnumerable<Entry> Parse(string text)
    {
        Entry? current = null;
        string? section = null;
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r', ' ', '\t');
            if (line.Length == 0 || line.TrimStart().StartsWith('#')) continue;
            var indent = line.Length - line.TrimStart(' ').Length;
            var content = line.Trim();
            if (indent == 0)
            {
                if (current is not null) yield return current;
                if (!content.EndsWith(':'))
                    throw new FormatException($"yarn.lock line {lineNumber}: expected a \"spec, spec:\" header, found '{Shorten(content)}'");
                var specs = content[..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(Unquote).ToList();
                current = new Entry(specs, new Dictionary<string, string>(StringComparer.Ordinal), []);
                section = null;
                continue;
            }
            if (current is null)
                throw new FormatException($"yarn.lock line {lineNumber}: indented line before any header");
            if (indent <= 2)
            {
                section = null;
                if (content.EndsWith(':'))
                {
                    section = Unquote(content[..^1]);
                    continue;
                }
                var (key, value) = KeyValue(content, lineNumber);
                current.Fields[key] = value;
            }
            else if (section is "dependencies" or "optionalDependencies")
            {
                var (name, range) = KeyValue(content, lineNumber);
                current.Dependencies.Add(KeyValuePair.Create(name, range));
            }
        }
        if (current is not null) yield return current;
    }

    /// <summary>'key value', '"key" "value"' or 'key: value' (classic files written by some tools use a colon).</summary>
    private static (string Key, string Value) KeyValue(string content, int lineNumber)
    {
        string key, rest;
        if (content.StartsWith('"'))
        {
            var close = content.IndexOf('"', 1);
            if (close < 0) throw new FormatException($"yarn.lock line {lineNumber}: unterminated quote");
            key = content[1..close];
            rest = content[(close + 1)..];
        }
        else
        {
            var space = content.IndexOfAny([' ', '\t']);
            if (space < 0) throw new FormatException($"yarn.lock line {lineNumber}: expected 'key value', found '{Shorten(content)}'");
            key = content[..space];
            rest = content[space..];
        }
        return (key.TrimEnd(':'), Unquote(rest.Trim().TrimStart(':').Trim()));
    }

    private static string Unquote(string s) =>
        s.Length >= 2 && s[0] == '"' && s[^1] == '"' ? s[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal) : s;

    private static string Shorten(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
