using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace ZeroDrift.Supply.Keys;

/// <summary>
/// NaCl's <c>crypto_secretbox</c> (XSalsa20-Poly1305) in the layout Go's <c>x/crypto/nacl/secretbox</c> writes: the
/// 16-byte Poly1305 tag, then the ciphertext. The first 32 bytes of the XSalsa20 keystream are the one-time Poly1305
/// key; the message is encrypted with the keystream from byte 32 on, as NaCl does.
/// </summary>
public static class SecretBox
{
    public const int KeyBytes = 32;
    public const int NonceBytes = 24;
    public const int TagBytes = 16;

    public static byte[] Seal(ReadOnlySpan<byte> message, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key)
    {
        var (cipher, macKey) = Start(nonce, key);
        var output = new byte[TagBytes + message.Length];
        cipher.ProcessBytes(message, output.AsSpan(TagBytes));
        Tag(macKey, output.AsSpan(TagBytes), output.AsSpan(0, TagBytes));
        return output;
    }

    /// <summary>The message, or null when the box was not sealed with this key and nonce (or was altered).</summary>
    public static byte[]? Open(ReadOnlySpan<byte> box, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key)
    {
        if (box.Length < TagBytes) return null;
        var (cipher, macKey) = Start(nonce, key);
        Span<byte> expected = stackalloc byte[TagBytes];
        Tag(macKey, box[TagBytes..], expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, box[..TagBytes])) return null;
        var message = new byte[box.Length - TagBytes];
        cipher.ProcessBytes(box[TagBytes..], message);
        return message;
    }

    private static (XSalsa20Engine Cipher, byte[] MacKey) Start(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyBytes) throw new ArgumentException($"secretbox key must be {KeyBytes} bytes", nameof(key));
        if (nonce.Length != NonceBytes) throw new ArgumentException($"secretbox nonce must be {NonceBytes} bytes", nameof(nonce));
        var cipher = new XSalsa20Engine();
        cipher.Init(true, new ParametersWithIV(new KeyParameter(key.ToArray()), nonce.ToArray()));
        var macKey = new byte[32];
        cipher.ProcessBytes(new byte[32], macKey);
        return (cipher, macKey);
    }

    private static void Tag(byte[] macKey, ReadOnlySpan<byte> ciphertext, Span<byte> tag)
    {
        // Poly1305 without a block cipher takes r || s as its key (r clamped inside), exactly NaCl's onetimeauth.
        var mac = new Poly1305();
        mac.Init(new KeyParameter(macKey));
        mac.BlockUpdate(ciphertext);
        mac.DoFinal(tag);
    }
}
