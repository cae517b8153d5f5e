using ZeroDrift.Vulnerabilities.Matching;

namespace ZeroDrift.Vulnerabilities.Suppression;

/// <summary>Why a finding is suppressed: which file said so, the status and the justification given.</summary>
public sealed record SuppressionReason(string Source, string Status, string? Justification);

/// <summary>A rule that may suppress a finding (an ignore-file line, a VEX statement).</summary>
public interface ISuppressionRule
{
    SuppressionReason? Suppresses(VulnerabilityFinding finding);
}

/// <summary>Purl matching shared by ignore files and VEX: a product without a version covers every version.</summary>
public static class PurlMatch
{
    public static bool Covers(string productPurl, Core.PackageUrl package)
    {
        Core.PackageUrl product;
        try { product = Core.PackageUrl.Parse(productPurl); }
        catch (FormatException) { return false; }
        return product.Type == package.Type
            && string.Equals(product.Namespace, package.Namespace, StringComparison.OrdinalIgnoreCase)
            && string.Equals(product.Name, package.Name, StringComparison.OrdinalIgnoreCase)
            && (product.Version is null || product.Version == package.Version);
    }
}
