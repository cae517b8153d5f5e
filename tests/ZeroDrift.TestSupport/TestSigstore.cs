using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace ZeroDrift.TestSupport;

/// <summary>Who a test Fulcio certificate names: its SAN (URI, or email when it has an @ and no scheme), its OIDC
/// issuer, and further Fulcio extensions by OID (v2 ones are DER UTF8String, as Fulcio writes them).</summary>
public sealed record TestIdentity(string San, string Issuer, IReadOnlyDictionary<string, string>? Extensions = null);

/// <summary>cosign 2's keyless <c>.sig</c> layer: the signature, the certificate and chain PEM, and the Rekor bundle annotation.</summary>
public sealed record LegacyKeylessSignature(string SignatureBase64, string CertificatePem, string ChainPem, string RekorBundle);

/// <summary>
/// A private Sigstore deployment made in the test, with real crypto on the signing side: a Fulcio-like CA issuing
/// 10-minute code-signing certificates with an embedded SCT from a CT log key, and a Rekor-like log key that signs
/// entry timestamps (SETs) and checkpoints over a one-entry tree. Its trusted_root.json is what a verifier trusts;
/// the verifier under test is unchanged. Each log entry is its own tree of size 1 (the inclusion proof is empty and
/// the root hash is the leaf hash), which RFC 6962 allows and keeps the log stateless.
/// </summary>
public sealed class TestSigstore : IDisposable
{
    public const string IssuerOid = "1.3.6.1.4.1.57264.1.8";
    private const string SctListOid = "1.3.6.1.4.1.11129.2.4.2";
    /// <summary>Fulcio's legacy GitHub extensions hold raw text, not DER.</summary>
    private static readonly HashSet<string> LegacyOids = ["1.3.6.1.4.1.57264.1.2", "1.3.6.1.4.1.57264.1.3", "1.3.6.1.4.1.57264.1.4", "1.3.6.1.4.1.57264.1.5", "1.3.6.1.4.1.57264.1.6"];
    private const string RekorHost = "rekor.zerodrift.test";

    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _ctKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _rekorKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private long _nextIndex;

