using System.Security.Cryptography;
using System.Text;

namespace ZeroDrift.Core;

/// <summary>Short, deterministic package identifiers, so a cataloger can name dependencies before packages exist.</summary>
public static class PackageId
{
    public static string For(PackageUrl purl, string? locationPath)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{purl}\n{locationPath}"), hash);
        return $"{purl.Type}-{Convert.ToHexStringLower(hash[..8])}";
    }
}
