using ZeroDrift.Artifacts.Targets;

namespace ZeroDrift.Remediation;

/// <summary>What a fixer works on: an image (its OS packages are patched) or a source tree (its dependencies are upgraded).</summary>
public enum FixTargetKind { Image, SourceTree }

/// <summary>
/// The seam between the <c>zerodrift fix</c> command and the remediation kinds: the command asks each fixer whether it
/// takes the target, and hands it over. Images/ patches OS packages in container images; Dependencies/ upgrades
/// manifests and lock files in source trees. Each kind keeps its own options and result types.
/// </summary>
public interface IFixer
{
    FixTargetKind Kind { get; }

    bool Accepts(TargetReference target);
}

/// <summary>Which kind of fix a target needs: a directory is a source tree; every image form is an image.</summary>
public static class FixTargets
{
    public static FixTargetKind KindOf(TargetReference target) =>
        target.Kind == TargetKind.Directory ? FixTargetKind.SourceTree : FixTargetKind.Image;
}
