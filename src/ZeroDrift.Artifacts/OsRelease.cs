using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Artifacts;

/// <summary>Finds which distribution a file tree is, from the files distributions use to say so.</summary>
public static class OsRelease
{
    private static readonly string[] Files = ["/etc/os-release", "/usr/lib/os-release", "/etc/alpine-release", "/etc/redhat-release", "/etc/debian_version"];

    public static bool IsReleaseFile(string path) => Files.Contains(path);

    public static Distro? Detect(IFileSystem fs)
    {
        foreach (var path in Files.Take(2))
        {
            string? text;
            try { text = fs.ReadText(path, 64 << 10); }
            catch (ArtifactException) { continue; }
            if (text is not null && ParseOsRelease(text) is { } distro) return distro;
        }
        if (Read(fs, "/etc/alpine-release") is { } alpine)
            return new Distro("alpine", alpine.Trim(), $"Alpine Linux v{alpine.Trim()}");
        if (Read(fs, "/etc/redhat-release") is { } redhat && ParseRedHatRelease(redhat) is { } rh)
            return rh;
        if (Read(fs, "/etc/debian_version") is { } debian)
            return new Distro("debian", debian.Trim().Split('.')[0], $"Debian GNU/Linux {debian.Trim()}");
        return null;
    }

    private static string? Read(IFileSystem fs, string path)
    {
        try { return fs.ReadText(path, 64 << 10); }
        catch (ArtifactException) { return null; }
    }

    /// <summary>Parses os-release(5): KEY=value lines, values optionally quoted.</summary>
    public static Distro? ParseOsRelease(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var eq = line.IndexOf('=');
            if (eq <= 0) continue;
            var value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0]) value = value[1..^1];
            values[line[..eq]] = value.Replace("\\\"", "\"", StringComparison.Ordinal);
        }
        if (!values.TryGetValue("ID", out var id) || id.Length == 0) return null;
        values.TryGetValue("VERSION_ID", out var version);
        values.TryGetValue("PRETTY_NAME", out var pretty);
        values.TryGetValue("VERSION_CODENAME", out var codename);
        var idLike = values.TryGetValue("ID_LIKE", out var like) ? like.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        return new Distro(id.ToLowerInvariant(), string.IsNullOrEmpty(version) ? null : version, pretty, codename, idLike);
    }

    /// <summary>"Red Hat Enterprise Linux release 9.4 (Plow)", "CentOS Linux release 7.9.2009 (Core)", …</summary>
    private static Distro? ParseRedHatRelease(string text)
    {
        var match = System.Text.RegularExpressions.Regex.Match(text, @"^(?<name>.+?) release (?<version>[0-9][0-9.]*)");
        if (!match.Success) return null;
        var name = match.Groups["name"].Value.ToLowerInvariant();
        var id = name switch
        {
            var n when n.Contains("centos", StringComparison.Ordinal) => "centos",
            var n when n.Contains("rocky", StringComparison.Ordinal) => "rocky",
            var n when n.Contains("alma", StringComparison.Ordinal) => "almalinux",
            var n when n.Contains("fedora", StringComparison.Ordinal) => "fedora",
            _ => "rhel",
        };
        return new Distro(id, match.Groups["version"].Value, text.Trim());
    }
}
