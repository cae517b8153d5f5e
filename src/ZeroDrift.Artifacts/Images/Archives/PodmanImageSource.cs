using System.Diagnostics;
using ZeroDrift.Artifacts.Temp;

namespace ZeroDrift.Artifacts.Images.Archives;

/// <summary>A local podman image, exported with <c>podman save</c> into a private temporary archive and read from there.</summary>
public sealed class PodmanImageSource(string name, ScanLimits limits) : IImageSource
{
    private readonly PrivateTempDirectory _temp = new("podman");

    public async Task<ResolvedImage> ResolveAsync(Platform? platform, CancellationToken cancellationToken)
    {
        var archive = _temp.NewFile(".tar");
        var start = new ProcessStartInfo("podman")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "save", "--format", "docker-archive", "--output", archive, name }) start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new ArtifactException("podman: could not start");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new ArtifactException($"podman:{name}: podman is not installed or not on PATH");
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                var message = (await stderr.ConfigureAwait(false)).Trim().Split('\n').LastOrDefault() ?? "";
                throw new ArtifactException($"podman:{name}: podman save failed ({message})");
            }
        }
        var image = await new DockerArchiveSource(archive, null, limits).ResolveAsync(platform, cancellationToken).ConfigureAwait(false);
        return image with { Metadata = image.Metadata with { Reference = $"podman:{name}" } };
    }

    public void Dispose() => _temp.Dispose();
}
