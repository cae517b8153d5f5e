using System.Runtime.InteropServices;

namespace ZeroDrift.Artifacts.Images;

/// <summary>An os/arch[/variant] platform as OCI image indexes name them.</summary>
public sealed record Platform(string Os, string Architecture, string? Variant = null)
{
    public static Platform Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(string.IsNullOrWhiteSpace))
            throw new ArtifactException($"--platform {text}: expected os/arch or os/arch/variant, e.g. linux/amd64");
        return new Platform(parts[0], parts[1], parts.Length == 3 ? parts[2] : null);
    }

    /// <summary>linux and the architecture this process runs on, in OCI spelling.</summary>
    public static Platform Host => new("linux", RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        System.Runtime.InteropServices.Architecture.S390x => "s390x",
        System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
        _ => "amd64",
    });

    public bool Matches(string? os, string? architecture, string? variant) =>
        string.Equals(Os, os, StringComparison.OrdinalIgnoreCase)
        && string.Equals(Architecture, architecture, StringComparison.OrdinalIgnoreCase)
        && (Variant is null || string.Equals(Variant, variant, StringComparison.OrdinalIgnoreCase));

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}
