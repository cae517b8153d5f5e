using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace ZeroDrift.Remediation.Images.Apt;

/// <summary>
/// The OpenPGP public keys a repository's InRelease must be signed by: apt's keyring files (binary <c>.gpg</c> or
/// armored <c>.asc</c>), read as bytes (from the user's <c>--keyring</c> or from the image's own
/// <c>/etc/apt/trusted.gpg.d</c> and <c>/usr/share/keyrings</c>); nothing of gpg or the image runs.
/// </summary>
public sealed class OpenPgpKeyring
{
    private readonly Dictionary<long, (PgpPublicKey Key, string Source)> _keys = [];

    public int Count => _keys.Count;

    public IReadOnlyList<string> Warnings => _warnings;
    private readonly List<string> _warnings = [];

    /// <summary>Adds every key (primary and subkeys) of a keyring file; a file that is not one is a warning, not a failure.</summary>
    public void Add(byte[] content, string source)
    {
        try
        {
            using var decoded = PgpUtilities.GetDecoderStream(new MemoryStream(content));
            var bundle = new PgpPublicKeyRingBundle(decoded);
            foreach (PgpPublicKeyRing ring in bundle.GetKeyRings())
                foreach (PgpPublicKey key in ring.GetPublicKeys())
                    if (!key.HasRevocation()) _keys.TryAdd(key.KeyId, (key, source));
        }
        catch (Exception e) when (e is PgpException or IOException or ArgumentException or InvalidCastException)
        {
            _warnings.Add($"{source}: not an OpenPGP keyring, skipped ({e.Message})");
        }
    }

    internal (PgpPublicKey Key, string Source)? Find(long keyId) => _keys.TryGetValue(keyId, out var k) ? k : null;
}

/// <summary>A clearsigned document whose signature was checked: the text that was signed, and by which key.</summary>
public sealed record VerifiedClearText(string Text, string KeyId, string KeySource);

/// <summary>
/// Verifies an OpenPGP clearsigned document (apt's InRelease, RFC 9580 §7): the cleartext is dash-unescaped and
/// canonicalised (trailing spaces and tabs dropped, CRLF line ends), and at least one of its signatures must be a
/// valid signature, by a key of the keyring, over that text, with a hash apt still accepts (SHA-256 or stronger).
/// Only the text that was signed is returned: anything outside the signed block is never read by the caller.
/// </summary>
public static class ClearSignedVerifier
{
    private const string Begin = "-----BEGIN PGP SIGNED MESSAGE-----";
    private const string SignatureBegin = "-----BEGIN PGP SIGNATURE-----";

    public static VerifiedClearText Verify(byte[] document, OpenPgpKeyring keyring, string what)
    {
        if (keyring.Count == 0) throw new RemediationException($"{what}: no OpenPGP key to check the signature with (give --keyring FILE)");
        var text = System.Text.Encoding.UTF8.GetString(document).Replace("\r\n", "\n", StringComparison.Ordinal);
        var lines = text.Split('\n');
        var i = 0;
        while (i < lines.Length && lines[i].Trim().Length == 0) i++;
        if (i >= lines.Length || lines[i].TrimEnd() != Begin) throw new RemediationException($"{what}: not an OpenPGP clearsigned document");
        i++;
        // Armor headers ("Hash: SHA512") up to the first empty line.
        while (i < lines.Length && lines[i].Trim().Length != 0) i++;
        i++;
        var signed = new List<string>();
        while (i < lines.Length && lines[i].TrimEnd() != SignatureBegin)
        {
            var line = lines[i];
            if (line.StartsWith("- ", StringComparison.Ordinal)) line = line[2..];
            else if (line.StartsWith('-')) throw new RemediationException($"{what}: a line of the signed text starts with an unescaped dash");
            signed.Add(line);
            i++;
        }
        if (i >= lines.Length) throw new RemediationException($"{what}: no signature block");
        var signatureArmor = string.Join('\n', lines[i..]);
        var canonical = string.Join("\r\n", signed.Select(l => l.TrimEnd(' ', '\t')));
        var signedBytes = System.Text.Encoding.UTF8.GetBytes(canonical);

        PgpSignatureList signatures;
        try
        {
            using var armor = new ArmoredInputStream(new MemoryStream(System.Text.Encoding.ASCII.GetBytes(signatureArmor)));
            var factory = new PgpObjectFactory(armor);
            signatures = factory.NextPgpObject() as PgpSignatureList ?? throw new RemediationException($"{what}: the signature block holds no signature");
        }
        catch (Exception e) when (e is IOException or PgpException)
        {
            throw new RemediationException($"{what}: unreadable signature block ({e.Message})", e);
        }
        var unknown = new List<string>();
        string? failure = null;
        for (var s = 0; s < signatures.Count; s++)
        {
            var signature = signatures[s];
            var keyId = signature.KeyId.ToString("X16", System.Globalization.CultureInfo.InvariantCulture);
            if (keyring.Find(signature.KeyId) is not { } key)
            {
                unknown.Add(keyId);
                continue;
            }
            if (signature.HashAlgorithm is HashAlgorithmTag.MD5 or HashAlgorithmTag.Sha1 or HashAlgorithmTag.RipeMD160 or HashAlgorithmTag.Sha224)
            {
                failure = $"the signature by {keyId} uses a weak hash ({signature.HashAlgorithm})";
                continue;
            }
            try
            {
                signature.InitVerify(key.Key);
                signature.Update(signedBytes);
                if (signature.Verify()) return new VerifiedClearText(string.Join('\n', signed) + "\n", keyId, key.Source);
                failure = $"the signature by {keyId} ({key.Source}) does not match the text";
            }
            catch (PgpException e)
            {
                failure = $"the signature by {keyId} could not be checked ({e.Message})";
            }
        }
        throw new RemediationException($"{what}: bad signature: " + (failure ?? $"signed by {string.Join(", ", unknown)}, none of which is in the keyring"));
    }
}
