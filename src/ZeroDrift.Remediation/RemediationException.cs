namespace ZeroDrift.Remediation;

/// <summary>A fix that cannot be made: one line naming the package, file or repository at fault.</summary>
public sealed class RemediationException(string message, Exception? inner = null) : Artifacts.ArtifactException(message, inner);
