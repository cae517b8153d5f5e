using System.Collections.Concurrent;
using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Artifacts.Targets;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory;

/// <summary>
/// Opens a target and runs every cataloger over it in one pass: the walk asks each cataloger which files it
/// needs, then each required file is read once. A file that fails to parse becomes a warning; the scan goes on.
/// </summary>
public sealed class InventoryScanner(IReadOnlyList<ICataloger> catalogers)
{
    public static InventoryScanner Default => new(Catalogers.CatalogerRegistry.All);

    public IReadOnlyList<ICataloger> Registered => catalogers;

    /// <summary>True when any cataloger needs the file: the predicate an image's layers are read with.</summary>
    public bool Requires(FileEntry entry) =>
        catalogers.Any(c => c.FileRequired(entry) || c.AuxiliaryFileRequired(entry));

    public async Task<Inventory> ScanAsync(TargetReference reference, TargetOptions options, CancellationToken cancellationToken)
    {
        using var target = await TargetOpener.OpenAsync(reference, Requires, options, cancellationToken).ConfigureAwait(false);
        return Scan(target, options.Limits, cancellationToken);
    }

    public Inventory Scan(Target target, ScanLimits limits, CancellationToken cancellationToken)
    {
        var warnings = new ConcurrentQueue<string>();
        var context = new CatalogContext(target.FileSystem, target.Distro, limits, warnings.Enqueue);
        var work = new List<(ICataloger Cataloger, FileEntry Entry)>();
        foreach (var entry in target.FileSystem.Enumerate(cancellationToken))
        {
            if (entry.Kind is not (FileKind.Regular or FileKind.Hardlink)) continue;
            foreach (var cataloger in catalogers)
                if (cataloger.FileRequired(entry)) work.Add((cataloger, entry));
        }

        var found = new ConcurrentBag<(int Order, Package Package)>();
        var stats = catalogers.ToDictionary(c => c.Name, _ => new int[3]);
        Parallel.ForEach(work.Select((w, i) => (w.Cataloger, w.Entry, Order: i)),
            new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount },
            item =>
            {
                var counters = stats[item.Cataloger.Name];
                Interlocked.Increment(ref counters[0]);
                try
                {
                    var n = 0;
                    foreach (var package in item.Cataloger.Catalog(context, item.Entry))
                    {
                        found.Add((item.Order * 100_000 + n++, package));
                    }
                    Interlocked.Add(ref counters[1], n);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Interlocked.Increment(ref counters[2]);
                    warnings.Enqueue($"{item.Entry.Path}: {item.Cataloger.Name}: {Describe(e)}");
                }
            });

        var packages = OwnershipResolver.MarkOwned(found.OrderBy(f => f.Order).Select(f => f.Package).ToList());
        return new Inventory
        {
            Target = target.Reference.ToString(),
            TargetKind = target.Reference.Kind.ToString(),
            Image = target.Image,
            Distro = target.Distro,
            Packages = packages,
            Warnings = [.. target.Warnings, .. warnings.OrderBy(w => w, StringComparer.Ordinal)],
            Catalogers = catalogers.Select(c => new CatalogerStats(c.Name, stats[c.Name][0], stats[c.Name][1], stats[c.Name][2])).ToList(),
        };
    }

    /// <summary>One line for a parse failure: the parser's own message, never a stack trace.</summary>
    private static string Describe(Exception e) => e switch
    {
        ArtifactException or FormatException or InvalidDataException or Core.Budgets.BudgetExceededException => e.Message.Split('\n')[0],
        System.Text.Json.JsonException => "invalid JSON: " + e.Message.Split('\n')[0],
        YamlDotNet.Core.YamlException y => "invalid YAML: " + y.Message.Split('\n')[0],
        // A failure no reader turned into words yet: still one plain line (the type is for --debug, never the user).
        _ => "cannot be read: " + e.Message.Split('\n')[0],
    };
}
