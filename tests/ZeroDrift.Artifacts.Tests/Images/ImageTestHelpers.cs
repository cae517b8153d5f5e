using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Artifacts.Targets;

namespace ZeroDrift.Artifacts.Tests.Images;

internal static class ImageTestHelpers
{
    /// <summary>Opens a target keeping the content of every file, as a scan that asks for everything would.</summary>
    public static Task<Target> OpenAll(string reference, ScanLimits? limits = null, string? platform = null) =>
        TargetOpener.OpenAsync(TargetReference.Parse(reference), _ => true,
            new TargetOptions { Limits = limits ?? ScanLimits.Default, Platform = platform is null ? null : Artifacts.Images.Platform.Parse(platform) },
            CancellationToken.None);

    public static string Text(this Target target, string path) =>
        target.FileSystem.ReadText(path) ?? throw new Xunit.Sdk.XunitException($"{path} not found in {target.Name}");
}
