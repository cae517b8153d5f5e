using System.IO.Compression;
using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>
/// An independent answer to "which advisories affect this version": the OSV records read straight from the
/// export zip, their events walked as the OSV specification describes, each comparison made by the
/// ecosystem's own tool (dpkg --compare-versions, python3-packaging, rpm's vercmp), never by ZeroDrift's code.
/// </summary>
public static class ScanOracle
{
    public delegate int Compare(string a, string b);

    public static SortedSet<string> Affecting(string zip, string ecosystem, string name, string version, Compare compare, Func<string, string>? normalize = null)
    {
        normalize ??= n => n;
        var result = new SortedSet<string>(StringComparer.Ordinal);
        using var archive = ZipFile.OpenRead(zip);
        foreach (var entry in archive.Entries.Where(e => e.FullName.EndsWith(".json", StringComparison.Ordinal)))
        {
            using var stream = entry.Open();
            using var doc = JsonDocument.Parse(stream);
            var root = doc.RootElement;
            if (root.TryGetProperty("withdrawn", out _)) continue;
            if (!root.TryGetProperty("affected", out var affected) || affected.ValueKind != JsonValueKind.Array) continue;
            foreach (var a in affected.EnumerateArray())
            {
                if (!a.TryGetProperty("package", out var p) || p.GetProperty("ecosystem").GetString() != ecosystem
                    || normalize(p.GetProperty("name").GetString()!) != normalize(name)) continue;
                if (IsAffected(a, version, compare)) { result.Add(root.GetProperty("id").GetString()!); break; }
            }
        }
        return result;
    }

    private static bool IsAffected(JsonElement affected, string version, Compare compare)
    {
        if (affected.TryGetProperty("versions", out var versions) && versions.ValueKind == JsonValueKind.Array
            && versions.EnumerateArray().Any(v => v.GetString() == version)) return true;
        if (!affected.TryGetProperty("ranges", out var ranges) || ranges.ValueKind != JsonValueKind.Array) return false;
        foreach (var range in ranges.EnumerateArray())
        {
            if (range.GetProperty("type").GetString() == "GIT") continue;
            // The specification's algorithm: walk the events sorted by version.
            var events = range.GetProperty("events").EnumerateArray()
                .Select(e => e.EnumerateObject().First())
                .Select(p => (Kind: p.Name, Version: p.Value.GetString()!))
                .ToList();
            events.Sort((x, y) => x.Version == "0" && x.Kind == "introduced" ? -1 : y.Version == "0" && y.Kind == "introduced" ? 1 : compare(x.Version, y.Version));
            var vulnerable = false;
            foreach (var (kind, v) in events)
            {
                if (kind == "introduced" && (v == "0" || compare(version, v) >= 0)) vulnerable = true;
                else if (kind == "fixed" && compare(version, v) >= 0) vulnerable = false;
                else if (kind == "last_affected" && compare(version, v) > 0) vulnerable = false;
            }
            if (vulnerable) return true;
        }
        return false;
    }

    /// <summary>dpkg's own comparison, one process per pair (the oracle is slow on purpose: it is the real tool).</summary>
    public static int Dpkg(string a, string b)
    {
        if (a == b) return 0;
        return Run("dpkg", "--compare-versions", a, "lt", b) ? -1 : Run("dpkg", "--compare-versions", a, "eq", b) ? 0 : 1;
    }

    private static bool Run(string file, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(start)!;
        p.WaitForExit();
        return p.ExitCode == 0;
    }
}
