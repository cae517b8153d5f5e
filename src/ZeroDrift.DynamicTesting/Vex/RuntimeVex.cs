using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ZeroDrift.Core;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Vulnerabilities.Scanning;

namespace ZeroDrift.DynamicTesting.Vex;

/// <summary>A profile used as evidence: where it came from, whose it is, and how long it observed.</summary>
public sealed record ProfileEvidence(string Source, string Workload, string ImageDigest, string? ImageName, DateTimeOffset From, DateTimeOffset To, ProfileMode Mode)
{
    public static ProfileEvidence Of(BehaviourProfile p, string source) =>
        new(source, p.Identity.Workload, p.Identity.ImageDigest, p.Identity.ImageName, p.Created, p.Updated, p.Mode);

    public static ProfileEvidence Of(ProfilePaths p, string source) =>
        new(source, p.Identity.Workload, p.Identity.ImageDigest, p.Identity.ImageName, p.Created, p.Updated, p.Mode);

    public TimeSpan Observed => To > From ? To - From : TimeSpan.Zero;
}

/// <summary>What the profiles say about one package: used (a file of it was loaded), never loaded, or unknown (no file list).</summary>
public enum PackageUse { Loaded, NeverLoaded, NoFileList }

public sealed record PackageVerdict(Package Package, PackageUse Use, string? Evidence);

/// <summary>The OpenVEX document and the per-package verdicts behind it.</summary>
public sealed record RuntimeVexResult(IReadOnlyList<PackageVerdict> Packages, int NotAffected, int UnderInvestigation, byte[] Document);

/// <summary>
/// OpenVEX from what really ran (docs/vex.md). For each vulnerability the scan matched in the image: when no file of
/// its package was executed or opened in any profile, <c>not_affected</c> with justification
/// <c>vulnerable_code_not_in_execute_path</c> and the evidence (the profiles, their observation windows, the package's
/// files); when one was, <c>under_investigation</c> naming the file (the code ran; whether the vulnerable part did is
/// not known). A package without a file list (most language packages) gets no statement: nothing shows it unused.
/// </summary>
public static class RuntimeVex
{
    public const string Context = "https://openvex.dev/ns/v0.2.0";

    public static IReadOnlyList<PackageVerdict> Judge(IEnumerable<Package> packages, LoadedFiles loaded) =>
        packages.Select(p =>
        {
            var files = RegularFiles(p.Files);
            if (files.Count == 0) return new PackageVerdict(p, PackageUse.NoFileList, null);
            foreach (var file in files)
                if (loaded.UsedBy(file) is { } source) return new PackageVerdict(p, PackageUse.Loaded, $"{file} used in {source}");
            return new PackageVerdict(p, PackageUse.NeverLoaded, null);
        }).ToList();

    /// <summary>
    /// A package database lists the directories a package made too (dpkg's <c>/.</c>, <c>/usr</c>, <c>/usr/bin</c>): a
    /// directory opened (a listing) says nothing about the package's code, and every package would share it. An entry
    /// that another entry lies under is a directory.
    /// </summary>
    internal static List<string> RegularFiles(IReadOnlyList<string> files)
    {
        var sorted = files.Where(f => f.Length > 1 && f != "/.").Select(f => f.TrimEnd('/')).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var regular = new List<string>(sorted.Count);
        for (var i = 0; i < sorted.Count; i++)
        {
            // Sorted ordinally, whatever lies under a directory comes right after it (or after its siblings sharing
            // the name as a prefix, such as /usr/lib-extra before /usr/lib/x): look ahead while names share the prefix.
            var directory = false;
            for (var j = i + 1; j < sorted.Count && sorted[j].StartsWith(sorted[i], StringComparison.Ordinal); j++)
                if (sorted[j].Length > sorted[i].Length && sorted[j][sorted[i].Length] == '/') { directory = true; break; }
            if (!directory) regular.Add(sorted[i]);
        }
        return regular;
    }

    public static RuntimeVexResult Generate(VulnerabilityReport report, string product, IReadOnlyList<ProfileEvidence> evidence, LoadedFiles loaded, DateTimeOffset now)
    {
        var verdicts = Judge(report.Inventory.Packages, loaded);
        var byId = new Dictionary<string, PackageVerdict>(StringComparer.Ordinal);
        foreach (var v in verdicts) byId.TryAdd(v.Package.Id, v);
        var observed = TimeSpan.FromTicks(evidence.Sum(e => e.Observed.Ticks));
        var profiles = string.Join("; ", evidence.Select(e => string.Create(CultureInfo.InvariantCulture,
            $"{e.Source} ({e.Workload}@{e.ImageDigest}, {e.Mode.ToString().ToLowerInvariant()}, observed {e.From:yyyy-MM-ddTHH:mm:ssZ} to {e.To:yyyy-MM-ddTHH:mm:ssZ})")));
        using var buffer = new MemoryStream();
        int notAffected = 0, investigating = 0;
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("@context", Context);
            w.WriteString("@id", "https://zerodrift.dev/vex/" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(product + "|" + profiles + "|" + now.ToUnixTimeSeconds())))[..32]);
            w.WriteString("author", "zerodrift vex generate");
            w.WriteString("role", "runtime evidence");
            w.WriteString("timestamp", now.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            w.WriteNumber("version", 1);
            w.WriteString("tooling", $"zerodrift: {evidence.Count} behaviour profile(s), {string.Create(CultureInfo.InvariantCulture, $"{observed.TotalSeconds:0}")} s observed: {profiles}");
            w.WriteStartArray("statements");
            foreach (var finding in report.Findings.Where(f => f.Finding.Status == Vulnerabilities.Matching.MatchStatus.Affected)
                         .GroupBy(f => (f.Finding.Id, f.Finding.Package.Id)).Select(g => g.First()))
            {
                if (!byId.TryGetValue(finding.Finding.Package.Id, out var verdict) || verdict.Use == PackageUse.NoFileList) continue;
                var package = verdict.Package;
                w.WriteStartObject();
                w.WriteStartObject("vulnerability");
                w.WriteString("name", finding.Finding.Id);
                var aliases = finding.Finding.Ids.Where(i => i != finding.Finding.Id).Distinct(StringComparer.Ordinal).ToList();
                if (aliases.Count > 0)
                {
                    w.WriteStartArray("aliases");
                    foreach (var a in aliases) w.WriteStringValue(a);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
                w.WriteStartArray("products");
                w.WriteStartObject();
                w.WriteString("@id", product);
                w.WriteStartArray("subcomponents");
                w.WriteStartObject();
                w.WriteString("@id", package.Purl.ToString());
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndArray();
                if (verdict.Use == PackageUse.NeverLoaded)
                {
                    notAffected++;
                    w.WriteString("status", "not_affected");
                    w.WriteString("justification", "vulnerable_code_not_in_execute_path");
                    w.WriteString("impact_statement", string.Create(CultureInfo.InvariantCulture,
                        $"None of the {RegularFiles(package.Files).Count} files of {package.Name} {package.Version} was executed or opened in {evidence.Count} behaviour profile(s) of this image ({observed.TotalSeconds:0} s observed); withdrawn when a later profile loads one."));
                    w.WriteString("status_notes", "runtime evidence: " + profiles);
                }
                else
                {
                    investigating++;
                    w.WriteString("status", "under_investigation");
                    w.WriteString("status_notes", $"loaded at run time: {verdict.Evidence}");
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return new RuntimeVexResult(verdicts, notAffected, investigating, buffer.ToArray());
    }
}
