using ZeroDrift.Artifacts;

namespace ZeroDrift.Supply;

/// <summary>A key, signature, attestation or policy that cannot be used: one line for the user.</summary>
public sealed class SupplyException(string message, Exception? inner = null) : ArtifactException(message, inner);
