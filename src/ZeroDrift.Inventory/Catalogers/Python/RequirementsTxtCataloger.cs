using System.Text;
using System.Text.RegularExpressions;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Parsing.Streams;
using ZeroDrift.Parsing.Text;

namespace ZeroDrift.Inventory.Catalogers.Python;

/// <summary>
/// pip requirements files (<c>requirements.txt</c>, <c>requirements-dev.txt</c>, <c>requirements/*.txt</c>…). Only exact
/// pins (<c>name==1.2.3</c>, <c>name[extra]===1.2.3 ; marker --hash=…</c>) name a version; ranges, URLs and editable
/// installs name none and are skipped. <c>-r other.txt</c> includes are followed relative to the file, a few levels deep.
/// </summary>
public sealed partial class RequirementsTxtCataloger : ICataloger
{
    private const int MaxIncludeDepth = 8;

    /// <summary>pip reads any length; a real requirement, even with dozens of --hash options, is a few kilobytes.</summary>
    private const int MaxLineChars = 1 << 20;

    public string Name => "python-requirements";

    public bool FileRequired(FileEntry entry) => IsRequirementsFile(entry.Path);

    // Included files are named freely ("-r base.txt", "-r requirements/prod.in"). An image keeps only the files some
    // cataloger asks for, so the usual names are kept; an include outside them is reported as not found in an image.
    public bool AuxiliaryFileRequired(FileEntry entry)
    {
        if (entry.Size > 1 << 20 || !(entry.Name.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) || entry.Name.EndsWith(".in", StringComparison.OrdinalIgnoreCase)))
            return false;
        var directory = VirtualPath.FileName(VirtualPath.Parent(entry.Path));
        return directory.Contains("requirements", StringComparison.OrdinalIgnoreCase)
            || entry.Name.Contains("requirements", StringComparison.OrdinalIgnoreCase)
            || entry.Name.Contains("constraints", StringComparison.OrdinalIgnoreCase)
            || CommonIncludeNames.Contains(Path.GetFileNameWithoutExtension(entry.Name));
    }

    private static readonly HashSet<string> CommonIncludeNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "base", "common", "core", "dev", "develop", "development", "prod", "production", "test", "tests", "testing", "docs", "lint", "ci", "local",
    };

    private static bool IsRequirementsFile(string path)
    {
        var name = VirtualPath.FileName(path);
        return (name.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) && name.Contains("requirements", StringComparison.OrdinalIgnoreCase))
            || (name.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) && VirtualPath.FileName(VirtualPath.Parent(path)) == "requirements");
    }

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        var packages = new List<Package>();
        var visited = new HashSet<string>(StringComparer.Ordinal) { entry.Path };
        Read(context, entry, entry, null, 0, visited, packages);
        return packages;
    }

    /// <summary>Reads one requirements file as a stream of lines: memory follows the longest line kept, not the file.</summary>
    private void Read(CatalogContext context, FileEntry root, FileEntry file, Location? includedFrom,
        int depth, HashSet<string> visited, List<Package> packages)
    {
        var meter = context.Budget.Start(file.Path, "lines");
        using var stream = context.Open(file);
        using var text = new StreamReader(new MeteredStream(stream, meter), Encoding.UTF8);
        var lines = new LimitedLineReader(text, MaxLineChars, meter);
        foreach (var line in LogicalLines(lines, number => context.Warn(
            $"{file.Path}: line {number} is longer than {MaxLineChars} characters (no requirement is); skipped")))
        {
            if (line.StartsWith('-'))
            {
                if (IncludeOption().Match(line) is { Success: true } include)
                    Include(context, root, file.Location, include.Groups["file"].Value, depth, visited, packages);
                continue;
            }
            if (ParsePin(line) is not { } pin) continue;
            var purl = PythonNames.Purl(pin.Name, pin.Version);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (pin.Extras is { Length: > 0 }) metadata["extras"] = pin.Extras;
            if (pin.Markers is { Length: > 0 }) metadata["markers"] = pin.Markers;
            if (pin.Hashes.Count > 0) metadata["hashes"] = string.Join(' ', pin.Hashes);
            packages.Add(new Package
            {
                Name = pin.Name,
                Version = pin.Version,
                Ecosystem = Ecosystem.PyPI,
                Purl = purl,
                FoundBy = Name,
                // An included file's packages are located at the requirements file that included them first, so two
                // files including the same base.txt give distinct packages.
                Locations = includedFrom is null ? [file.Location] : [includedFrom, file.Location],
                Metadata = metadata,
            });
        }
    }

    private void Include(CatalogContext context, FileEntry root, Location location, string file, int depth,
        HashSet<string> visited, List<Package> packages)
    {
        if (file.Contains("://", StringComparison.Ordinal)) return;
        var path = VirtualPath.Combine(VirtualPath.Parent(location.Path), file);
        if (!visited.Add(path)) return;
        if (depth + 1 > MaxIncludeDepth)
        {
            context.Warn($"{root.Path}: requirements includes nested deeper than {MaxIncludeDepth}; {path} not read");
            return;
        }
        var target = context.FileSystem.Resolve(path, context.Limits.MaxSymlinkHops);
        if (target is not { Kind: FileKind.Regular or FileKind.Hardlink })
        {
            context.Warn($"{root.Path}: included requirements file {path} not found");
            return;
        }
        // A file the cataloger reads on its own is reported on its own.
        if (IsRequirementsFile(target.Path)) return;
        try
        {
            Read(context, root, target, root.Location, depth + 1, visited, packages);
        }
        catch (Exception e) when (e is Artifacts.ArtifactException or IOException or InvalidOperationException)
        {
            context.Warn($"{root.Path}: included requirements file {path}: {e.Message}");
        }
    }

    /// <summary>Lines joined across trailing backslashes, with comments and blank lines removed. A line (or a logical
    /// line made of continued ones) longer than the reader's limit is reported by its first line number and skipped.</summary>
    internal static IEnumerable<string> LogicalLines(LimitedLineReader lines, Action<int> tooLong)
    {
        var current = new StringBuilder();
        var skipping = false;
        var first = 0;
        while (lines.TryRead(out var raw))
        {
            if (current.Length == 0) first = lines.LineNumber;
            if (raw is null)
            {
                // Too long to hold: dropped with the lines it continues (whether it continues into the next one cannot be
                // known without holding it: the next line is read on its own).
                if (!skipping) tooLong(first);
                skipping = false;
                current.Clear();
                continue;
            }
            // As pip does, a comment line never continues onto the next one.
            var continued = raw.EndsWith('\\') && !raw.TrimStart().StartsWith('#');
            if (skipping)
            {
                skipping = continued;
                continue;
            }
            if (current.Length + raw.Length > lines.MaxLineChars)
            {
                tooLong(first);
                current.Clear();
                skipping = continued;
                continue;
            }
            current.Append(continued ? raw.AsSpan(0, raw.Length - 1) : raw).Append(' ');
            if (continued) continue;
            var logical = StripComment(current.ToString()).Trim();
            current.Clear();
            if (logical.Length > 0) yield return logical;
        }
        var rest = StripComment(current.ToString()).Trim();
        if (rest.Length > 0) yield return rest;
    }

    /// <summary>A comment starts at "#" at the start of a line or after whitespace (a URL fragment "#egg=" is not one).</summary>
    private static string StripComment(string line)
    {
        for (var i = 0; i < line.Length; i++)
            if (line[i] == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1]))) return line[..i];
        return line;
    }

    internal sealed record Pin(string Name, string Version, string? Extras, string? Markers, IReadOnlyList<string> Hashes);

    /// <summary>"name[extras] == 1.2.3 ; markers --hash=sha256:…" → a pin; null for anything that is not one exact version.</summary>
    internal static Pin? ParsePin(string line)
    {
        var (requirement, options) = SplitOptions(line);
        var hashes = new List<string>();
        foreach (Match h in HashOption().Matches(options)) hashes.Add(h.Groups["hash"].Value);
        string? markers = null;
        var semicolon = requirement.IndexOf(';', StringComparison.Ordinal);
        if (semicolon >= 0)
        {
            markers = requirement[(semicolon + 1)..].Trim();
            requirement = requirement[..semicolon];
        }
        var m = PinPattern().Match(requirement.Trim());
        if (!m.Success) return null;
        var version = m.Groups["version"].Value;
        if (version.Contains('*', StringComparison.Ordinal)) return null;
        var extras = m.Groups["extras"].Success ? m.Groups["extras"].Value.Replace(" ", "", StringComparison.Ordinal) : null;
        return new Pin(m.Groups["name"].Value, version, extras, markers, hashes);
    }

    /// <summary>
    /// As pip splits a line: the requirement is every word before the first one starting with "-"; the rest are its
    /// options (--hash, --config-settings or -C, --global-option), and words among them that are no option are ignored.
    /// A "-" inside a word ("foo--hash==1.0") starts nothing.
    /// </summary>
    private static (string Requirement, string Options) SplitOptions(string line)
    {
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '-' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
                return (line[..i], line[i..]);
        }
        return (line, "");
    }

    [GeneratedRegex(@"^(?:-r|--requirement)(?:\s+|=)(?<file>\S+)$")]
    private static partial Regex IncludeOption();

    [GeneratedRegex(@"(?<!\S)--hash(?:\s+|=)(?<hash>[^\s-]\S*)")]
    private static partial Regex HashOption();

    [GeneratedRegex(@"^(?<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[(?<extras>[^\]]*)\])?\s*===?\s*(?<version>[A-Za-z0-9][A-Za-z0-9.!+_*-]*)$")]
    private static partial Regex PinPattern();
}
