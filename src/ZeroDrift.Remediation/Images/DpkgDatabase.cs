using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Remediation.Images.Apt;

namespace ZeroDrift.Remediation.Images;

/// <summary>
/// An image's dpkg database as read from its files: <c>/var/lib/dpkg/status</c> and, in distroless images,
/// one paragraph per package in <c>/var/lib/dpkg/status.d/</c>.
/// </summary>
public sealed class DpkgDatabase
{
    public const string StatusPath = "/var/lib/dpkg/status";
    public const string StatusDirectory = "/var/lib/dpkg/status.d";
    public const string InfoDirectory = "/var/lib/dpkg/info";

    /// <summary>The status file's paragraphs in order (empty for a distroless image).</summary>
    public List<ControlParagraph> Status { get; } = [];

    /// <summary>Distroless: package name → the file under status.d that holds it.</summary>
    public Dictionary<string, string> StatusFiles { get; } = new(StringComparer.Ordinal);

    /// <summary>Installed packages by name (and by name:arch), with their paragraph.</summary>
    public Dictionary<string, ControlParagraph> Installed { get; } = new(StringComparer.Ordinal);

    public bool HasStatusFile { get; private set; }

    public static DpkgDatabase Read(IFileSystem fs, long maxBytes)
    {
        var db = new DpkgDatabase();
        if (fs.Lstat(StatusPath) is { IsRegular: true } status)
        {
            db.HasStatusFile = true;
            db.Status.AddRange(ControlFile.Parse(ReadText(fs, status, maxBytes), StatusPath));
            foreach (var p in db.Status)
                if (p["Package"] is { } name && IsInstalled(p)) db.Add(name, p);
        }
        foreach (var entry in fs.List(StatusDirectory).Where(e => e.IsRegular && !e.Name.EndsWith(".md5sums", StringComparison.Ordinal)))
        {
            foreach (var p in ControlFile.Parse(ReadText(fs, entry, maxBytes), entry.Path))
            {
                if (p["Package"] is not { } name || db.Installed.ContainsKey(name)) continue;
                db.Add(name, p);
                db.StatusFiles[name] = entry.Path;
            }
        }
        if (db.Installed.Count == 0)
            throw new RemediationException($"no dpkg package database in the image ({StatusPath} or {StatusDirectory}/): only Debian and Ubuntu images are patched");
        return db;
    }

    private void Add(string name, ControlParagraph p)
    {
        Installed[name] = p;
        if (p["Architecture"] is { } arch) Installed[$"{name}:{arch}"] = p;
    }

    private static bool IsInstalled(ControlParagraph p) => (p["Status"] ?? "").EndsWith(" installed", StringComparison.Ordinal);

    internal static string ReadText(IFileSystem fs, FileEntry entry, long maxBytes)
    {
        if (entry.Size > maxBytes) throw new RemediationException($"{entry.Path}: {entry.Size} bytes, more than the {maxBytes} allowed");
        using var stream = fs.Open(entry);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The files an upgrade needs read from the image: the dpkg database, apt's configuration and keys, and /etc (conffiles).</summary>
    public static bool Requires(FileEntry e) => e.IsRegular && e.Size <= 64L << 20 &&
        (e.Path.StartsWith("/var/lib/dpkg/", StringComparison.Ordinal) || e.Path.StartsWith("/etc/", StringComparison.Ordinal)
         || e.Path.StartsWith("/usr/share/keyrings/", StringComparison.Ordinal));
}
