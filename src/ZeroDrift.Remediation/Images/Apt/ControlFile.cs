using System.Text;

namespace ZeroDrift.Remediation.Images.Apt;

/// <summary>One deb822 paragraph: fields in their order, continuation lines kept as written.</summary>
public sealed class ControlParagraph
{
    private readonly List<KeyValuePair<string, string>> _fields = [];

    public IReadOnlyList<KeyValuePair<string, string>> Fields => _fields;

    public string? this[string name] =>
        _fields.FirstOrDefault(f => string.Equals(f.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public void Set(string name, string value)
    {
        var i = _fields.FindIndex(f => string.Equals(f.Key, name, StringComparison.OrdinalIgnoreCase));
        if (i >= 0) _fields[i] = KeyValuePair.Create(_fields[i].Key, value);
        else _fields.Add(KeyValuePair.Create(name, value));
    }

    public void Insert(int index, string name, string value)
    {
        Remove(name);
        _fields.Insert(Math.Min(index, _fields.Count), KeyValuePair.Create(name, value));
    }

    public void Remove(string name) => _fields.RemoveAll(f => string.Equals(f.Key, name, StringComparison.OrdinalIgnoreCase));

    internal void Add(string name, string value) => _fields.Add(KeyValuePair.Create(name, value));

    /// <summary>The paragraph as dpkg writes it: <c>Name: value</c>, continuation lines as they were, a final newline.</summary>
    public string Format()
    {
        var sb = new StringBuilder();
        foreach (var (name, value) in _fields)
        {
            sb.Append(name).Append(':');
            if (value.Length > 0 && value[0] != '\n') sb.Append(' ');
            sb.Append(value).Append('\n');
        }
        return sb.ToString();
    }
}

/// <summary>
/// Reads deb822 control data (dpkg status, Packages indices, Release files, a .deb's control): paragraphs separated
/// by blank lines, <c>Name: value</c> fields with continuation lines. Bounded: hostile input gets an error naming it.
/// </summary>
public static class ControlFile
{
    public static IEnumerable<ControlParagraph> Parse(TextReader reader, string what, long maxParagraphs = 1_000_000)
    {
        ControlParagraph? current = null;
        string? name = null;
        StringBuilder? value = null;
        long count = 0;
        string? line;
        var lineNumber = 0;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Length > 1 << 20) throw new RemediationException($"{what}: line {lineNumber} is longer than 1 MiB");
            if (line.Length == 0 || line.Trim().Length == 0)
            {
                if (current is not null)
                {
                    Flush();
                    yield return current;
                    current = null;
                }
                continue;
            }
            if (line[0] == '#') continue;
            if (line[0] is ' ' or '\t')
            {
                if (value is null) throw new RemediationException($"{what}: line {lineNumber}: a continuation line with no field");
                value.Append('\n').Append(line);
                if (value.Length > 64 << 20) throw new RemediationException($"{what}: field {name} is longer than 64 MiB");
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) throw new RemediationException($"{what}: line {lineNumber} is not 'Field: value'");
            if (current is null)
            {
                if (++count > maxParagraphs) throw new RemediationException($"{what}: more than {maxParagraphs} paragraphs");
                current = new ControlParagraph();
            }
            else Flush();
            name = line[..colon];
            value = new StringBuilder(line[(colon + 1)..].TrimStart(' ', '\t'));
        }
        if (current is not null)
        {
            Flush();
            yield return current;
        }

        void Flush()
        {
            if (name is not null && value is not null) current!.Add(name, value.ToString());
            name = null;
            value = null;
        }
    }

    public static List<ControlParagraph> Parse(string text, string what) => Parse(new StringReader(text), what).ToList();

    /// <summary>A multi-line field's lines after the first (a Release file's SHA256, a status Conffiles), trimmed.</summary>
    public static IEnumerable<string> Lines(string? value) =>
        (value ?? "").Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0);
}
