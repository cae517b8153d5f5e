using System.Security.Cryptography;
using System.Text;
using ZeroDrift.Core.IO;

namespace ZeroDrift.Supply.Keys;

/// <summary>An ECDSA key pair as cosign writes it: the PEM texts of both halves.</summary>
public sealed record KeyPairPem(string PrivateKeyPem, string PublicKeyPem);

/// <summary>
/// Keys in cosign's key-pair format: ECDSA P-256; the public key as PEM <c>PUBLIC KEY</c> (PKIX); the private key as
/// PEM <c>ENCRYPTED SIGSTORE PRIVATE KEY</c> whose body is the <see cref="EncryptedEnvelope"/> JSON around the PKCS#8
/// DER key (sigstore's cryptoutils). Older cosign's <c>ENCRYPTED COSIGN PRIVATE KEY</c> reads the same way.
/// </summary>
public static class SigningKeys
{
    public const string EncryptedLabel = "ENCRYPTED SIGSTORE PRIVATE KEY";
    public const string LegacyEncryptedLabel = "ENCRYPTED COSIGN PRIVATE KEY";
    private const int MaxKeyFileBytes = 64 << 10;

    public static KeyPairPem Generate(string password)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pkcs8 = key.ExportPkcs8PrivateKey();
        try
        {
            var sealedKey = EncryptedEnvelope.Encrypt(pkcs8, EncryptedEnvelope.Utf8(password));
            return new KeyPairPem(Pem(EncryptedLabel, sealedKey), Pem("PUBLIC KEY", key.ExportSubjectPublicKeyInfo()));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>PEM as Go's encoding/pem writes it: 64-character lines, a final newline.</summary>
    public static string Pem(string label, byte[] der) => new string(PemEncoding.Write(label, der)) + "\n";

    /// <summary>Reads a private key: the encrypted sigstore/cosign forms with <paramref name="password"/>, or an unencrypted
    /// PKCS#8 <c>PRIVATE KEY</c> / SEC1 <c>EC PRIVATE KEY</c>.</summary>
    public static ECDsa LoadPrivateKey(string pem, string password, string what)
    {
        var (label, der) = DecodePem(pem, what);
        var key = ECDsa.Create();
        try
        {
            switch (label)
            {
                case EncryptedLabel or LegacyEncryptedLabel:
                    var pkcs8 = EncryptedEnvelope.Decrypt(der, EncryptedEnvelope.Utf8(password));
                    try { key.ImportPkcs8PrivateKey(pkcs8, out _); }
                    finally { CryptographicOperations.ZeroMemory(pkcs8); }
                    break;
                case "PRIVATE KEY":
                    key.ImportPkcs8PrivateKey(der, out _);
                    break;
                case "EC PRIVATE KEY":
                    key.ImportECPrivateKey(der, out _);
                    break;
                default:
                    throw new SupplyException($"{what}: unsupported private key PEM type '{label}'");
            }
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            throw new SupplyException($"{what}: not an ECDSA private key ({e.Message})", e);
        }
        catch
        {
            key.Dispose();
            throw;
        }
        RequireP256(key, what);
        return key;
    }

    public static ECDsa LoadPublicKey(string pem, string what)
    {
        var (label, der) = DecodePem(pem, what);
        if (label != "PUBLIC KEY") throw new SupplyException($"{what}: expected a PEM 'PUBLIC KEY', found '{label}'");
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(der, out _);
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            throw new SupplyException($"{what}: not an ECDSA public key ({e.Message})", e);
        }
        RequireP256(key, what);
        return key;
    }

    public static string ReadKeyFile(string path)
    {
        if (!Path.Exists(path)) throw new SupplyException($"key file {path} not found");
        return BoundedFile.ReadAllText(path, MaxKeyFileBytes, "key file");
    }

    /// <summary>A short, stable name for a public key: the hex SHA-256 of its PKIX DER, first 16 digits.</summary>
    public static string KeyId(ECDsa key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];

    /// <summary>The Sigstore bundle's public-key hint as cosign writes it: base64 of the SHA-256 of the PKIX DER.</summary>
    public static string Hint(ECDsa key) => Convert.ToBase64String(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));

    private static (string Label, byte[] Der) DecodePem(string pem, string what)
    {
        if (!PemEncoding.TryFind(pem, out var fields))
            throw new SupplyException($"{what}: no PEM block found");
        var label = pem[fields.Label];
        try
        {
            return (label, Convert.FromBase64String(pem[fields.Base64Data]));
        }
        catch (FormatException e)
        {
            throw new SupplyException($"{what}: malformed PEM ({e.Message})", e);
        }
    }

    private static void RequireP256(ECDsa key, string what)
    {
        var curve = key.ExportParameters(false).Curve;
        if (!curve.IsNamed || curve.Oid.Value != "1.2.840.10045.3.1.7")
            throw new SupplyException($"{what}: only ECDSA P-256 keys are supported (cosign's default)");
    }
}
