using System.Diagnostics;
using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Artifacts.Targets;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Tests.Catalogers;

/// <summary>Runs one cataloger over files in a temp dir, and the package managers the oracle tests compare against.</summary>
internal static class LockfileHarness
{
    public sealed record Result(List<Package> Packages, List<string> Warnings)
    {
        public Package Get(string purl) =>
            Packages.SingleOrDefault(p => p.Purl.ToString() == purl)
            ?? throw new Xunit.Sdk.XunitException($"no package {purl}; found: {string.Join(", ", Packages.Select(p => p.Purl.ToString()))}");

        public HashSet<string> NameVersions() => Packages.Select(p => $"{p.Name}@{p.Version}").ToHashSet(StringComparer.Ordinal);

        /// <summary>The graph as "name@version -> name@version" lines, for comparing with a package manager's own view.</summary>
        public HashSet<string> Edges()
        {
            var byId = Packages.ToDictionary(p => p.Id, p => $"{p.Name}@{p.Version}");
            return Packages.SelectMany(p => p.DependsOn.Select(d => $"{p.Name}@{p.Version} -> {byId[d]}")).ToHashSet(StringComparer.Ordinal);
        }

        /// <summary>The names and versions <paramref name="purl"/> depends on.</summary>
        public List<string> DependenciesOf(string purl)
        {
            var byId = Packages.ToDictionary(p => p.Id, p => p.Purl.ToString());
            return Get(purl).DependsOn.Select(d => byId[d]).Order(StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>Catalogs the single file <paramref name="relativePath"/> of <paramref name="root"/>.</summary>
    public static Result Run(ICataloger cataloger, string root, string relativePath, ScanLimits? limits = null)
    {
        using var fs = new DirectoryFileSystem(root);
        var entry = fs.Lstat("/" + relativePath.TrimStart('/')) ?? throw new FileNotFoundException(relativePath);
        Assert.True(cataloger.FileRequired(entry), $"{cataloger.Name} does not require {entry.Path}");
        var warnings = new List<string>();
        var packages = cataloger.Catalog(new CatalogContext(fs, null, limits ?? ScanLimits.Default, warnings.Add), entry).ToList();
        return new Result(packages, warnings);
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="relativePath"/> of a new temp dir and catalogs it.</summary>
    public static Result RunText(ICataloger cataloger, string relativePath, string content, ScanLimits? limits = null)
    {
        using var dir = new TempDir();
        dir.File(relativePath, content);
        return Run(cataloger, dir.Path, relativePath, limits);
    }

    /// <summary>The whole scanner over a directory, as `zerodrift sbom dir` runs it: malformed files become warnings.</summary>
    public static Inventory Scan(string root, params ICataloger[] catalogers)
    {
        using var target = new Target(new TargetReference(TargetKind.Directory, root), new DirectoryFileSystem(root), null, null, []);
        return new InventoryScanner(catalogers).Scan(target, ScanLimits.Default, CancellationToken.None);
    }

    /// <summary>Runs a tool; a missing tool or a failure fails the test with what the tool said (never a silent pass).</summary>
    public static string Tool(string workingDirectory, TimeSpan timeout, string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // dotnet test exports MSBuild variables that would make a nested dotnet use the test run's build settings.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("MSBUILD", StringComparison.Ordinal) || k == "DOTNET_HOST_PATH").ToList())
            start.Environment.Remove(key);
        // CI=true makes Yarn Berry refuse to write a lockfile and pnpm default to a frozen one: the oracles
        // create projects from nothing, so they run as on a developer's machine.
        start.Environment.Remove("CI");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{fileName} is required for this oracle test and could not be run: {e.Message}");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new Xunit.Sdk.XunitException($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout}");
            }
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new Xunit.Sdk.XunitException($"{fileName} {string.Join(' ', arguments)} failed with exit code {process.ExitCode} (is the registry reachable?):\n{stdout.Result}\n{stderr.Result}");
            return stdout.Result;
        }
    }
}
