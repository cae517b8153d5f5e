using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Shared;

namespace ZeroDrift.Inventory.Catalogers.Go;

/// <summary>
/// Go executables (ELF): the build information the linker embeds in <c>.go.buildinfo</c>, which is what
/// <c>go version -m</c> prints. Each dependency module becomes a package (its replacement when another module
/// replaced it), the main module one too (version "(devel)" when built from a checkout), and the toolchain a
/// <c>stdlib</c> package, as Syft reports it. Only the ELF header, the section table and the build info are read.
/// </summary>
public sealed class GoBinaryCataloger : ICataloger
{
    /// <summary>Executables smaller than this are not worth opening (a Go binary is at least ~1 MB).</summary>
    private const long MinSize = 64 * 1024;

    public string Name => "go-binary";

    public bool FileRequired(FileEntry entry) => entry.IsExecutable && entry.Size >= MinSize && entry.Size <= BinaryInput.MaxExecutableBytes;

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        GoBuildInfo? info;
        using (var stream = BinaryInput.OpenElf(context, entry))
        {
            if (stream is null) return [];
            var elf = ElfFile.TryOpen(stream);
            info = elf is null ? null : GoBuildInfo.Read(elf);
        }
        return info is null ? [] : ToPackages(info, entry);
    }

    /// <summary>The packages one binary's build information declares, located at <paramref name="entry"/>.</summary>
    public IReadOnlyList<Package> ToPackages(GoBuildInfo info, FileEntry entry)
    {
        var common = new Dictionary<string, string>(StringComparer.Ordinal) { ["goVersion"] = info.GoVersion };
        if (info.Path is not null) common["path"] = info.Path;
        if (info.Main is not null) common["mainModule"] = info.Main.Path;
        // Build settings describe the binary: kept on the main module and stdlib, not repeated on every dependency.
        var binary = new Dictionary<string, string>(common);
        foreach (var (key, value) in info.Settings) binary["build." + key] = value;

        var packages = new List<Package>();
        // Two modules replaced by the same one would be one package twice: keep the first.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dep in info.Deps)
            if (ModulePackage(dep, entry, new Dictionary<string, string>(common)) is var package && seen.Add(package.Purl.ToString()))
                packages.Add(package);
        if (GoPackages.StdlibVersion(info.GoVersion) is { } stdlibVersion)
        {
            var purl = GoPackages.Purl("stdlib", stdlibVersion);
            packages.Add(new Package
            {
                Name = "stdlib",
                Version = stdlibVersion,
                Ecosystem = Ecosystem.Go,
                Purl = purl,
                FoundBy = Name,
                Locations = [entry.Location],
                Licenses = ["BSD-3-Clause"],
                Metadata = new Dictionary<string, string>(binary),
            });
        }
        if (info.Main is not null)
        {
            var main = ModulePackage(info.Main, entry, new Dictionary<string, string>(binary) { ["main"] = "true" });
            packages.Insert(0, main with { DependsOn = packages.Select(p => p.Id).ToList() });
        }
        return packages;
    }

    private Package ModulePackage(GoModule module, FileEntry entry, Dictionary<string, string> metadata)
    {
        var (path, version) = (module.Path, module.Version);
        if (module.Sum is not null) metadata["sum"] = module.Sum;
        if (module.Replace is { } replace)
        {
            metadata["replace"] = $"{replace.Path} {replace.Version}".TrimEnd();
            if (replace.Sum is not null) metadata["sum"] = replace.Sum;
            // A module replaced by another module is that module's code; a directory replacement keeps the name.
            if (!replace.IsLocalPath)
            {
                metadata["replaces"] = $"{module.Path}@{module.Version}";
                (path, version) = (replace.Path, replace.Version);
            }
        }
        return new Package
        {
            Name = path,
            Version = version,
            Ecosystem = Ecosystem.Go,
            Purl = GoPackages.Purl(path, version),
            FoundBy = Name,
            Locations = [entry.Location],
            Metadata = metadata,
        };
    }
}
