using System.Diagnostics;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Artifacts.Images;
using ZeroDrift.Remediation.Images.Apt;
using ZeroDrift.Remediation.Images.Deb;

namespace ZeroDrift.Remediation.Images;

/// <summary>
/// Patches an image's vulnerable Debian/Ubuntu packages without rebuilding it, as Copacetic does: the fixed
/// versions are chosen from signed apt repositories, fetched and checked, unpacked into one new layer with the
/// dpkg database updated, and the image is written as an OCI layout in <c>workDirectory</c> with its other
/// layers byte for byte. Nothing from the image or the packages runs.
/// </summary>
public sealed class ImagePatcher(PatchOptions options) : IFixer
{
    private static readonly string[] KeyringDirectories = ["/etc/apt/trusted.gpg.d", "/usr/share/keyrings"];

    public FixTargetKind Kind => FixTargetKind.Image;

    public bool Accepts(Artifacts.Targets.TargetReference target) => FixTargets.KindOf(target) == FixTargetKind.Image;

    public async Task<PatchResult> PatchAsync(ResolvedImage image, IFileSystem fs, IReadOnlyList<UpgradeRequest> requests, string workDirectory, CancellationToken ct, PhaseTimings? timings = null)
    {
        var clock = Stopwatch.StartNew();
        var warnings = new List<string>();
        if (requests.Count == 0 && !options.AllUpdates) throw new RemediationException($"{image.Metadata.Reference}: no vulnerable OS package with a fixed version: nothing to patch");
        var architecture = DebianArchitecture(image.Metadata);
        var database = DpkgDatabase.Read(fs, options.Limits.MaxFileBytes);
        var keyring = LoadKeyring(fs, warnings);
        var sources = Sources(fs);

        using var fetcher = new HttpFetcher(options.HttpTimeout);
        var repository = new AptRepository(fetcher, keyring, options.Time);
        var index = new List<AptPackage>();
        foreach (var source in sources)
            index.AddRange(await repository.LoadAsync(source, architecture, ct).ConfigureAwait(false));

        timings?.Mark("repository index");
        var planner = new PatchPlanner(index, database, architecture, options.MaxPackages);
        if (options.AllUpdates) requests = [.. requests, .. planner.Updates()];
        if (requests.Count == 0) throw new RemediationException($"{image.Metadata.Reference}: every installed package is at the newest version the repositories have: nothing to patch");
        var (plan, unfixable) = planner.Plan(requests);
        if (plan.Count == 0)
            throw new RemediationException($"{image.Metadata.Reference}: no fixed version in the repositories for {string.Join(", ", unfixable.Select(u => $"{u.Name} (needs {u.FixedIn})"))}");

        var debs = Path.Combine(workDirectory, "debs");
        Directory.CreateDirectory(debs);
        var packages = new List<(PlannedUpgrade, DebArchive)>();
        foreach (var upgrade in plan)
        {
            var p = upgrade.Package;
            var file = Path.Combine(debs, $"{packages.Count:D4}.deb");
            await fetcher.DownloadVerifiedAsync(p.Url, file, p.Size, p.Sha256, ct).ConfigureAwait(false);
            packages.Add((upgrade, new DebArchive(file, $"{p.Name} {p.Version} ({p.Url})") { DecodeClock = timings?.Part("deb decompress") }));
        }
        timings?.Mark("fetch + verify packages");

        var builder = new PatchLayerBuilder(fs, database, options, timings);
        var layer = builder.Build(packages, Path.Combine(workDirectory, "layer.tar.gz"));
        timings?.Mark("unpack + layer");
        warnings.AddRange(builder.Warnings);
        foreach (var (upgrade, _) in packages) File.Delete(Path.Combine(debs, $"{packages.FindIndex(x => x.Item1 == upgrade):D4}.deb"));
        var history = "zerodrift fix: " + string.Join(", ", plan.Select(u => $"{u.Package.Name} {u.FromVersion ?? "(new)"} -> {u.Package.Version}"));
        var patched = await OciImageWriter.WriteLayoutAsync(image, layer, history, Path.Combine(workDirectory, "image"), ct).ConfigureAwait(false);
        timings?.Mark("write layout");
        return new PatchResult
        {
            Image = image.Metadata.Reference,
            OriginalManifestDigest = image.Metadata.ManifestDigest,
            Upgrades = plan,
            Unfixable = unfixable,
            ScriptsNotRun = builder.ScriptsNotRun,
            Warnings = warnings,
            Patched = patched,
            Repositories = sources.Select(s => s.ToString()).ToList(),
            Elapsed = clock.Elapsed,
        };
    }

