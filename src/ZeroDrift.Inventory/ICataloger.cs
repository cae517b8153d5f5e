using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Core.Budgets;

namespace ZeroDrift.Inventory;

/// <summary>
/// Finds packages of one kind. The walker asks every cataloger <see cref="FileRequired"/> for every file, from
/// its path and size alone; only files some cataloger requires are read (and, for images, kept from the layers).
/// Each cataloger lives in its own folder under <c>Catalogers/</c> with its tests beside the others'.
/// </summary>
public interface ICataloger
{
    /// <summary>Short stable name, reported as each package's <c>foundBy</c> (e.g. <c>dpkg</c>, <c>npm-lock</c>).</summary>
    string Name { get; }

    /// <summary>True when <paramref name="entry"/> is a file this cataloger reads packages from.</summary>
    bool FileRequired(FileEntry entry);

    /// <summary>
    /// Files the cataloger opens beside those it starts from (dpkg's <c>info/*.list</c>, say): kept from image
    /// layers but not passed to <see cref="Catalog"/> on their own.
    /// </summary>
    bool AuxiliaryFileRequired(FileEntry entry) => false;

    /// <summary>Reads the packages <paramref name="entry"/> declares. Throw on malformed input: the caller turns it into a per-file warning.</summary>
    IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry);
}

/// <summary>What a cataloger may use while reading one file.</summary>
public sealed class CatalogContext(IFileSystem fileSystem, Distro? distro, Artifacts.ScanLimits limits, Action<string> warn)
{
    public IFileSystem FileSystem { get; } = fileSystem;
    public Distro? Distro { get; } = distro;
    public Artifacts.ScanLimits Limits { get; } = limits;

    /// <summary>The budget of each file a cataloger parses: bytes, nesting, items, time (from <see cref="Limits"/>).</summary>
    public ParseBudget Budget { get; } = limits.Parsing;

    /// <summary>A problem with one file that does not stop the scan.</summary>
    public void Warn(string message) => warn(message);

    /// <summary>Opens a file the walker gave, bounded by the per-file size limit.</summary>
    public Stream Open(FileEntry entry)
    {
        if (entry.Size > Limits.MaxFileBytes)
            throw new Artifacts.LimitExceededException($"{entry.Path}: {entry.Size} bytes, larger than the {Limits.MaxFileBytes} byte limit for a parsed file");
        return FileSystem.Open(entry);
    }

    public string ReadText(FileEntry entry) => FileSystem.ReadText(entry, Limits.MaxFileBytes);
}
