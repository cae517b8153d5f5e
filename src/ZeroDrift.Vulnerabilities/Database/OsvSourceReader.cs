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
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new VulnerabilityDatabaseException($"{path}: not a readable zip archive ({e.Message})");
        }
        using (zip)
        {
            if (zip.Entries.Count > MaxZipEntries) throw new VulnerabilityDatabaseException($"{path}: more than {MaxZipEntries} entries");
            foreach (var entry in zip.Entries)
            {
                if (!entry.FullName.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) continue;
                if (entry.Length > MaxRecordBytes)
                {
                    warn($"{path}!{entry.FullName}: {entry.Length} bytes, larger than an OSV record may be; skipped");
                    continue;
                }
                byte[] bytes;
                try
                {
                    using var stream = entry.Open();
                    bytes = new byte[entry.Length];
                    stream.ReadExactly(bytes);
                }
                catch (InvalidDataException e)
                {
                    throw new VulnerabilityDatabaseException($"{path}!{entry.FullName}: corrupt zip entry ({e.Message})");
                }
                yield return new OsvDocument(source, $"{Path.GetFileName(path)}!{entry.FullName}", bytes);
            }
        }
    }
}
