using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Org.BouncyCastle.Crypto.Generators;

namespace ZeroDrift.Supply.Keys;

/// <summary>
/// The password-protected envelope of go-securesystemslib's <c>encrypted</c> package, which cosign and sigstore use for
/// private keys: scrypt derives a 32-byte key from the password and a 32-byte salt, NaCl secretbox seals the data with
/// a 24-byte nonce, and the parameters travel as JSON:
/// <c>{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":…},"cipher":{"name":"nacl/secretbox","nonce":…},"ciphertext":…}</c>.
/// </summary>
public static class EncryptedEnvelope
{
    public const int SaltBytes = 32;

    /// <summary>The parameter sets the Go package accepts (legacy, standard, OWASP); anything else is refused there and here,
    /// which also bounds the memory a hostile file can make scrypt take (128·r·N bytes).</summary>
    private static readonly (int N, int R, int P)[] Accepted = [(32768, 8, 1), (65536, 8, 1), (131072, 8, 1)];
    private static readonly (int N, int R, int P) Standard = (65536, 8, 1);

    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var nonce = RandomNumberGenerator.GetBytes(SecretBox.NonceBytes);
        var key = DeriveKey(password, salt, Standard);
        var envelope = new Envelope(
            new Kdf("scrypt", new KdfParams(Standard.N, Standard.R, Standard.P), salt),
            new Cipher("nacl/secretbox", nonce),
            SecretBox.Seal(plaintext, nonce, key));
        CryptographicOperations.ZeroMemory(key);
        return JsonSerializer.SerializeToUtf8Bytes(envelope, GoStyle.Envelope);
    }

    /// <summary>The plaintext; a wrong password and altered data both fail as "decryption failed", as in Go.</summary>
    public static byte[] Decrypt(ReadOnlySpan<byte> json, ReadOnlySpan<byte> password)
    {
        Envelope? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize(json, EnvelopeJson.Default.Envelope);
        }
        catch (JsonException e)
        {
            throw new SupplyException($"encrypted key: malformed envelope ({e.Message})", e);
        }
        if (envelope?.Kdf is not { Name: "scrypt", Params: { } p, Salt: { } salt })
            throw new SupplyException("encrypted key: unsupported key derivation (only scrypt)");
        if (envelope.Cipher is not { Name: "nacl/secretbox", Nonce: { Length: SecretBox.NonceBytes } nonce })
            throw new SupplyException("encrypted key: unsupported cipher (only nacl/secretbox with a 24-byte nonce)");
        if (!Accepted.Contains((p.N, p.R, p.P)))
            throw new SupplyException($"encrypted key: unsupported scrypt parameters N={p.N} r={p.R} p={p.P}");
        if (envelope.Ciphertext is not { } ciphertext) throw new SupplyException("encrypted key: no ciphertext");
        var key = DeriveKey(password, salt, (p.N, p.R, p.P));
        try
        {
            return SecretBox.Open(ciphertext, nonce, key) ?? throw new SupplyException("encrypted key: decryption failed (wrong password?)");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static byte[] DeriveKey(ReadOnlySpan<byte> password, byte[] salt, (int N, int R, int P) p) =>
        SCrypt.Generate(password.ToArray(), salt, p.N, p.R, p.P, SecretBox.KeyBytes);

    // Base64 carries '+' and '/', which Go writes as they are.
    private static readonly EnvelopeJson GoStyle = new(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    public static byte[] Utf8(string password) => Encoding.UTF8.GetBytes(password);

    internal sealed record KdfParams([property: JsonPropertyName("N")] int N, [property: JsonPropertyName("r")] int R, [property: JsonPropertyName("p")] int P);
    internal sealed record Kdf([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("params")] KdfParams? Params, [property: JsonPropertyName("salt")] byte[]? Salt);
    internal sealed record Cipher([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("nonce")] byte[]? Nonce);
    internal sealed record Envelope([property: JsonPropertyName("kdf")] Kdf? Kdf, [property: JsonPropertyName("cipher")] Cipher? Cipher, [property: JsonPropertyName("ciphertext")] byte[]? Ciphertext);
}

[JsonSerializable(typeof(EncryptedEnvelope.Envelope))]
[JsonSourceGenerationOptions(MaxDepth = 8)]
internal sealed partial class EnvelopeJson : JsonSerializerContext;
