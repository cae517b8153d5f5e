namespace ZeroDrift.Core;

/// <summary>One package found in a target.</summary>
public sealed record Package
{
    public required string Name { get; init; }
    public required string Version { get; init; }
    public required Ecosystem Ecosystem { get; init; }
    public required PackageUrl Purl { get; init; }

    /// <summary>The cataloger that found it (e.g. <c>dpkg</c>, <c>npm-lock</c>).</summary>
    public required string FoundBy { get; init; }

    public IReadOnlyList<Location> Locations { get; init; } = [];
    public IReadOnlyList<string> Licenses { get; init; } = [];

    /// <summary>OS packages: the source package it was built from, when it differs or is declared.</summary>
    public string? SourceName { get; init; }
    public string? SourceVersion { get; init; }
    public string? Arch { get; init; }

    /// <summary>OS packages: the files the package manager says the package installed.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>For language packages installed by an OS package: that OS package's purl.</summary>
    public string? OwnedBy { get; init; }

    /// <summary>Ids (<see cref="Id"/>) of the packages this one depends on, where the source gives a graph.</summary>
    public IReadOnlyList<string> DependsOn { get; init; } = [];

    /// <summary>True for development-only dependencies where the lockfile says so.</summary>
    public bool Dev { get; init; }

    /// <summary>Free-form facts a cataloger wants to keep (Go version, main module, integrity hash…).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>A stable identifier within one report, derived from the purl and the first location.</summary>
    public string Id => PackageId.For(Purl, Locations.Count == 0 ? null : Locations[0].Path);
}
