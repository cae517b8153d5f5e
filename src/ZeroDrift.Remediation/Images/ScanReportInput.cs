using System.Globalization;
using System.Text.Json;

namespace ZeroDrift.Remediation.Images;

/// <summary>
/// A previous <c>zerodrift scan -f json</c> report used instead of scanning again (<c>fix --report</c>): it must
/// name the image's manifest digest, the one being patched, or it says nothing about this image and is refused.
/// Its active (not suppressed) findings on Debian packages with a fixed version become the upgrade requests,
/// and all its active findings are the "before" the rescan is compared with.
/// </summary>
public sealed record ScanReportInput(IReadOnlyList<UpgradeRequest> Requests, IReadOnlyList<(string Package, string Id)> Findings)
{
    private const long MaxReportBytes = 512L << 20;

    public static ScanReportInput Read(string path, string? imageDigest, IReadOnlySet<string>? severities)
    {
        if (!File.Exists(path)) throw new RemediationException($"--report {path}: no such file");
        var length = new FileInfo(path).Length;
        if (length > MaxReportBytes) throw new RemediationException($"--report {path}: {length} bytes, larger than the {MaxReportBytes} byte limit");
        JsonDocument document;
        try
        {
            using var stream = File.OpenRead(path);
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new RemediationException($"--report {path}: not JSON ({e.Message.Split('\n')[0]})", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("findings", out var findings) || findings.ValueKind != JsonValueKind.Array)
                throw new RemediationException($"--report {path}: not a zerodrift scan report with vulnerability findings (scan -f json, with the vuln scanner)");
            var named = root.TryGetProperty("target", out var target) && target.ValueKind == JsonValueKind.Object
                && target.TryGetProperty("manifestDigest", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            if (named is null) throw new RemediationException($"--report {path}: names no image manifest digest; it cannot be checked against the image, refused");
            if (imageDigest is null) throw new RemediationException($"--report {path}: the image has no manifest digest to check the report against, refused");
            if (!string.Equals(named, imageDigest, StringComparison.Ordinal))
                throw new RemediationException($"--report {path}: is the scan of {named}, not of this image ({imageDigest}), refused");

            var requests = new List<UpgradeRequest>();
            var keys = new List<(string, string)>();
            foreach (var f in findings.EnumerateArray())
            {
                if (f.ValueKind != JsonValueKind.Object || f.TryGetProperty("suppressed", out _)) continue;
                var id = Text(f, "id");
                var package = f.TryGetProperty("package", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
                var name = package.ValueKind == JsonValueKind.Object ? Text(package, "name") : null;
                var version = package.ValueKind == JsonValueKind.Object ? Text(package, "version") : null;
                var purl = package.ValueKind == JsonValueKind.Object ? Text(package, "purl") : null;
                if (id is null || name is null || version is null || purl is null)
                    throw new RemediationException($"--report {path}: a finding without id, package name, version or purl");
                var level = f.TryGetProperty("severity", out var s) && s.ValueKind == JsonValueKind.Object ? Text(s, "level") : null;
                if (severities is not null && (level is null || !severities.Contains(level.ToUpperInvariant()))) continue;
                keys.Add((name, id));
                if (!purl.StartsWith("pkg:deb/", StringComparison.Ordinal) || Text(f, "fixedIn") is not { } fixedIn) continue;
                requests.Add(new UpgradeRequest(name, version, Qualifier(purl, "arch"), fixedIn, [id]));
            }
            return new ScanReportInput(requests, keys.Distinct().ToList());
        }
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A purl qualifier's value (<c>?arch=amd64&amp;distro=...</c>), percent-decoded.</summary>
    internal static string? Qualifier(string purl, string key)
    {
        var q = purl.IndexOf('?', StringComparison.Ordinal);
        if (q < 0) return null;
        var end = purl.IndexOf('#', q);
        foreach (var pair in purl[(q + 1)..(end < 0 ? purl.Length : end)].Split('&'))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && pair[..eq] == key) return Uri.UnescapeDataString(pair[(eq + 1)..]);
        }
        return null;
    }

    /// <summary>The severity names <c>--severity</c> takes, upper case, as the report writes them.</summary>
    public static IReadOnlySet<string>? Names(IEnumerable<Core.Severity>? severities) =>
        severities?.Select(s => s.ToString().ToUpper(CultureInfo.InvariantCulture)).ToHashSet(StringComparer.Ordinal);
}
