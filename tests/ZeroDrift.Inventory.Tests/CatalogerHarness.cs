using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Artifacts.Targets;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Tests;

/// <summary>Runs catalogers over a directory the way a scan does, collecting packages and warnings.</summary>
public static class CatalogerHarness
{
    public static Inventory Scan(string directory, params ICataloger[] catalogers)
    {
        var reference = new TargetReference(TargetKind.Directory, directory);
        var fs = new DirectoryFileSystem(directory);
        using var target = new Target(reference, fs, null, OsRelease.Detect(fs), []);
        return new InventoryScanner(catalogers).Scan(target, ScanLimits.Default, CancellationToken.None);
    }

    public static string Key(this Package p) => $"{p.Name}@{p.Version}";
}
