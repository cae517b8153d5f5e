using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace ZeroDrift.Supply.Sigstore;

/// <summary>
/// A verification key of one of the kinds Sigstore uses: ECDSA (P-256/384/521), RSA PKCS#1 v1.5, or Ed25519 (Rekor v2
/// checkpoints). ECDSA and RSA are .NET's own; .NET has no Ed25519, so that one comes from BouncyCastle.
/// </summary>
public sealed class SigstorePublicKey
{
    private const string EcOid = "1.2.840.10045.2.1";
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string Ed25519Oid = "1.3.101.112";

    private readonly ECDsa? _ecdsa;
    private readonly RSA? _rsa;
    private readonly Ed25519PublicKeyParameters? _ed25519;

    private SigstorePublicKey(byte[] spki, ECDsa? ecdsa, RSA? rsa, Ed25519PublicKeyParameters? ed25519)
    {
        Spki = spki;
        _ecdsa = ecdsa;
        _rsa = rsa;
        _ed25519 = ed25519;
    }

    /// <summary>The key's DER SubjectPublicKeyInfo (what Rekor's log id and cosign's key hint hash).</summary>
    public byte[] Spki { get; }

    public bool IsEd25519 => _ed25519 is not null;

    /// <summary>The raw 32-byte key, for Ed25519 note key hints.</summary>
    public byte[] Ed25519Raw => _ed25519?.GetEncoded() ?? [];

    /// <summary>A DER key; <paramref name="keyDetails"/> is the trusted root's algorithm (PKCS1_RSA_PKCS1V5 keys are
    /// PKCS#1 RSAPublicKey, not SubjectPublicKeyInfo).</summary>
    public static SigstorePublicKey FromSpki(byte[] der, string keyDetails, string what)
    {
        try
        {
            if (keyDetails == "PKCS1_RSA_PKCS1V5")
            {
                var rsa = RSA.Create();
                rsa.ImportRSAPublicKey(der, out _);
                return new SigstorePublicKey(rsa.ExportSubjectPublicKeyInfo(), null, rsa, null);
            }
            var reader = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            var algorithm = reader.ReadSequence().ReadObjectIdentifier();
            switch (algorithm)
            {
                case EcOid:
                    var ec = ECDsa.Create();
                    ec.ImportSubjectPublicKeyInfo(der, out _);
                    return new SigstorePublicKey(der, ec, null, null);
                case RsaOid:
                    var r = RSA.Create();
                    r.ImportSubjectPublicKeyInfo(der, out _);
                    return new SigstorePublicKey(der, null, r, null);
                case Ed25519Oid:
                    var raw = reader.ReadBitString(out _);
                    if (raw.Length != 32) throw new SupplyException($"{what}: an Ed25519 key must be 32 bytes");
                    return new SigstorePublicKey(der, null, null, new Ed25519PublicKeyParameters(raw));
                default:
                    throw new SupplyException($"{what}: unsupported key algorithm {algorithm}");
            }
        }
        catch (Exception e) when (e is CryptographicException or AsnContentException or ArgumentException)
        {
            throw new SupplyException($"{what}: malformed public key", e);
        }
    }

    public static SigstorePublicKey FromPem(string pem, string what)
    {
        const string begin = "-----BEGIN PUBLIC KEY-----", end = "-----END PUBLIC KEY-----";
        var b = pem.IndexOf(begin, StringComparison.Ordinal);
        var e = pem.IndexOf(end, StringComparison.Ordinal);
        if (b < 0 || e < b) throw new SupplyException($"{what}: not a PEM PUBLIC KEY");
        var body = string.Concat(pem[(b + begin.Length)..e].Where(c => !char.IsWhiteSpace(c)));
        return FromSpki(SigstoreJson.Base64(body, what), "", what);
    }

    public static SigstorePublicKey FromCertificate(X509Certificate2 cert, string what) =>
        FromSpki(cert.PublicKey.ExportSubjectPublicKeyInfo(), "", what);

    /// <summary>Verifies a signature over a message. ECDSA signatures are ASN.1 DER (Go's form); the hash is the
    /// curve's (SHA-256 for P-256), with SHA-256 also accepted for larger curves since Fulcio's P-384 keys sign SHA-256.</summary>
    public bool VerifyMessage(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        try
        {
            if (_ed25519 is not null)
            {
                var signer = new Ed25519Signer();
                signer.Init(false, _ed25519);
                signer.BlockUpdate(message.ToArray(), 0, message.Length);
                return signer.VerifySignature(signature.ToArray());
            }
            if (_ecdsa is not null)
            {
                var curveHash = CurveHash(_ecdsa);
                return _ecdsa.VerifyData(message, signature, curveHash, DSASignatureFormat.Rfc3279DerSequence)
                    || (curveHash != HashAlgorithmName.SHA256 && _ecdsa.VerifyData(message, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
            }
            return _rsa!.VerifyData(message, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Verifies a signature over a SHA-256 digest (a message signature checked against an artifact's
    /// digest rather than its bytes). Ed25519 signs messages, never digests.</summary>
    public bool VerifyDigest(ReadOnlySpan<byte> sha256, ReadOnlySpan<byte> signature)
    {
        try
        {
            if (_ecdsa is not null) return _ecdsa.VerifyHash(sha256, signature, DSASignatureFormat.Rfc3279DerSequence);
            if (_rsa is not null) return _rsa.VerifyHash(sha256, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            return false;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static HashAlgorithmName CurveHash(ECDsa key) => key.KeySize switch
    {
        > 384 => HashAlgorithmName.SHA512,
        > 256 => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA256,
    };
}
