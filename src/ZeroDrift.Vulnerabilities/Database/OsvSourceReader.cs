using System.IO.Compression;
using ZeroDrift.Core.IO;

namespace ZeroDrift.Vulnerabilities.Database;

/// <summary>One OSV record's bytes and where it came from.</summary>
public sealed record OsvDocument(string Source, string Name, byte[] Json);

/// <summary>
/// Streams OSV records from what users have: the public export's <c>all.zip</c> files, folders of them
/// (<c>&lt;Ecosystem&gt;/all.zip</c>), folders of JSON records, or single records. One record in memory at a time.
/// </summary>
public static class OsvSourceReader
{
    private const long MaxRecordBytes = 16 << 20;
    private const long MaxZipEntries = 5_000_000;

    public static IEnumerable<OsvDocument> Read(string path, Action<string> warn)
    {
        if (Directory.Exists(path))
        {
            foreach (var file in Directory.EnumerateFiles(path, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }).Order(StringComparer.Ordinal))
            {
                if (file.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
                    foreach (var d in ReadZip(file, SourceName(file), warn)) yield return d;
                else if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && ReadFile(file, warn) is { } doc)
                    yield return doc;
            }
            yield break;
        }
        if (!File.Exists(path)) throw new VulnerabilityDatabaseException($"{path}: no such file or directory");
        if (path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var d in ReadZip(path, SourceName(path), warn)) yield return d;
        }
        else if (ReadFile(path, warn) is { } doc)
        {
            yield return doc;
        }
    }

    /// <summary>The export names sources by folder: <c>PyPI/all.zip</c> is "PyPI".</summary>
    public static string SourceName(string zipPath)
    {
        var name = Path.GetFileNameWithoutExtension(zipPath);
        return name == "all" ? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(zipPath))) ?? name : name;
    }

    private static OsvDocument? ReadFile(string file, Action<string> warn)
    {
        byte[] bytes;
        try
        {
            bytes = BoundedFile.ReadAllBytes(file, MaxRecordBytes, "OSV record");
        }
        catch (InputFileException e)
        {
            warn($"{e.Message}; skipped");
            return null;
        }
        return new OsvDocument(Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(file))) ?? "local", file, bytes);
    }

    private static IEnumerable<OsvDocument> ReadZip(string path, string source, Action<string> warn)
    {
        using var zip = Zip(path, () => ZipFile.OpenRead(path), "not a readable zip archive");
        // The central directory is read here, not when the archive opens: an end record that lies about it fails now.
        var entries = Zip(path, () => zip.Entries.ToList(), "corrupt zip directory");
        if (entries.Count > MaxZipEntries) throw new VulnerabilityDatabaseException($"{path}: more than {MaxZipEntries} entries");
        foreach (var entry in entries)
        {
            if (!entry.FullName.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) continue;
            if (entry.Length > MaxRecordBytes)
            {
                warn($"{path}!{entry.FullName}: {entry.Length} bytes, larger than an OSV record may be; skipped");
                continue;
            }
            var bytes = Zip($"{path}!{entry.FullName}", () =>
            {
                using var stream = entry.Open();
                var content = new byte[entry.Length];
                stream.ReadExactly(content);
                return content;
            }, "corrupt zip entry");
            yield return new OsvDocument(source, $"{Path.GetFileName(path)}!{entry.FullName}", bytes);
        }
    }

    /// <summary>Runs one step of reading a zip; whatever the framework throws on a bad archive becomes one line naming it.</summary>
    private static T Zip<T>(string what, Func<T> read, string problem)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or EndOfStreamException or ArgumentException or IOException and not FileNotFoundException)
        {
            throw new VulnerabilityDatabaseException($"{what}: {problem} ({e.Message.Split('\n')[0]})");
        }
    }
}
