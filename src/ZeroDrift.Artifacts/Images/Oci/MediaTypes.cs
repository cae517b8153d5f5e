namespace ZeroDrift.Artifacts.Images.Oci;

public static class MediaTypes
{
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";

    public static bool IsIndex(string? mediaType) => mediaType is OciIndex or DockerManifestList;
    public static bool IsManifest(string? mediaType) => mediaType is OciManifest or DockerManifest;

    /// <summary>Layer media types ZeroDrift reads. Compression is taken from the content's magic bytes, not from here.</summary>
    public static bool IsLayer(string mediaType) => mediaType switch
    {
        "application/vnd.oci.image.layer.v1.tar" or
        "application/vnd.oci.image.layer.v1.tar+gzip" or
        "application/vnd.oci.image.layer.v1.tar+zstd" or
        "application/vnd.oci.image.layer.nondistributable.v1.tar" or
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" or
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd" or
        "application/vnd.docker.image.rootfs.diff.tar" or
        "application/vnd.docker.image.rootfs.diff.tar.gzip" or
        "application/vnd.docker.image.rootfs.diff.tar.zstd" or
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" => true,
        _ => false,
    };
}
