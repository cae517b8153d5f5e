using System.Xml;
using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.Targets;
using ZeroDrift.Core;
using ZeroDrift.Core.IO;
using ZeroDrift.Inventory;
using ZeroDrift.Remediation.Dependencies.Editors;
using ZeroDrift.Vulnerabilities.Database;
using ZeroDrift.Vulnerabilities.Scanning;

namespace ZeroDrift.Remediation.Dependencies;

public sealed record DependencyFixOptions
{
    /// <summary>Take upgrades that cross a major version (breaking by the ecosystem's rule).</summary>
    public bool AllowMajor { get; init; }

    public ScanLimits Limits { get; init; } = ScanLimits.Default;

    /// <summary>When set, each planned version is looked up in its public registry (npm, NuGet); null stays offline.</summary>
    public RegistryCheck? Registry { get; init; }
}

/// <summary>
/// <c>zerodrift fix PATH</c> for source trees: scans the tree with the scanner's own pipeline (catalogers,
/// matcher, database), plans the smallest upgrades that close every finding, and edits the manifests and lock
/// files that declare the vulnerable versions. Nothing is written until <see cref="Apply"/>; nothing in the
/// tree is executed.
/// </summary>
public sealed class DependencyFixer(VulnerabilityDatabase database)
{
    /// <summary>Manifests larger than this are not edited (the catalogers' own bound is of the same order).</summary>
    public const long MaxManifestBytes = 32L << 20;

    /// <summary>Directories that hold installed or generated copies, never the project's own manifests.</summary>
    private static readonly HashSet<string> SkippedDirectories = new(StringComparer.Ordinal) { ".git", "node_modules", "vendor", "target", "bin", "obj", ".venv", "venv", "__pycache__" };

    private const int MaxDepth = 32;
    private const int MaxFiles = 200_000;

    private static readonly IManifestEditor[] Editors =
        [new NpmEditor(), new RequirementsEditor(), new PythonLockEditor(), new MavenEditor(), new NuGetEditor(), new GoModEditor(), new CargoEditor()];

