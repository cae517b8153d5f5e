using System.Security.Cryptography;

namespace ZeroDrift.Artifacts.Images.Oci;

/// <summary>Content digests ("sha256:hex"), checked on every blob ZeroDrift reads.</summary>
public static class Digest
{
    public static string Sha256(ReadOnlySpan<byte> content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Validates the form of a digest; only sha256 and sha512 are accepted.</summary>
    public static (string Algorithm, string Hex) Parse(string digest)
    {
        var colon = digest.IndexOf(':');
        var algorithm = colon > 0 ? digest[..colon] : "";
        var hex = colon > 0 ? digest[(colon + 1)..] : "";
        var expectedLength = algorithm switch { "sha256" => 64, "sha512" => 128, _ => -1 };
        if (expectedLength < 0 || hex.Length != expectedLength || !hex.All(char.IsAsciiHexDigitLower))
            throw new ArtifactException($"invalid digest '{Truncate(digest)}'");
        return (algorithm, hex);
    }

    public static IncrementalHash CreateHash(string digest) =>
        Parse(digest).Algorithm == "sha512"
            ? IncrementalHash.CreateHash(HashAlgorithmName.SHA512)
            : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public static void Verify(ReadOnlySpan<byte> content, string digest, string what)
    {
        var (algorithm, hex) = Parse(digest);
        var actual = algorithm == "sha512" ? Convert.ToHexStringLower(SHA512.HashData(content)) : Convert.ToHexStringLower(SHA256.HashData(content));
        if (actual != hex)
            throw new ArtifactException($"{what}: content does not match its digest {digest} (got {algorithm}:{actual})");
    }

    private static string Truncate(string s) => s.Length > 80 ? s[..80] + "…" : s;
}
