namespace ZeroDrift.Artifacts;

/// <summary>
/// A target that cannot be read as asked: corrupt or truncated archive, digest mismatch, unknown media type,
/// a limit exceeded. The message is one line a user can act on; the command exits 2 with it.
/// </summary>
public class ArtifactException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A configured limit (bytes, entries, ratio, nesting) was exceeded by hostile or oversized input.</summary>
public sealed class LimitExceededException(string message) : ArtifactException(message);