    public async Task<DependencyFixPlan> PlanAsync(string root, DependencyFixOptions options, CancellationToken cancellationToken)
    {
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root)) throw new ArtifactException($"{root}: not a directory");
        var inventory = await InventoryScanner.Default.ScanAsync(new TargetReference(TargetKind.Directory, root), new TargetOptions { Limits = options.Limits }, cancellationToken).ConfigureAwait(false);
        var report = new VulnerabilityScanner(database, new OsvSeverityRater()).Scan(inventory, new ScanOptions());
        var warnings = new List<string>(inventory.Warnings);
        warnings.AddRange(report.Warnings);
        var upgrades = new UpgradePlanner(database).Plan(report.Active.Select(f => f.Finding), options.AllowMajor, warnings);
        if (options.Registry is { } registry) upgrades = await ConfirmAsync(registry, upgrades, cancellationToken).ConfigureAwait(false);
        var set = new UpgradeSet(upgrades);
        var transitive = Transitive(inventory.Packages);
        var ecosystems = set.All.Select(u => u.Ecosystem).ToHashSet();

        var changes = new List<FileChange>();
        var notes = new List<string>();
        foreach (var file in ManifestFiles(root, warnings, cancellationToken))
        {
            var name = Path.GetFileName(file);
            var editor = Editors.FirstOrDefault(e => e.Handles(name) && ecosystems.Contains(e.Ecosystem));
            if (editor is null) continue;
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            string text;
            try { text = BoundedFile.ReadAllText(file, MaxManifestBytes, "manifest"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArtifactException or Core.Budgets.BudgetExceededException)
            {
                warnings.Add($"{relative}: not edited: {OneLine(e.Message)}");
                continue;
            }
            var directory = Path.GetDirectoryName(file)!;
            var context = new EditContext(root, relative, set, sibling => ReadSibling(directory, sibling), u => transitive.Contains((u.Ecosystem, u.Name.ToLowerInvariant())));
            try
            {
                var result = editor.Edit(context, text);
                notes.AddRange(result.Notes);
                if (result.Edits.Count > 0 && result.After != text) changes.Add(new FileChange(relative, text, result.After, result.Edits));
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or XmlException or FormatException or InvalidOperationException or ArgumentException)
            {
                warnings.Add($"{relative}: not edited: {OneLine(e.Message)}");
            }
        }
        var edited = changes.SelectMany(c => c.Edits).Select(e => (e.Ecosystem, e.Package.ToLowerInvariant())).ToHashSet();
        var unedited = upgrades.Where(u => u.Taken && !edited.Contains((u.Ecosystem, u.Name.ToLowerInvariant())))
            .Select(u => $"{u.Ecosystem.DisplayName()} {u.Name} {u.From} → {u.To}: no manifest or lock file the fixer edits declares it").ToList();
        return new DependencyFixPlan { Root = root, Upgrades = upgrades, Changes = changes, Notes = notes.Distinct().ToList(), Warnings = warnings, Unedited = unedited };
    }

    /// <summary>A version its registry says was never published is not written into a manifest: it could not resolve.</summary>
    private static async Task<IReadOnlyList<DependencyUpgrade>> ConfirmAsync(RegistryCheck registry, IReadOnlyList<DependencyUpgrade> upgrades, CancellationToken cancellationToken)
    {
        var checkedUpgrades = new List<DependencyUpgrade>(upgrades.Count);
        foreach (var u in upgrades)
        {
            if (!u.Taken) { checkedUpgrades.Add(u); continue; }
            var exists = await registry.ExistsAsync(u.Ecosystem, u.Name, u.To!, cancellationToken).ConfigureAwait(false);
            checkedUpgrades.Add(exists == false
                ? u with { Confirmed = false, SkipReason = $"{u.To} is not published in the {u.Ecosystem.DisplayName()} registry" }
                : u with { Confirmed = exists });
        }
        return checkedUpgrades;
    }

    /// <summary>
    /// Writes every change: each file through a temporary sibling and a rename, so a reader sees the old file
    /// or the new one, never half. A file that became a link, or that resolves outside the root since the plan
    /// was made, is skipped with a warning. Returns the warnings.
    /// </summary>
    public static IReadOnlyList<string> Apply(DependencyFixPlan plan)
    {
        var warnings = new List<string>();
        var root = Path.GetFullPath(plan.Root);
        foreach (var change in plan.Changes)
        {
            var full = Path.GetFullPath(Path.Combine(root, change.File));
            try
            {
                if (!IsInside(root, full) || HasLinkBetween(root, full))
                {
                    warnings.Add($"{change.File}: not written: it is, or is reached through, a symbolic link or lies outside {root}");
                    continue;
                }
                var current = File.ReadAllText(full);
                if (current != change.Before)
                {
                    warnings.Add($"{change.File}: not written: it changed since the fix was planned");
                    continue;
                }
                var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.zerodrift-{Guid.NewGuid():N}.tmp");
                try
                {
                    File.WriteAllText(temp, change.After, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: HasBom(full)));
                    if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, File.GetUnixFileMode(full));
                    File.Move(temp, full, overwrite: true);
                }
                finally
                {
                    if (File.Exists(temp)) File.Delete(temp);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                warnings.Add($"{change.File}: not written: {OneLine(e.Message)}");
            }
        }
        return warnings;
    }

    private static bool HasBom(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[3];
        return stream.Read(head) == 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF;
    }

    private static bool IsInside(string root, string full) =>
        full.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);

    private static bool HasLinkBetween(string root, string full)
    {
        for (var path = full; path.Length > root.TrimEnd('/').Length; path = Path.GetDirectoryName(path)!)
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is not null) return true;
        }
        return false;
    }

    /// <summary>Packages the tree holds only as dependencies of dependencies (lock-file entries no manifest declares).</summary>
    private static HashSet<(Ecosystem, string)> Transitive(IReadOnlyList<Package> packages)
    {
        var declared = packages.Where(p => p.FoundBy is "nuget-csproj" || p.Metadata.GetValueOrDefault("type") == "Direct")
            .Select(p => (p.Ecosystem, p.Name.ToLowerInvariant())).ToHashSet();
        return packages.Where(p => !declared.Contains((p.Ecosystem, p.Name.ToLowerInvariant()))).Select(p => (p.Ecosystem, p.Name.ToLowerInvariant())).ToHashSet();
    }

    private static string? ReadSibling(string directory, string name)
    {
        var path = Path.Combine(directory, name);
        try
        {
            var info = new FileInfo(path);
            return info.Exists && info.LinkTarget is null ? BoundedFile.ReadAllText(path, MaxManifestBytes, "manifest") : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArtifactException or Core.Budgets.BudgetExceededException)
        {
            return null;
        }
    }

    /// <summary>The tree's regular files, links never followed, installed-copy directories skipped, depth and count bounded.</summary>
    private static IEnumerable<string> ManifestFiles(string root, List<string> warnings, CancellationToken cancellationToken)
    {
        var pending = new Stack<(string Path, int Depth)>();
        pending.Push((root, 0));
        var count = 0;
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (directory, depth) = pending.Pop();
            IEnumerable<FileSystemInfo> entries;
            try { entries = new DirectoryInfo(directory).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal).ToList(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                warnings.Add($"{Path.GetRelativePath(root, directory)}: not searched: {OneLine(e.Message)}");
                continue;
            }
            foreach (var entry in entries.Reverse())
            {
                if (entry.LinkTarget is not null) continue;
                if (entry is DirectoryInfo)
                {
                    if (SkippedDirectories.Contains(entry.Name)) continue;
                    if (depth + 1 > MaxDepth) { warnings.Add($"{Path.GetRelativePath(root, entry.FullName)}: not searched: deeper than {MaxDepth} directories"); continue; }
                    pending.Push((entry.FullName, depth + 1));
                }
                else if (++count > MaxFiles)
                {
                    warnings.Add($"more than {MaxFiles} files: the rest of the tree was not searched for manifests");
                    yield break;
                }
                else yield return entry.FullName;
            }
        }
    }

    private static string OneLine(string message) => message.Split('\n')[0].Trim();
}
