using System.Diagnostics;
using System.Text.Json;
using ZeroDrift.Server.Remediation;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Cli.Commands;

/// <summary>How the server's own patcher calls <c>zerodrift fix</c>: the repositories, keyring, database and signing key.</summary>
public sealed record ServerPatchConfig(
    IReadOnlyList<string> Repos, IReadOnlyList<string> Keyrings, bool ImageSources, string? VulnerabilityDb, IReadOnlyList<string> InsecureRegistries, string? SignKey);

/// <summary>
/// Runs a patch-image job through the public entry points, in a child process of this same program:
/// <c>zerodrift fix IMAGE --push DEST --format json</c> (with <c>--sign --key</c> when the server has a key), then
/// <c>zerodrift scan DEST@DIGEST --format json</c>, whose report the server ingests. A child process because the image
/// and the packages are untrusted input: their parsing, memory and time stay out of the server, which only reads two
/// JSON documents back (and a failure is the child's last stderr line).
/// </summary>
public sealed class ServerPatchRunner(ServerPatchConfig config, TimeSpan? timeout = null) : IImagePatchRunner
{
    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromMinutes(30);

    public async Task<ImagePatchOutcome> PatchAsync(RemediationView job, string destination, CancellationToken ct)
    {
        var image = job.Image.StartsWith("registry:", StringComparison.Ordinal) ? job.Image[9..] : job.Image;
        // The job names the digest that was scanned: patch exactly that image, not whatever the tag points to now.
        var pinned = job.ImageDigest.Length > 0 && !image.Contains('@', StringComparison.Ordinal) ? $"{image}@{job.ImageDigest}" : image;
        var fix = new List<string> { "fix", pinned, "--push", destination, "--format", "json" };
        foreach (var repo in config.Repos) fix.AddRange(["--repo", repo]);
        foreach (var keyring in config.Keyrings) fix.AddRange(["--keyring", keyring]);
        if (config.ImageSources) fix.Add("--image-sources");
        if (config.SignKey is { } key) fix.AddRange(["--sign", "--key", key]);
        var common = new List<string>();
        if (config.VulnerabilityDb is { } db) common.AddRange(["--db", db]);
        foreach (var host in config.InsecureRegistries) common.AddRange(["--insecure-registry", host]);

        var fixed_ = await RunAsync([.. fix, .. common], ct).ConfigureAwait(false);
        string published, digest;
        try
        {
            using var json = JsonDocument.Parse(fixed_);
            published = json.RootElement.GetProperty("published").GetString() ?? throw new ImagePatchException("zerodrift fix did not say where it pushed the image");
            digest = json.RootElement.GetProperty("patched").GetProperty("digest").GetString() ?? throw new ImagePatchException("zerodrift fix did not give the patched digest");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ImagePatchException($"zerodrift fix answered no JSON report: {e.Message}");
        }
        var report = await RunAsync(["scan", published, "--format", "json", .. common], ct).ConfigureAwait(false);
        // Recorded with its tag and digest (name:tag@sha256:…): the tag says where to find it, the digest what it is.
        return new ImagePatchOutcome($"{destination}@{digest}", digest, System.Text.Encoding.UTF8.GetBytes(report));
    }

    /// <summary>This program again: the zerodrift executable (apphost or single file), else <c>dotnet zerodrift.dll</c> beside this assembly (the dotnet host, a test host).</summary>
    internal static (string File, string[] Prefix) Self()
    {
        var process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == "zerodrift") return (process, []);
        return ("dotnet", [Path.Combine(AppContext.BaseDirectory, "zerodrift.dll")]);
    }

    private async Task<string> RunAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var (file, prefix) = Self();
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in prefix.Concat(args)) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new ImagePatchException($"cannot start {file}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(_timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (ct.IsCancellationRequested) throw;
            throw new ImagePatchException($"zerodrift {args[0]} did not finish in {_timeout.TotalMinutes:0} minutes");
        }
        var output = await stdout.ConfigureAwait(false);
        var errors = await stderr.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            var line = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? $"exit code {process.ExitCode}";
            const string Prefix = "zerodrift: error: ";
            throw new ImagePatchException($"zerodrift {args[0]}: {(line.StartsWith(Prefix, StringComparison.Ordinal) ? line[Prefix.Length..] : line)}");
        }
        return output;
    }
}
