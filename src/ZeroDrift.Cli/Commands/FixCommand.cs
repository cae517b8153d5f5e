using System.CommandLine;
using System.Text.Json;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Artifacts.Images.Layers;
using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Artifacts.Targets;
using ZeroDrift.Artifacts.Temp;
using ZeroDrift.Core;
using ZeroDrift.Inventory;
using ZeroDrift.Remediation;
using ZeroDrift.Remediation.Images;
using ZeroDrift.Remediation.Images.Apt;
using ZeroDrift.Supply.Signing;
using ZeroDrift.Vulnerabilities.Database;
using ZeroDrift.Vulnerabilities.Scanning;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>zerodrift fix TARGET</c>: an image (archive, OCI folder, registry, podman) has its vulnerable OS packages
/// patched from signed apt repositories into one new layer, is rescanned, then written or pushed (and, with
/// <c>--sign</c>, signed and attested). A directory is a source tree, for the dependency fixer
/// (ZeroDrift.Remediation.Dependencies). The command only composes: the work is in ZeroDrift.Remediation.
/// </summary>
public static class FixCommand
{
    public static Command Create()
    {
        var target = new TargetOptionsBinder();
        var repos = new Option<string[]>("--repo") { Description = "An apt repository: \"deb URL SUITE COMPONENT...\"; repeatable", AllowMultipleArgumentsPerToken = false };
        var imageSources = new Option<bool>("--image-sources") { Description = "Also use the image's own /etc/apt/sources.list(.d) repositories" };
        var keyrings = new Option<string[]>("--keyring") { Description = "OpenPGP keyring (.gpg or .asc) the repositories' InRelease must be signed with; default: the image's /etc/apt/trusted.gpg.d and /usr/share/keyrings", AllowMultipleArgumentsPerToken = false };
        var output = new Option<string?>("--output", "-f") { Description = "Image: where to write the patched image, oci-dir:PATH or docker-archive:PATH (PATH must not exist). Source tree: a file for the diff or JSON (default: standard output)" };
        var push = new Option<string?>("--push") { Description = "Push the patched image to this registry reference (host[:port]/repo:tag)" };
        var tag = new Option<string?>("--tag") { Description = "The name:tag recorded in a docker archive (default: none)" };
        var severity = new Option<string[]>("--severity") { Description = "Only fix vulnerabilities of these severities (UNKNOWN,NONE,LOW,MEDIUM,HIGH,CRITICAL; default all)", AllowMultipleArgumentsPerToken = true };
        var format = new Option<string?>("--format", "-o") { Description = "Image: table (default) or json. Source tree: diff (default, a unified diff) or json" };
        var sign = new Option<bool>("--sign") { Description = "With --push: sign the patched image and attach the patch and its rescan as signed attestations (needs --key)" };
        var key = new Option<string?>("--key") { Description = "Private key for --sign (cosign's encrypted format; password from ZERODRIFT_PASSWORD)" };
        var allowSetuid = new Option<bool>("--allow-new-setuid") { Description = "Accept packages that add setuid/setgid files the image did not have" };
        var runScripts = new Option<string>("--run-scripts") { Description = "Maintainer scripts: none (the default and only choice: they are stored, not run; see docs/remediation.md)", DefaultValueFactory = _ => "none" };
        var timingsOption = new Option<bool>("--timings") { Description = "Image: print the time of each phase (read, scan, index, fetch, unpack + layer, write, rescan, publish) to standard error" };
        var reportOption = new Option<string?>("--report") { Description = "Image: use this earlier 'scan -f json' report of the same image (its manifest digest is checked) instead of scanning it again" };
        var allUpdates = new Option<bool>("--all-updates") { Description = "Image: upgrade every package the repositories have a newer version of, not only the vulnerable ones" };
        var onlyVulnerable = new Option<bool>("--only-vulnerable") { Description = "Image: upgrade only the vulnerable packages (the default)" };
        var command = new Command("fix", "Patch an image's vulnerable OS packages from signed apt repositories (one new layer, rescanned), or fix a source tree's dependencies");
        target.AddTo(command);
        foreach (var o in new Option[] { repos, imageSources, keyrings, output, push, tag, severity, format, sign, key, allowSetuid, runScripts, DbCommand.DbOption, timingsOption, reportOption, allUpdates, onlyVulnerable })
            command.Options.Add(o);
        var dependencies = new FixDependenciesCommand();
        dependencies.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var reference = target.Reference(parse);
            if (FixTargets.KindOf(reference) == FixTargetKind.SourceTree)
                return await dependencies.RunAsync(parse, reference.Value, parse.GetValue(format), parse.GetValue(output), token).ConfigureAwait(false);
            if (reference.Kind == TargetKind.File)
                throw new UsageException($"{reference.Value}: not a directory (a source tree) nor a named image form (docker-archive:PATH, oci-archive:PATH, oci-dir:PATH)");
            if (parse.GetValue(runScripts) != "none")
                throw new UsageException("--run-scripts: only 'none' is supported (maintainer scripts are stored in the dpkg database, not run)");
            var jsonFormat = parse.GetValue(format) switch
            {
                "json" => true,
                "table" or null => false,
                var f => throw new UsageException($"--format {f}: table or json"),
            };
            if (parse.GetValue(allUpdates) && parse.GetValue(onlyVulnerable)) throw new UsageException("--all-updates and --only-vulnerable: give one");
            var destination = Destination(parse.GetValue(output), parse.GetValue(push));
            if (parse.GetValue(sign) && destination.Push is null) throw new UsageException("--sign needs --push: signatures and attestations are stored next to the image in the registry");
            if (parse.GetValue(sign) && parse.GetValue(key) is null) throw new UsageException("--sign needs --key");
            if (parse.GetValue(key) is { } k && !File.Exists(k)) throw new UsageException($"--key {k}: no such key file");
            var sources = (parse.GetValue(repos) ?? []).Select(r => AptSource.Parse(r, "--repo")).ToList();
            var severities = Severities(parse.GetValue(severity));
            var limits = target.Limits(parse);
            var options = target.Options(parse, null);
            var insecure = parse.GetValue(target.InsecureRegistry) ?? [];

            using var database = VulnerabilityDatabase.Open(DatabaseLocation.Resolve(parse.GetValue(DbCommand.DbOption)), create: false);
            if (database.Info().Advisories == 0) throw new UsageException("the vulnerability database is empty: run 'zerodrift db import PATH' or 'zerodrift db update'");
            var inventory = InventoryScanner.Default;
            var scanner = new VulnerabilityScanner(database, new OsvSeverityRater());

            // The work happens in a private folder beside the destination, so that the final step is a rename.
            var timings = new PhaseTimings();
            using var work = WorkDirectory(destination);
            using var source = TargetOpener.CreateSource(reference, options);
            var image = await source.ResolveAsync(options.Platform, token).ConfigureAwait(false);
            var warnings = new List<string>();
            // With --report nothing is scanned before the patch: only the package database and /etc are read.
            var scanFirst = parse.GetValue(reportOption) is null;
            using var fs = await new LayerSquasher(limits, e => Artifacts.OsRelease.IsReleaseFile(e.Path) || (scanFirst && inventory.Requires(e)) || DpkgDatabase.Requires(e), warnings.Add).SquashAsync(image, token).ConfigureAwait(false);
            using var opened = new Target(reference, fs, image.Metadata, Artifacts.OsRelease.Detect(fs), warnings);
            timings.Mark("read image");
            List<UpgradeRequest> requests;
            IReadOnlyList<(string Package, string Id)> beforeKeys;
            if (parse.GetValue(reportOption) is { } reportPath)
            {
                // An earlier scan of the same image (same manifest digest) stands for the scan.
                var earlier = ScanReportInput.Read(reportPath, image.Metadata.ManifestDigest, ScanReportInput.Names(severities));
                requests = [.. earlier.Requests];
                beforeKeys = earlier.Findings;
            }
            else
            {
                var before = scanner.Scan(inventory.Scan(opened, limits, token), new ScanOptions { Severities = severities });
                requests = before.Active
                    .Where(f => f.Finding.Package.Ecosystem == Ecosystem.Dpkg && f.Finding.FixedIn is not null)
                    .Select(f => new UpgradeRequest(f.Finding.Package.Name, f.Finding.Package.Version, f.Finding.Package.Arch, f.Finding.FixedIn!, [f.Finding.Id]))
                    .ToList();
                beforeKeys = Keys(before);
            }
            timings.Mark("scan");

            var patcher = new ImagePatcher(new PatchOptions
            {
                Sources = sources,
                KeyringFiles = parse.GetValue(keyrings) ?? [],
                UseImageSources = parse.GetValue(imageSources),
                Limits = limits,
                AllowNewSetuid = parse.GetValue(allowSetuid),
                AllUpdates = parse.GetValue(allUpdates),
            });
            var result = await patcher.PatchAsync(image, fs, requests, work.Path, token, timings).ConfigureAwait(false);

            // The rescan reads the image as written, with the same database and filters.
            var after = scanner.Scan(await inventory.ScanAsync(new TargetReference(TargetKind.OciDirectory, result.Patched.LayoutDirectory), options, token).ConfigureAwait(false),
                new ScanOptions { Severities = severities });
            var rescan = RescanCheck.Compare(beforeKeys, Keys(after), result);
            timings.Mark("rescan");
            if (!rescan.Passed)
                throw new UsageException($"the rescan of the patched image does not confirm the fix ({string.Join(", ", rescan.StillThere.Concat(rescan.New).Select(p => $"{p.Package} {p.Id}"))}); nothing written");

            var published = await PublishAsync(destination, result.Patched, parse.GetValue(tag), insecure, token).ConfigureAwait(false);
            timings.Mark("publish");
            if (parse.GetValue(timingsOption)) Console.Error.WriteLine("timings: " + timings.Format());
            if (parse.GetValue(sign))
                await SignAsync(destination.Push!, published, parse.GetValue(key)!, insecure, result, rescan, after, reference, token).ConfigureAwait(false);

            foreach (var w in result.Warnings.Concat(warnings)) Output.Terminal.Warn(w);
            if (jsonFormat)
            {
                Console.Out.WriteLine(PatchReport.Json(result, rescan, published).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                WriteTable(result, rescan, published);
            }
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private sealed record FixDestination(string? OciDir, string? DockerArchive, ImageReference? Push)
    {
        public string? Path => OciDir ?? DockerArchive;
    }

    private static FixDestination Destination(string? output, string? push)
    {
        if ((output is null) == (push is null)) throw new UsageException("give one of --output oci-dir:PATH, --output docker-archive:PATH or --push REF");
        if (push is not null) return new FixDestination(null, null, ImageReference.Parse(push.StartsWith("registry:", StringComparison.Ordinal) ? push[9..] : push));
        string path;
        FixDestination d;
        if (output!.StartsWith("oci-dir:", StringComparison.Ordinal)) d = new FixDestination(path = Path.GetFullPath(output[8..]), null, null);
        else if (output.StartsWith("docker-archive:", StringComparison.Ordinal)) d = new FixDestination(null, path = Path.GetFullPath(output[15..]), null);
        else throw new UsageException($"--output {output}: oci-dir:PATH or docker-archive:PATH");
        if (File.Exists(path) || Directory.Exists(path)) throw new UsageException($"--output {output}: {path} exists (the patched image is never written over something)");
        if (!Directory.Exists(Path.GetDirectoryName(path))) throw new UsageException($"--output {output}: no such directory {Path.GetDirectoryName(path)}");
        return d;
    }

    /// <summary>Beside the output (same file system: the last step is a rename), or a private temporary folder for a push.</summary>
    private static WorkFolder WorkDirectory(FixDestination destination)
    {
        if (destination.Path is not { } path) return new WorkFolder(new PrivateTempDirectory("fix"));
        var dir = Path.Combine(Path.GetDirectoryName(path)!, $".zerodrift-fix-{Guid.NewGuid():N}");
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
        else Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new WorkFolder(dir);
    }

    private sealed class WorkFolder : IDisposable
    {
        private readonly PrivateTempDirectory? _temp;
        public string Path { get; }
        public WorkFolder(PrivateTempDirectory temp) { _temp = temp; Path = temp.Path; }
        public WorkFolder(string path) => Path = path;

        public void Dispose()
        {
            if (_temp is not null) { _temp.Dispose(); return; }
            try { if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task<string> PublishAsync(FixDestination destination, PatchedImage image, string? tag, IReadOnlyList<string> insecure, CancellationToken token)
    {
        if (destination.OciDir is { } dir)
        {
            Directory.Move(image.LayoutDirectory, dir);
            return "oci-dir:" + dir;
        }
        if (destination.DockerArchive is { } archive)
        {
            var temp = Path.Combine(Path.GetDirectoryName(image.LayoutDirectory)!, "image.tar");
            OciImageWriter.WriteDockerArchive(image, tag, temp);
            File.Move(temp, archive);
            return "docker-archive:" + archive;
        }
        using var client = new RegistryClient(RegistryClientOptions.FromEnvironment(insecure));
        var digest = await OciImageWriter.PushAsync(image, client, destination.Push!, token).ConfigureAwait(false);
        return $"{destination.Push!.Name}@{digest}";
    }

    private static async Task SignAsync(ImageReference pushed, string published, string keyPath, IReadOnlyList<string> insecure, PatchResult result,
        RescanCheck rescan, VulnerabilityReport after, TargetReference original, CancellationToken token)
    {
        using var key = SupplyOptions.PrivateKey(keyPath);
        using var client = new RegistryClient(RegistryClientOptions.FromEnvironment(insecure));
        var signing = new ImageSigning(client);
        var image = await signing.ResolveAsync(pushed with { Tag = null, Digest = result.Patched.ManifestDigest }, token).ConfigureAwait(false);
        await signing.SignAsync(image, key, SignatureFormat.Legacy, token).ConfigureAwait(false);
        await signing.AttestAsync(image, key, PatchReport.PredicateType, PatchReport.Predicate(result, rescan), SignatureFormat.Legacy, token).ConfigureAwait(false);
        // The rescan is attached as the vuln attestation admission policies read (docs/policy.md).
        var report = new Scanning.Reporting.ScanReport
        {
            Target = new Scanning.Reporting.ScanTarget("registry:" + published, TargetKind.Registry.ToString(), null, result.Patched.ManifestDigest),
            Scanners = ["vuln"],
            Vulnerabilities = after,
            Content = null,
            TargetWarnings = [],
        };
        using var json = new MemoryStream();
        Scanning.Reporting.ScanJsonWriter.Write(report, json);
        await ScanAttestations.AttachAsync(signing, image, key, SignatureFormat.Legacy, null, json.ToArray(), Inventory.Sbom.InventoryWriters.ToolVersion,
            DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, token).ConfigureAwait(false);
        Console.Error.WriteLine($"zerodrift: signed and attested {image.RepositoryName}@{image.Digest} (patch of {original})");
    }

    private static void WriteTable(PatchResult result, RescanCheck rescan, string published)
    {
        var rows = result.Upgrades.Select(u => (u.Package.Name, $"{u.FromVersion ?? "(new)"} -> {u.Package.Version}",
            string.Join(", ", rescan.Closed.Where(c => c.Package == u.Package.Name).Select(c => c.Id)) is { Length: > 0 } ids ? ids : u.Reason)).ToList();
        var w1 = Math.Max("PACKAGE".Length, rows.Max(r => r.Name.Length));
        var w2 = Math.Max("VERSION".Length, rows.Max(r => r.Item2.Length));
        Console.Out.WriteLine($"{"PACKAGE".PadRight(w1)}  {"VERSION".PadRight(w2)}  ADVISORIES CLOSED");
        foreach (var (name, versions, closed) in rows) Console.Out.WriteLine($"{name.PadRight(w1)}  {versions.PadRight(w2)}  {closed}");
        foreach (var u in result.Unfixable) Console.Out.WriteLine($"{u.Name.PadRight(w1)}  {u.InstalledVersion.PadRight(w2)}  not fixed: {u.Reason}");
        Console.Out.WriteLine();
        Console.Out.WriteLine($"{rescan.Closed.Count} finding(s) closed, confirmed by a rescan; none new. Patched image: {published} ({result.Patched.ManifestDigest}), one new layer {result.Patched.LayerDigest} ({result.Patched.LayerSize} bytes), {result.Patched.KeptLayerDigests.Count} layer(s) kept as they were; {result.Elapsed.TotalSeconds:F1} s.");
        if (result.ScriptsNotRun.Count > 0)
            Console.Out.WriteLine($"Maintainer scripts stored, not run: {string.Join(", ", result.ScriptsNotRun.Select(s => $"{s.Package}.{s.Script}"))}");
    }

    private static List<(string Package, string Id)> Keys(VulnerabilityReport report) =>
        report.Active.Select(f => (f.Finding.Package.Name, f.Finding.Id)).Distinct().ToList();

    private static HashSet<Severity>? Severities(string[]? values)
    {
        if (values is not { Length: > 0 }) return null;
        var set = new HashSet<Severity>();
        foreach (var v in values.SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!Enum.TryParse<Severity>(v, ignoreCase: true, out var s) || int.TryParse(v, out _))
                throw new UsageException($"--severity {v}: expected UNKNOWN, NONE, LOW, MEDIUM, HIGH or CRITICAL");
            set.Add(s);
        }
        return set;
    }
}
