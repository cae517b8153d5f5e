using System.Net;

namespace ZeroDrift.Artifacts.Registry;

/// <summary>One entry of a registry's JSON error body (<c>{"errors":[{"code","message","detail"}]}</c>).</summary>
public sealed record RegistryError(string Code, string Message);

/// <summary>
/// A registry refused, failed or could not be reached. The message is one line for the user; the status and the
/// registry's error codes let callers (push, referrers) react to specific answers such as 404 or BLOB_UNKNOWN.
/// </summary>
public sealed class RegistryException(string message, HttpStatusCode? status = null, IReadOnlyList<RegistryError>? errors = null, Exception? inner = null)
    : ArtifactException(message, inner)
{
    public HttpStatusCode? Status { get; } = status;
    public IReadOnlyList<RegistryError> Errors { get; } = errors ?? [];
}
