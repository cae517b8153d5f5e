using System.CommandLine;
using ZeroDrift.Cli.Output;
using ZeroDrift.DynamicTesting.Vex;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Vulnerabilities.Scanning;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>zerodrift vex generate IMAGE --profile P …</c>: OpenVEX from what really ran (docs/vex.md). The image's packages
/// and their vulnerabilities as <c>scan</c> finds them, each package judged against the files the profiles loaded.
/// </summary>
public static class VexCommand
{
    public static Command Create()
    {
        var vex = new Command("vex", "VEX documents from runtime evidence");
        vex.Subcommands.Add(Generate());
        return vex;
    }

    private static Command Generate()
    {
        var target = new TargetOptionsBinder();
        var profiles = new Option<FileInfo[]>("--profile") { Description = "A behaviour profile of this image (YAML, as 'zerodrift test --profile-out' or 'zerodrift profile export' write it); repeatable", AllowMultipleArgumentsPerToken = true };
        var output = new Option<FileInfo?>("--output", "-f") { Description = "Write the OpenVEX document to this file instead of standard output" };
        var maxDbAge = new Option<int>("--max-db-age") { Description = "Refuse a database last updated more than this many days ago (default 30; 0 = no limit)", DefaultValueFactory = _ => 30 };
        var allowStale = new Option<bool>("--allow-stale-db") { Description = "Only warn when the database is older than --max-db-age" };
        var command = new Command("generate", "OpenVEX for an image: packages none of whose files any profile loaded are not_affected (vulnerable_code_not_in_execute_path)");
        target.AddTo(command);
        foreach (var o in new Option[] { profiles, output, DbCommand.DbOption, maxDbAge, allowStale }) command.Options.Add(o);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var files = parse.GetValue(profiles) ?? [];
            if (files.Length == 0) throw new UsageException("--profile: give at least one behaviour profile of the image");
            foreach (var file in files)
                if (!file.Exists) throw new UsageException($"--profile {file.FullName}: no such file");
            // Read beside the inventory and the scan, which do not need them: 100,000 entries cost about as much as
            // the rest of the command (bench/scripts/vex-generate.sh), and the node has more than one core.
            var reading = files.Select(file => Task.Run(() => (Source: file.Name, Paths: ProfilePaths.Read(file.FullName)), token)).ToList();
            using var database = ScanCommand.OpenDatabase(parse.GetValue(DbCommand.DbOption), parse.GetValue(maxDbAge), parse.GetValue(allowStale));
            var inventory = await target.InventoryAsync(parse, token).ConfigureAwait(false);
            foreach (var warning in inventory.Warnings) Terminal.Warn(warning);
            var report = new VulnerabilityScanner(database, new Vulnerabilities.Scanning.OsvSeverityRater()).Scan(inventory, new ScanOptions());
            if (report.NotScannable.Count > 0) throw new UsageException($"{report.NotScannable.Count} package database(s) could not be read: no VEX from an incomplete inventory");
            var loaded = new LoadedFiles();
            var evidence = new List<ProfileEvidence>();
            foreach (var (source, profile) in await Task.WhenAll(reading).ConfigureAwait(false))
            {
                loaded.Add(profile, source);
                evidence.Add(ProfileEvidence.Of(profile, source));
            }
            var digest = inventory.Image?.ManifestDigest;
            // A profile of another image build is evidence about other files: said, not refused (podman's local digest
            // of an image and an archive's can differ for the same content).
            foreach (var e in evidence.Where(e => digest is not null && e.ImageDigest != digest))
                Terminal.Warn($"--profile {e.Source} was learned on {e.ImageDigest}, the target is {digest}: its files are used as evidence for this image");
            var product = digest is null ? inventory.Target : $"pkg:oci/{ImageName(inventory.Target)}@{Uri.EscapeDataString(digest)}";
            var result = RuntimeVex.Generate(report, product, evidence, loaded, DateTimeOffset.UtcNow);
            var counts = result.Packages.GroupBy(p => p.Use).ToDictionary(g => g.Key, g => g.Count());
            Console.Error.WriteLine($"zerodrift: vex: {result.Packages.Count} packages: {counts.GetValueOrDefault(PackageUse.Loaded)} loaded, "
                + $"{counts.GetValueOrDefault(PackageUse.NeverLoaded)} never loaded, {counts.GetValueOrDefault(PackageUse.NoFileList)} without a file list; "
                + $"{result.NotAffected} not_affected, {result.UnderInvestigation} under_investigation statements");
            await ReportOutput.WriteDocumentAsync(parse.GetValue(output), s => s.Write(result.Document)).ConfigureAwait(false);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>The repository's last name of an image reference (<c>oci-dir:/x/web</c> → <c>web</c>, <c>reg/shop/web:1</c> → <c>web</c>).</summary>
    private static string ImageName(string target)
    {
        var name = target[(target.IndexOf(':') is var c and > 0 && !target[..c].Contains('/') && !target[..c].Contains('.') ? c + 1 : 0)..].TrimEnd('/');
        name = name[(name.LastIndexOf('/') + 1)..];
        var tag = name.IndexOfAny([':', '@']);
        return Uri.EscapeDataString((tag > 0 ? name[..tag] : name).ToLowerInvariant());
    }
}
