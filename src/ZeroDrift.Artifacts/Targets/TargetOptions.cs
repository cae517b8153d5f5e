using ZeroDrift.Artifacts.Images;

namespace ZeroDrift.Artifacts.Targets;

public sealed record TargetOptions
{
    public ScanLimits Limits { get; init; } = ScanLimits.Default;

    /// <summary>For multi-platform images; the host's platform when null.</summary>
    public Platform? Platform { get; init; }

    /// <summary>Registries (host[:port]) reached over plain HTTP; only loopback addresses are accepted.</summary>
    public IReadOnlyList<string> InsecureRegistries { get; init; } = [];

    public IProgress<Images.Layers.LayerProgress>? Progress { get; init; }

    /// <summary>For images: sees every version of the files it wants while the layers stream, deleted ones included.</summary>
    public Images.Layers.ILayerFileVisitor? LayerFileVisitor { get; init; }
}
