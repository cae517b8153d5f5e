namespace ZeroDrift.Artifacts.Targets;

public enum TargetKind { Directory, File, DockerArchive, OciArchive, OciDirectory, Registry, Podman }

/// <summary>
/// A scan target as the user names it, with Syft's and Grype's schemes: <c>dir:</c>, <c>file:</c>,
/// <c>docker-archive:</c>, <c>oci-archive:</c>, <c>oci-dir:</c>, <c>registry:</c>, <c>podman:</c>, or a bare
/// path or image reference.
/// </summary>
public sealed record TargetReference(TargetKind Kind, string Value)
{
    private static readonly (string Scheme, TargetKind Kind)[] Schemes =
    [
        ("dir:", TargetKind.Directory),
        ("file:", TargetKind.File),
        ("docker-archive:", TargetKind.DockerArchive),
        ("oci-archive:", TargetKind.OciArchive),
        ("oci-dir:", TargetKind.OciDirectory),
        ("registry:", TargetKind.Registry),
        ("podman:", TargetKind.Podman),
    ];

    public static TargetReference Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ArtifactException("no target given");
        foreach (var (scheme, kind) in Schemes)
        {
            if (!text.StartsWith(scheme, StringComparison.Ordinal)) continue;
            var value = text[scheme.Length..];
            if (value.Length == 0) throw new ArtifactException($"{text}: nothing after '{scheme}'");
            return new TargetReference(kind, value);
        }
        if (Directory.Exists(text)) return new TargetReference(TargetKind.Directory, text);
        if (File.Exists(text)) return new TargetReference(TargetKind.File, text);
        if (LooksLikeImageReference(text)) return new TargetReference(TargetKind.Registry, text);
        throw new ArtifactException($"{text}: no such file or directory, and not an image reference (use dir:, docker-archive:, oci-archive:, oci-dir:, registry: or podman:)");
    }

    /// <summary>host[:port]/repo[:tag|@digest], where the first component names a registry host.</summary>
    public static bool LooksLikeImageReference(string text)
    {
        var slash = text.IndexOf('/');
        if (slash <= 0) return false;
        var host = text[..slash];
        return host == "localhost" || host.Contains('.') || host.Contains(':');
    }

    public bool IsImage => Kind is not (TargetKind.Directory or TargetKind.File);

    public override string ToString() => Kind switch
    {
        TargetKind.Directory => $"dir:{Value}",
        TargetKind.File => $"file:{Value}",
        TargetKind.DockerArchive => $"docker-archive:{Value}",
        TargetKind.OciArchive => $"oci-archive:{Value}",
        TargetKind.OciDirectory => $"oci-dir:{Value}",
        TargetKind.Registry => $"registry:{Value}",
        TargetKind.Podman => $"podman:{Value}",
        _ => Value,
    };
}
