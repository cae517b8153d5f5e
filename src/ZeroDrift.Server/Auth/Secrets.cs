using System.Security.Cryptography;
using System.Text;

namespace ZeroDrift.Server.Auth;

/// <summary>
/// How secrets are kept: passwords as PBKDF2-SHA256 (salted, slow); API tokens and session ids as SHA-256 of a
/// 256-bit random value (fast is fine: they cannot be guessed, and the hash alone lets nobody in).
/// </summary>
public static class Secrets
{
    private const int Iterations = 210_000;
    public const string TokenPrefix = "zdt_";

    public static string HashPassword(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool VerifyPassword(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != "pbkdf2-sha256" || !int.TryParse(parts[1], out var iterations) || iterations < 1) return false;
        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>A hash to compare against when the user does not exist, so a wrong name costs as long as a wrong password.</summary>
    public static readonly string DecoyHash = HashPassword(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)));

    public static string NewToken() => TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
    public static string NewSessionId() => Base64Url(RandomNumberGenerator.GetBytes(32));
    public static string NewCsrf() => Base64Url(RandomNumberGenerator.GetBytes(24));

    public static string Digest(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
