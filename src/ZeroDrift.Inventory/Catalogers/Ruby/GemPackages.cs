using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.Ruby;

internal static class GemPackages
{
    /// <summary>pkg:gem/nokogiri@1.15.4?platform=x86_64-linux; the pure-Ruby platform ("ruby") is not written.</summary>
    public static PackageUrl Purl(string name, string version, string? platform) =>
        PackageUrl.For(Ecosystem.RubyGems, null, name, version,
            platform is { Length: > 0 } && platform != "ruby" ? [new("platform", platform)] : null);
}
