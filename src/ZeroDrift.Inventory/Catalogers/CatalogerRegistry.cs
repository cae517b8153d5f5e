namespace ZeroDrift.Inventory.Catalogers;

/// <summary>Every cataloger ZeroDrift ships. Adding one is adding a folder here and a line below.</summary>
public static class CatalogerRegistry
{
    public static IReadOnlyList<ICataloger> All { get; } =
    [
        new Dpkg.DpkgCataloger(),
        new Apk.ApkCataloger(),
        new Rpm.RpmCataloger(),
        new Java.PomCataloger(),
        new Java.JavaArchiveCataloger(),
        new Npm.NpmLockCataloger(),
        new Npm.YarnLockCataloger(),
        new Npm.PnpmLockCataloger(),
        new Npm.NpmInstalledCataloger(),
        new DotNet.NuGetLockCataloger(),
        new DotNet.DotNetDepsCataloger(),
        new DotNet.NuGetAssetsCataloger(),
        new DotNet.NuGetPackagesConfigCataloger(),
        new DotNet.NuGetProjectCataloger(),
        new Python.PythonInstalledCataloger(),
        new Python.RequirementsTxtCataloger(),
        new Python.PoetryLockCataloger(),
        new Python.PipfileLockCataloger(),
        new Python.UvLockCataloger(),
        new Go.GoModCataloger(),
        new Go.GoBinaryCataloger(),
        new Rust.CargoLockCataloger(),
        new Rust.CargoAuditableCataloger(),
        new Ruby.GemfileLockCataloger(),
        new Ruby.GemspecCataloger(),
        new Php.ComposerLockCataloger(),
        new Php.ComposerInstalledCataloger(),
    ];
}
