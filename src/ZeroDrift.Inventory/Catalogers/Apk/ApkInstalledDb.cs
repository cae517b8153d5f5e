namespace ZeroDrift.Inventory.Catalogers.Apk;

/// <summary>One package record of apk's installed database, the fields ZeroDrift uses.</summary>
internal sealed record ApkRecord
{
    public required string Name { get; init; }
    public required string Version { get; init; }
    public string? Arch { get; init; }
    public string? License { get; init; }
    public string? Origin { get; init; }
    public string? Maintainer { get; init; }
    public string? BuildTime { get; init; }
    public string? Commit { get; init; }
    public string? Url { get; init; }
    public string? Description { get; init; }
    public string? Size { get; init; }
    public string? InstalledSize { get; init; }
    public IReadOnlyList<string> Depends { get; init; } = [];
    public IReadOnlyList<string> Provides { get; init; } = [];
    public IReadOnlyList<string> Files { get; init; } = [];
}

/// <summary>
/// Parses <c>/lib/apk/db/installed</c>: records separated by blank lines, each line <c>X:value</c> with a one-letter
/// key (apk's <c>apk_db_index_read</c>). Files are listed as an <c>F:</c> directory line followed by its <c>R:</c> file
/// lines. Malformed lines and records without a name or version are reported and skipped, as apk itself skips them.
/// </summary>
internal static class ApkInstalledDb
{
    public static List<ApkRecord> Parse(TextReader reader, Action<string> warn, string path)
    {
        var records = new List<ApkRecord>();
        var builder = new Builder();
        var lineNumber = 0;
        var malformed = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                builder.Flush(records, warn, path, lineNumber);
                continue;
            }
            if (line.Length < 2 || line[1] != ':')
            {
                if (malformed++ == 0) warn($"{path}: line {lineNumber}: not a 'X:value' line, skipped");
                continue;
            }
            builder.Add(line[0], line[2..]);
        }
        builder.Flush(records, warn, path, lineNumber + 1);
        if (malformed > 1) warn($"{path}: {malformed} malformed lines skipped in all");
        return records;
    }

    private sealed class Builder
    {
        private readonly Dictionary<char, string> _fields = [];
        private readonly List<string> _depends = [];
        private readonly List<string> _provides = [];
        private readonly List<string> _files = [];
        private string? _directory;
        private bool _any;

        public void Add(char key, string value)
        {
            _any = true;
            switch (key)
            {
                case 'D': _depends.AddRange(value.Split(' ', StringSplitOptions.RemoveEmptyEntries)); break;
                case 'p': _provides.AddRange(value.Split(' ', StringSplitOptions.RemoveEmptyEntries)); break;
                case 'F': _directory = value.Trim('/'); break;
                case 'R':
                    // A file before any F: line lives at the root.
                    _files.Add(string.IsNullOrEmpty(_directory) ? "/" + value : "/" + _directory + "/" + value);
                    break;
                default: _fields.TryAdd(key, value); break;
            }
        }

        public void Flush(List<ApkRecord> records, Action<string> warn, string path, int lineNumber)
        {
            if (!_any) return;
            var name = _fields.GetValueOrDefault('P');
            var version = _fields.GetValueOrDefault('V');
            if (string.IsNullOrWhiteSpace(name) || string.IsNullOrWhiteSpace(version))
            {
                warn($"{path}: record ending before line {lineNumber} has no package name (P:) or version (V:), skipped");
            }
            else
            {
                records.Add(new ApkRecord
                {
                    Name = name,
                    Version = version,
                    Arch = _fields.GetValueOrDefault('A'),
                    License = _fields.GetValueOrDefault('L'),
                    Origin = _fields.GetValueOrDefault('o'),
                    Maintainer = _fields.GetValueOrDefault('m'),
                    BuildTime = _fields.GetValueOrDefault('t'),
                    Commit = _fields.GetValueOrDefault('c'),
                    Url = _fields.GetValueOrDefault('U'),
                    Description = _fields.GetValueOrDefault('T'),
                    Size = _fields.GetValueOrDefault('S'),
                    InstalledSize = _fields.GetValueOrDefault('I'),
                    Depends = [.. _depends],
                    Provides = [.. _provides],
                    Files = [.. _files],
                });
            }
            _fields.Clear();
            _depends.Clear();
            _provides.Clear();
            _files.Clear();
            _directory = null;
            _any = false;
        }
    }

    /// <summary>
    /// The name a dependency or provide refers to: "so:libc.musl-x86_64.so.1=1" → "so:libc.musl-x86_64.so.1",
    /// "musl>=1.2" → "musl", "cmd:getconf=1.2.5-r0" → "cmd:getconf". Conflicts ("!name") give null.
    /// </summary>
    public static string? RelationName(string relation)
    {
        if (relation.StartsWith('!')) return null;
        var end = relation.IndexOfAny(['=', '<', '>', '~']);
        var name = end < 0 ? relation : relation[..end];
        return name.Length == 0 ? null : name;
    }
}
