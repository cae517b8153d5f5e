using ZeroDrift.Remediation.Images.Apt;

namespace ZeroDrift.Remediation.Images;

/// <summary>A vulnerable OS package the scan found, with the version that fixes it and the advisories it closes.</summary>
public sealed record UpgradeRequest(string Name, string InstalledVersion, string? Architecture, string FixedIn, IReadOnlyList<string> Advisories);

/// <summary>One package the patch installs: the version it replaces (null for a new dependency) and why.</summary>
public sealed record PlannedUpgrade(AptPackage Package, string? FromVersion, IReadOnlyList<string> Advisories, string Reason);

/// <summary>A vulnerable package the repositories have no fixed version of: reported, not patched.</summary>
public sealed record UnfixablePackage(string Name, string InstalledVersion, string FixedIn, string Reason);

/// <summary>What the maintainer scripts of the installed packages would have done and was not run (see docs/remediation.md).</summary>
public sealed record SkippedScript(string Package, string Script);

/// <summary>The patched image as written to a private temporary OCI layout, before it is published.</summary>
public sealed record PatchedImage(
    string LayoutDirectory,
    string ManifestDigest,
    byte[] Manifest,
    string ConfigDigest,
    string LayerDigest,
    string LayerDiffId,
    long LayerSize,
    IReadOnlyList<string> KeptLayerDigests);

/// <summary>Everything a patch did, for the summary, the JSON report and the attestation.</summary>
public sealed record PatchResult
{
    public required string Image { get; init; }
    public required string? OriginalManifestDigest { get; init; }
    public required IReadOnlyList<PlannedUpgrade> Upgrades { get; init; }
    public required IReadOnlyList<UnfixablePackage> Unfixable { get; init; }
    public required IReadOnlyList<SkippedScript> ScriptsNotRun { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }
    public required PatchedImage Patched { get; init; }
    public required IReadOnlyList<string> Repositories { get; init; }
    public required TimeSpan Elapsed { get; init; }
}

public sealed record PatchOptions
{
    public required IReadOnlyList<AptSource> Sources { get; init; }

    /// <summary>Keyring files given by the user; when empty, the image's own trusted keys are used.</summary>
    public IReadOnlyList<string> KeyringFiles { get; init; } = [];

    /// <summary>Also use the image's own sources.list entries.</summary>
    public bool UseImageSources { get; init; }

    public Artifacts.ScanLimits Limits { get; init; } = Artifacts.ScanLimits.Default;

    /// <summary>Allow a package to add a setuid or setgid file where the image had none.</summary>
    public bool AllowNewSetuid { get; init; }

    public TimeSpan HttpTimeout { get; init; } = TimeSpan.FromMinutes(2);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Also upgrade every installed package the repositories have a newer version of (<c>--all-updates</c>), not only the vulnerable ones.</summary>
    public bool AllUpdates { get; init; }

    /// <summary>The most packages one patch installs, dependencies included.</summary>
    public int MaxPackages { get; init; } = 500;
}
