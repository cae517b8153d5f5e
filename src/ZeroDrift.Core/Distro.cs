namespace ZeroDrift.Core;

/// <summary>The operating system release a target carries (from os-release and friends).</summary>
/// <param name="Id">os-release ID, lower case: debian, ubuntu, alpine, rhel, almalinux, …</param>
/// <param name="VersionId">os-release VERSION_ID (12, 3.20.1, 9.4), when known.</param>
public sealed record Distro(string Id, string? VersionId, string? PrettyName = null, string? VersionCodename = null, IReadOnlyList<string>? IdLike = null)
{
    public override string ToString() => VersionId is null ? Id : $"{Id} {VersionId}";
}
