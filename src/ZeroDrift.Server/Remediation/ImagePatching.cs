using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Remediation;

/// <summary>
/// Runs one patch-image job: patches the image, pushes it to <paramref name="destination"/> and rescans the pushed
/// image. The server composes it and knows nothing of how (the CLI runs its own <c>zerodrift fix</c> and
/// <c>zerodrift scan</c>: docs/remediation.md).
/// </summary>
public interface IImagePatchRunner
{
    Task<ImagePatchOutcome> PatchAsync(RemediationView job, string destination, CancellationToken ct);
}

/// <param name="PatchedImage">Where it was pushed, <c>name@sha256:…</c>.</param>
/// <param name="RescanReport">A <c>zerodrift scan --format json</c> report of the pushed image.</param>
public sealed record ImagePatchOutcome(string PatchedImage, string PatchedDigest, byte[] RescanReport);

/// <summary>A patch that did not happen: one line, recorded on the job.</summary>
public sealed class ImagePatchException(string message) : Exception(message);

/// <summary>How the server patches images itself (<c>zerodrift server --patch-images</c>).</summary>
/// <param name="Repository">Push patched images to this repository (host[:port]/path) instead of beside the original.</param>
/// <param name="TagSuffix">Appended to the original tag: <c>1.0</c> → <c>1.0-zdpatched</c>.</param>
public sealed record ImagePatchSettings(IImagePatchRunner Runner, string? Repository = null, string TagSuffix = "-zdpatched", TimeSpan? PollInterval = null, TimeSpan? Lease = null);

/// <summary>Where a patched image goes: next to the original (same repository, tag + suffix) or in a configured repository.</summary>
public static class PatchDestination
{
    public static string For(string image, string? repository, string suffix)
    {
        var reference = image.StartsWith("registry:", StringComparison.Ordinal) ? image[9..] : image;
        string name, tag;
        var at = reference.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            // A digest reference has no tag to extend: name the patch after the digest.
            name = reference[..at];
            var hex = reference[(at + 1)..].Split(':')[^1];
            tag = "sha256-" + hex[..Math.Min(12, hex.Length)];
        }
        else
        {
            var slash = reference.LastIndexOf('/');
            var colon = reference.LastIndexOf(':');
            (name, tag) = colon > slash ? (reference[..colon], reference[(colon + 1)..]) : (reference, "latest");
        }
        if (repository is { Length: > 0 }) name = repository.TrimEnd('/');
        return $"{name}:{tag}{suffix}";
    }
}
