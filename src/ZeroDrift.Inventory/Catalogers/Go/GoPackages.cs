using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.Go;

public static class GoPackages
{
    /// <summary>pkg:golang/github.com/foo/bar@v1.2.3: the module path's last element is the name, the rest the namespace.</summary>
    public static PackageUrl Purl(string modulePath, string? version) => PackageUrl.For(Ecosystem.Go, null, modulePath, version);

    /// <summary>The Go toolchain version as a module version: "go1.22.1" → "v1.22.1" (a suffix such as " X:boringcrypto" dropped).</summary>
    public static string? StdlibVersion(string goVersion)
    {
        var version = goVersion.Split(' ', 2)[0];
        if (!version.StartsWith("go", StringComparison.Ordinal) || version.Length < 3 || !char.IsAsciiDigit(version[2])) return null;
        return "v" + version[2..];
    }
}
