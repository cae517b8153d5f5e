using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ZeroDrift.Artifacts.FileSystems;

namespace ZeroDrift.Inventory.Catalogers.Shared;

/// <summary>
/// A per-file-system, per-directory cache of something computed from a directory's contents (the packages
/// installed beside one another in a site-packages or specifications directory), so that resolving each
/// package's dependencies against its siblings reads the directory once, not once per package.
/// </summary>
internal sealed class SiblingIndex<T> where T : class
{
    private readonly ConditionalWeakTable<IFileSystem, ConcurrentDictionary<string, Lazy<T>>> _cache = new();

    public T Get(IFileSystem fileSystem, string directory, Func<string, T> build) =>
        _cache.GetValue(fileSystem, _ => new ConcurrentDictionary<string, Lazy<T>>(StringComparer.Ordinal))
            .GetOrAdd(directory, d => new Lazy<T>(() => build(d), LazyThreadSafetyMode.ExecutionAndPublication))
            .Value;
}