    private OpenPgpKeyring LoadKeyring(IFileSystem fs, List<string> warnings)
    {
        var keyring = new OpenPgpKeyring();
        if (options.KeyringFiles.Count > 0)
        {
            foreach (var file in options.KeyringFiles)
            {
                if (!File.Exists(file)) throw new RemediationException($"--keyring {file}: no such file");
                var length = new FileInfo(file).Length;
                if (length > 16L << 20) throw new RemediationException($"--keyring {file}: {length} bytes, not a keyring");
                keyring.Add(File.ReadAllBytes(file), file);
            }
        }
        else
        {
            // The image's own trust: apt's keyring folders, read as files (nothing of apt or gpg runs).
            var files = KeyringDirectories.SelectMany(fs.List)
                .Append(fs.Lstat("/etc/apt/trusted.gpg"))
                .OfType<FileEntry>()
                .Where(e => e.IsRegular && (e.Name.EndsWith(".gpg", StringComparison.Ordinal) || e.Name.EndsWith(".asc", StringComparison.Ordinal)));
            foreach (var entry in files)
            {
                if (entry.Size > 16L << 20) continue;
                using var stream = fs.Open(entry);
                using var ms = new MemoryStream();
                stream.CopyTo(ms);
                keyring.Add(ms.ToArray(), "image:" + entry.Path);
            }
        }
        warnings.AddRange(keyring.Warnings);
        if (keyring.Count == 0)
            throw new RemediationException(options.KeyringFiles.Count > 0
                ? $"--keyring: no OpenPGP public key in {string.Join(", ", options.KeyringFiles)}"
                : "the image has no apt keyring (/etc/apt/trusted.gpg.d, /usr/share/keyrings): give --keyring FILE");
        return keyring;
    }

    private List<AptSource> Sources(IFileSystem fs)
    {
        var sources = new List<AptSource>(options.Sources);
        if (options.UseImageSources)
        {
            if (fs.Lstat("/etc/apt/sources.list") is { IsRegular: true } list)
                sources.AddRange(AptSource.FromSourcesList(DpkgDatabase.ReadText(fs, list, 1 << 20), "image:/etc/apt/sources.list", deb822: false));
            foreach (var entry in fs.List("/etc/apt/sources.list.d").Where(e => e.IsRegular).OrderBy(e => e.Path, StringComparer.Ordinal))
            {
                if (entry.Name.EndsWith(".list", StringComparison.Ordinal))
                    sources.AddRange(AptSource.FromSourcesList(DpkgDatabase.ReadText(fs, entry, 1 << 20), "image:" + entry.Path, deb822: false));
                else if (entry.Name.EndsWith(".sources", StringComparison.Ordinal))
                    sources.AddRange(AptSource.FromSourcesList(DpkgDatabase.ReadText(fs, entry, 1 << 20), "image:" + entry.Path, deb822: true));
            }
        }
        if (sources.Count == 0) throw new RemediationException("no apt repository to fetch fixes from: give --repo \"deb URL SUITE COMPONENT\" or --image-sources");
        return sources.Distinct().ToList();
    }

    /// <summary>Debian's architecture names for the image's OCI platform.</summary>
    internal static string DebianArchitecture(ImageMetadata metadata) => (metadata.Architecture, metadata.Variant) switch
    {
        ("amd64", _) => "amd64",
        ("arm64", _) => "arm64",
        ("arm", "v7") or ("arm", null) => "armhf",
        ("arm", "v5") or ("arm", "v6") => "armel",
        ("386", _) => "i386",
        ("ppc64le", _) => "ppc64el",
        ("s390x", _) => "s390x",
        ("mips64le", _) => "mips64el",
        ("riscv64", _) => "riscv64",
        (null, _) => throw new RemediationException($"{metadata.Reference}: the image's config names no architecture"),
        var (a, _) => throw new RemediationException($"{metadata.Reference}: architecture '{a}' has no Debian name"),
    };
}
