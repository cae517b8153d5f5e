using System.IO.Compression;
using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>
/// An independent answer to "which advisories affect this version": the OSV records read straight from the
/// export zip, their events walked as the OSV specification describes, each comparison made by the
/// ecosystem's own tool (dpkg --compare-versions, python3-packaging, rpm's vercmp, npm's semver), never by ZeroDrift's code.
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

    /// <summary>Every version the events of the records for <paramref name="names"/> name: what a batched comparator must rank.</summary>
    public static SortedSet<string> EventVersions(string zip, string ecosystem, IEnumerable<string> names, Func<string, string>? normalize = null)
    {
        normalize ??= n => n;
        var wanted = names.Select(normalize).ToHashSet(StringComparer.Ordinal);
        var result = new SortedSet<string>(StringComparer.Ordinal);
        using var archive = ZipFile.OpenRead(zip);
        foreach (var entry in archive.Entries.Where(e => e.FullName.EndsWith(".json", StringComparison.Ordinal)))
        {
            using var stream = entry.Open();
            using var doc = JsonDocument.Parse(stream);
            if (!doc.RootElement.TryGetProperty("affected", out var affected) || affected.ValueKind != JsonValueKind.Array) continue;
            foreach (var a in affected.EnumerateArray())
            {
                if (!a.TryGetProperty("package", out var p) || p.GetProperty("ecosystem").GetString() != ecosystem
                    || !wanted.Contains(normalize(p.GetProperty("name").GetString()!))) continue;
                if (!a.TryGetProperty("ranges", out var ranges) || ranges.ValueKind != JsonValueKind.Array) continue;
                foreach (var range in ranges.EnumerateArray().Where(r => r.GetProperty("type").GetString() != "GIT"))
                    foreach (var e in range.GetProperty("events").EnumerateArray())
                        foreach (var v in e.EnumerateObject().Where(v => v.Name != "introduced" || v.Value.GetString() != "0"))
                            result.Add(v.Value.GetString()!);
            }
        }
        return result;
    }

    /// <summary>
    /// A comparator built from ONE call of the real tool: it is handed every distinct version (one a line on stdin)
    /// and prints, for each in order, its rank in the tool's own sort (equal versions share a rank).
    /// </summary>
    public static Compare Ranked(IEnumerable<string> versions, string file, params string[] args)
    {
        var list = versions.Distinct(StringComparer.Ordinal).ToList();
        var output = RunWithInput(file, args, string.Join('\n', list) + "\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (output.Length != list.Count) throw new InvalidOperationException($"{file} ranked {output.Length} of {list.Count} versions");
        var rank = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++) rank[list[i]] = int.Parse(output[i].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        return (a, b) => Rank(rank, a, file).CompareTo(Rank(rank, b, file));
    }

    private static int Rank(Dictionary<string, int> rank, string version, string tool) =>
        !rank.TryGetValue(version, out var r) ? throw new InvalidOperationException($"{version} was not ranked by {tool}")
        : r < 0 ? throw new InvalidOperationException($"{tool} does not read {version} as a version") : r;

    /// <summary>rpm's own rpm.vercmp, which parses <c>[epoch:]version-release</c> itself (checked: "1:1-1" &gt; "2-1").</summary>
    public static Compare Rpm(IEnumerable<string> versions) => Ranked(versions, "rpm", "--eval", """
        %{lua:
        local vs = {}
        for l in io.lines() do vs[#vs + 1] = l end
        local idx = {}
        for i = 1, #vs do idx[i] = i end
        table.sort(idx, function(a, b) return rpm.vercmp(vs[a], vs[b]) < 0 end)
        local rank, r = {}, 0
        for k = 1, #idx do
          if k > 1 and rpm.vercmp(vs[idx[k - 1]], vs[idx[k]]) ~= 0 then r = r + 1 end
          rank[idx[k]] = r
        end
        local out = {}
        for i = 1, #vs do out[i] = tostring(rank[i]) end
        print(table.concat(out, "\n"))
        }
        """);

    /// <summary>Debian's python3-packaging: PEP 440 as pip reads it; -1 for what it rejects.</summary>
    public static Compare Pep440(IEnumerable<string> versions) => Ranked(versions, "/usr/bin/python3", "-c", """
        import sys
        from packaging.version import Version, InvalidVersion
        vs = sys.stdin.read().split("\n")[:-1]
        parsed = []
        for v in vs:
            try: parsed.append(Version(v))
            except InvalidVersion: parsed.append(None)
        order = sorted(set(p for p in parsed if p is not None))
        rank = {p: i for i, p in enumerate(order)}
        print("\n".join(str(rank[p]) if p is not None else "-1" for p in parsed))
        """);

    /// <summary>npm's semver package (node-semver), the reference SemVer 2.0 implementation; -1 for what it rejects.</summary>
    public static Compare SemVer(IEnumerable<string> versions, string semverModule) => Ranked(versions, "node", "-e", """
        const semver = require(process.argv[1]);
        const vs = require("fs").readFileSync(0, "utf8").split("\n").slice(0, -1);
        const ok = vs.map(v => semver.valid(v) !== null);
        const idx = vs.map((_, i) => i).filter(i => ok[i]).sort((a, b) => semver.compare(vs[a], vs[b]));
        const rank = vs.map(() => -1);
        let r = 0;
        idx.forEach((i, k) => { if (k > 0 && semver.compare(vs[idx[k - 1]], vs[i]) !== 0) r++; rank[i] = r; });
        console.log(rank.join("\n"));
        """, semverModule);

    private static string RunWithInput(string file, string[] args, string input)
    {
        var start = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(input);
        p.StandardInput.Close();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} failed ({p.ExitCode}): {stderr.Result}");
        return stdout.Result;
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
