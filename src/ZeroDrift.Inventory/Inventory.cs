using ZeroDrift.Artifacts.Images;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory;

/// <summary>The result of cataloging one target: what it is and what is in it.</summary>
public sealed record Inventory
{
    public required string Target { get; init; }
    public required string TargetKind { get; init; }
    public ImageMetadata? Image { get; init; }
    public Distro? Distro { get; init; }
    public required IReadOnlyList<Package> Packages { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
    public IReadOnlyList<CatalogerStats> Catalogers { get; init; } = [];
}