    public TestSigstore(string name = "zerodrift-test")
    {
        var request = new CertificateRequest($"CN={name} fulcio root, O=ZeroDrift tests", _caKey, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    public X509Certificate2 Root { get; }
    public byte[] RekorLogId => SHA256.HashData(_rekorKey.ExportSubjectPublicKeyInfo());
    private byte[] CtLogId => SHA256.HashData(_ctKey.ExportSubjectPublicKeyInfo());

    /// <summary>protobuf-specs TrustedRoot JSON naming this CA, log and CT log.</summary>
    public byte[] TrustedRootJson()
    {
        var start = Root.NotBefore.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        JsonObject Log(ECDsa key, string url) => new()
        {
            ["baseUrl"] = url,
            ["hashAlgorithm"] = "SHA2_256",
            ["publicKey"] = new JsonObject
            {
                ["rawBytes"] = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()),
                ["keyDetails"] = "PKIX_ECDSA_P256_SHA_256",
                ["validFor"] = new JsonObject { ["start"] = start },
            },
            ["logId"] = new JsonObject { ["keyId"] = Convert.ToBase64String(SHA256.HashData(key.ExportSubjectPublicKeyInfo())) },
        };
        var root = new JsonObject
        {
            ["mediaType"] = "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            ["tlogs"] = new JsonArray(Log(_rekorKey, $"https://{RekorHost}")),
            ["certificateAuthorities"] = new JsonArray(new JsonObject
            {
                ["subject"] = new JsonObject { ["organization"] = "ZeroDrift tests", ["commonName"] = "fulcio" },
                ["uri"] = "https://fulcio.zerodrift.test",
                ["certChain"] = new JsonObject { ["certificates"] = new JsonArray(new JsonObject { ["rawBytes"] = Convert.ToBase64String(Root.RawData) }) },
                ["validFor"] = new JsonObject { ["start"] = start },
            }),
            ["ctlogs"] = new JsonArray(Log(_ctKey, "https://ctfe.zerodrift.test")),
            ["timestampAuthorities"] = new JsonArray(),
        };
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    public string WriteTrustedRoot(string directory)
    {
        var path = Path.Combine(directory, "trusted_root.json");
        File.WriteAllBytes(path, TrustedRootJson());
        return path;
    }

    /// <summary>A v0.3 bundle of a DSSE envelope (an in-toto statement) signed keylessly, logged as a Rekor dsse 0.0.1 entry.</summary>
    public byte[] SignDsse(string payloadType, byte[] payload, TestIdentity who)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var cert = Issue(key, who);
        var signature = key.SignData(Pae(payloadType, payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var body = new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "dsse",
            ["spec"] = new JsonObject
            {
                ["payloadHash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(SHA256.HashData(payload)) },
                ["signatures"] = new JsonArray(new JsonObject
                {
                    ["signature"] = Convert.ToBase64String(signature),
                    ["verifier"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(cert.ExportCertificatePem() + "\n")),
                }),
            },
        };
        var bundle = Bundle(cert, LogEntry(Encoding.UTF8.GetBytes(body.ToJsonString()), "dsse"));
        bundle["dsseEnvelope"] = new JsonObject
        {
            ["payload"] = Convert.ToBase64String(payload),
            ["payloadType"] = payloadType,
            ["signatures"] = new JsonArray(new JsonObject { ["sig"] = Convert.ToBase64String(signature) }),
        };
        return Encoding.UTF8.GetBytes(bundle.ToJsonString());
    }

    /// <summary>A v0.3 bundle of a message signature over <paramref name="artifact"/>, logged as hashedrekord 0.0.1.</summary>
    public byte[] SignMessage(byte[] artifact, TestIdentity who)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var cert = Issue(key, who);
        var signature = key.SignData(artifact, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var digest = SHA256.HashData(artifact);
        var bundle = Bundle(cert, LogEntry(HashedRekord(digest, signature, cert), "hashedrekord"));
        bundle["messageSignature"] = new JsonObject
        {
            ["messageDigest"] = new JsonObject { ["algorithm"] = "SHA2_256", ["digest"] = Convert.ToBase64String(digest) },
            ["signature"] = Convert.ToBase64String(signature),
        };
        return Encoding.UTF8.GetBytes(bundle.ToJsonString());
    }

    /// <summary>cosign 2's keyless signature of a simple-signing payload, as the <c>.sig</c> layer's annotations carry it.</summary>
    public LegacyKeylessSignature SignLegacy(byte[] payload, TestIdentity who)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var cert = Issue(key, who);
        var signature = key.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var entry = LogEntry(HashedRekord(SHA256.HashData(payload), signature, cert), "hashedrekord");
        var rekorBundle = new JsonObject
        {
            ["SignedEntryTimestamp"] = entry["inclusionPromise"]!["signedEntryTimestamp"]!.GetValue<string>(),
            ["Payload"] = new JsonObject
            {
                ["body"] = entry["canonicalizedBody"]!.GetValue<string>(),
                ["integratedTime"] = long.Parse(entry["integratedTime"]!.GetValue<string>(), CultureInfo.InvariantCulture),
                ["logIndex"] = long.Parse(entry["logIndex"]!.GetValue<string>(), CultureInfo.InvariantCulture),
                ["logID"] = Convert.ToHexStringLower(RekorLogId),
            },
        };
        return new LegacyKeylessSignature(Convert.ToBase64String(signature), cert.ExportCertificatePem() + "\n", Root.ExportCertificatePem() + "\n", rekorBundle.ToJsonString());
    }

    private byte[] HashedRekord(byte[] digest, byte[] signature, X509Certificate2 cert) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["apiVersion"] = "0.0.1",
        ["kind"] = "hashedrekord",
        ["spec"] = new JsonObject
        {
            ["data"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(digest) } },
            ["signature"] = new JsonObject
            {
                ["content"] = Convert.ToBase64String(signature),
                ["publicKey"] = new JsonObject { ["content"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(cert.ExportCertificatePem() + "\n")) },
            },
        },
    }.ToJsonString());

    private static JsonObject Bundle(X509Certificate2 cert, JsonObject entry) => new()
    {
        ["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.3+json",
        ["verificationMaterial"] = new JsonObject
        {
            ["certificate"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(cert.RawData) },
            ["tlogEntries"] = new JsonArray(entry),
        },
    };

    /// <summary>A Rekor v1 entry: SET over Rekor's canonical JSON, and an inclusion proof in a one-leaf tree with a signed checkpoint.</summary>
    private JsonObject LogEntry(byte[] body, string kind)
    {
        var index = Interlocked.Increment(ref _nextIndex) - 1;
        var integrated = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var logId = RekorLogId;
        var setPayload = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{{\"body\":\"{Convert.ToBase64String(body)}\",\"integratedTime\":{integrated},\"logID\":\"{Convert.ToHexStringLower(logId)}\",\"logIndex\":{index}}}"));
        var set = _rekorKey.SignData(setPayload, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var leaf = SHA256.HashData([0, .. body]);
        var note = $"{RekorHost} - 1\n1\n{Convert.ToBase64String(leaf)}\n";
        var noteSignature = _rekorKey.SignData(Encoding.UTF8.GetBytes(note), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var checkpoint = $"{note}\n\u2014 {RekorHost} {Convert.ToBase64String([.. logId[..4], .. noteSignature])}\n";
        return new JsonObject
        {
            ["logIndex"] = index.ToString(CultureInfo.InvariantCulture),
            ["logId"] = new JsonObject { ["keyId"] = Convert.ToBase64String(logId) },
            ["kindVersion"] = new JsonObject { ["kind"] = kind, ["version"] = "0.0.1" },
            ["integratedTime"] = integrated.ToString(CultureInfo.InvariantCulture),
            ["inclusionPromise"] = new JsonObject { ["signedEntryTimestamp"] = Convert.ToBase64String(set) },
            ["inclusionProof"] = new JsonObject
            {
                ["logIndex"] = "0",
                ["rootHash"] = Convert.ToBase64String(leaf),
                ["treeSize"] = "1",
                ["hashes"] = new JsonArray(),
                ["checkpoint"] = new JsonObject { ["envelope"] = checkpoint },
            },
            ["canonicalizedBody"] = Convert.ToBase64String(body),
        };
    }

    /// <summary>A Fulcio-like certificate: 10 minutes, code signing, the identity's SAN and issuer, and an SCT the CT
    /// log signed over the precertificate (the same TBS without the SCT list).</summary>
    private X509Certificate2 Issue(ECDsa key, TestIdentity who)
    {
        var notBefore = DateTimeOffset.UtcNow.AddMinutes(-1);
        var notAfter = notBefore.AddMinutes(10);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        var generator = X509SignatureGenerator.CreateForECDsa(_caKey);
        CertificateRequest Request()
        {
            var request = new CertificateRequest(new X500DistinguishedName(""), key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], false));
            var san = new SubjectAlternativeNameBuilder();
            if (who.San.Contains('@', StringComparison.Ordinal) && !who.San.Contains("://", StringComparison.Ordinal)) san.AddEmailAddress(who.San);
            else san.AddUri(new Uri(who.San));
            request.CertificateExtensions.Add(san.Build(true));
            request.CertificateExtensions.Add(new X509Extension(IssuerOid, Utf8(who.Issuer), false));
            foreach (var (oid, value) in who.Extensions ?? new Dictionary<string, string>())
                request.CertificateExtensions.Add(new X509Extension(oid, LegacyOids.Contains(oid) ? Encoding.UTF8.GetBytes(value) : Utf8(value), false));
            return request;
        }
        using var precert = Request().Create(Root.SubjectName, generator, notBefore, notAfter, serial);
        var tbs = new AsnReader(precert.RawData, AsnEncodingRules.DER).ReadSequence().ReadEncodedValue().ToArray();

        var timestamp = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(timestamp, (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var signed = new List<byte> { 0, 0 };
        signed.AddRange(timestamp);
        signed.AddRange([0, 1]);
        signed.AddRange(SHA256.HashData(Root.PublicKey.ExportSubjectPublicKeyInfo()));
        signed.AddRange([(byte)(tbs.Length >> 16), (byte)(tbs.Length >> 8), (byte)tbs.Length]);
        signed.AddRange(tbs);
        signed.AddRange([0, 0]);
        var sctSignature = _ctKey.SignData(signed.ToArray(), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var sct = new List<byte> { 0 };
        sct.AddRange(CtLogId);
        sct.AddRange(timestamp);
        sct.AddRange([0, 0, 4, 3, (byte)(sctSignature.Length >> 8), (byte)sctSignature.Length]);
        sct.AddRange(sctSignature);
        var list = new List<byte> { (byte)((sct.Count + 2) >> 8), (byte)(sct.Count + 2), (byte)(sct.Count >> 8), (byte)sct.Count };
        list.AddRange(sct);
        var octets = new AsnWriter(AsnEncodingRules.DER);
        octets.WriteOctetString(list.ToArray());

        var final = Request();
        final.CertificateExtensions.Add(new X509Extension(SctListOid, octets.Encode(), false));
        return final.Create(Root.SubjectName, generator, notBefore, notAfter, serial);
    }

    private static byte[] Utf8(string value)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
        return writer.Encode();
    }

    /// <summary>DSSE's pre-authentication encoding.</summary>
    public static byte[] Pae(string type, byte[] body) =>
        [.. Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"DSSEv1 {Encoding.UTF8.GetByteCount(type)} {type} {body.Length} ")), .. body];

    public void Dispose()
    {
        _caKey.Dispose();
        _ctKey.Dispose();
        _rekorKey.Dispose();
        Root.Dispose();
    }
}
