using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;
namespace ZeroDrift.TestSupport;

/// <summary>A TUF signing key made in the test: Ed25519 (BouncyCastle) or ECDSA P-256 (.NET), as python-tuf writes them.</summary>
public sealed class TufKey
{
    private readonly Func<byte[], byte[]> _sign;

    private TufKey(JsonObject json, Func<byte[], byte[]> sign)
    {
        Json = json;
        _sign = sign;
        // TUF's key id: SHA-256 of the key's canonical JSON.
        Id = Convert.ToHexStringLower(SHA256.HashData(TufTestRepository.Canonical(json)));
    }

    public string Id { get; }
    public JsonObject Json { get; }

    public byte[] Sign(byte[] message) => _sign(message);

    public static TufKey Ed25519()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        var publicKey = ((Ed25519PublicKeyParameters)pair.Public).GetEncoded();
        var privateKey = (Ed25519PrivateKeyParameters)pair.Private;
        return new TufKey(new JsonObject { ["keytype"] = "ed25519", ["scheme"] = "ed25519", ["keyval"] = new JsonObject { ["public"] = Convert.ToHexStringLower(publicKey) } }, m =>
        {
            var signer = new Ed25519Signer();
            signer.Init(true, privateKey);
            signer.BlockUpdate(m, 0, m.Length);
            return signer.GenerateSignature();
        });
    }

    public static TufKey Ecdsa()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new TufKey(new JsonObject { ["keytype"] = "ecdsa", ["scheme"] = "ecdsa-sha2-nistp256", ["keyval"] = new JsonObject { ["public"] = key.ExportSubjectPublicKeyInfoPem() } },
            m => key.SignData(m, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }
}

/// <summary>
/// A TUF repository written to a folder by the test, laid out as Sigstore's (consistent snapshots: N.root.json,
/// N.snapshot.json, N.targets.json, targets/&lt;sha256&gt;.NAME), each document signed over its canonical JSON.
/// </summary>
public sealed class TufTestRepository(string directory)
{
    public string Directory => directory;
    public static DateTimeOffset InADay => DateTimeOffset.UtcNow.AddDays(1);

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    public static byte[] Sign(JsonObject signed, params TufKey[] signers)
    {
        var canonical = Canonical(signed);
        var envelope = new JsonObject
        {
            ["signatures"] = new JsonArray(signers.Select(k => (JsonNode)new JsonObject { ["keyid"] = k.Id, ["sig"] = Convert.ToHexStringLower(k.Sign(canonical)) }).ToArray()),
            ["signed"] = signed,
        };
        return Encoding.UTF8.GetBytes(envelope.ToJsonString());
    }

    public static JsonObject RootSigned(int version, DateTimeOffset expires, (TufKey[] Keys, int Threshold) root, (TufKey[] Keys, int Threshold) timestamp,
        (TufKey[] Keys, int Threshold) snapshot, (TufKey[] Keys, int Threshold) targets)
    {
        var all = new[] { root, timestamp, snapshot, targets }.SelectMany(r => r.Keys).DistinctBy(k => k.Id);
        JsonObject Role((TufKey[] Keys, int Threshold) r) => new() { ["keyids"] = new JsonArray(r.Keys.Select(k => (JsonNode)k.Id).ToArray()), ["threshold"] = r.Threshold };
        return new JsonObject
        {
            ["_type"] = "root",
            ["spec_version"] = "1.0",
            ["version"] = version,
            ["expires"] = Time(expires),
            ["consistent_snapshot"] = true,
            ["keys"] = new JsonObject(all.Select(k => KeyValuePair.Create(k.Id, (JsonNode?)k.Json.DeepClone()))),
            ["roles"] = new JsonObject { ["root"] = Role(root), ["timestamp"] = Role(timestamp), ["snapshot"] = Role(snapshot), ["targets"] = Role(targets) },
        };
    }

    /// <summary>OLPC canonical JSON, written independently of the product's encoder (sorted keys, no spaces, only \ and " escaped).</summary>
    public static byte[] Canonical(JsonNode node)
    {
        var s = new StringBuilder();
        void Write(JsonNode? n)
        {
            switch (n)
            {
                case JsonObject o:
                    s.Append('{');
                    var first = true;
                    foreach (var p in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                    {
                        if (!first) s.Append(',');
                        first = false;
                        Str(p.Key);
                        s.Append(':');
                        Write(p.Value);
                    }
                    s.Append('}');
                    break;
                case JsonArray a:
                    s.Append('[');
                    for (var i = 0; i < a.Count; i++)
                    {
                        if (i > 0) s.Append(',');
                        Write(a[i]);
                    }
                    s.Append(']');
                    break;
                case null: s.Append("null"); break;
                case JsonValue v when v.TryGetValue<string>(out var text): Str(text); break;
                case JsonValue v when v.TryGetValue<bool>(out var b): s.Append(b ? "true" : "false"); break;
                case JsonValue v: s.Append(v.ToJsonString()); break;
            }
        }
        void Str(string text)
        {
            s.Append('"');
            foreach (var c in text)
            {
                if (c is '\\' or '"') s.Append('\\');
                s.Append(c);
            }
            s.Append('"');
        }
        Write(node);
        return Encoding.UTF8.GetBytes(s.ToString());
    }

    public void WriteRoot(int version, byte[] root) => File.WriteAllBytes(Path.Combine(directory, $"{version}.root.json"), root);

    /// <summary>Publishes timestamp → snapshot → targets → target, each signed by its keys, with the versions and expiries given.</summary>
    public void Publish(byte[] target, TufKey timestampKey, TufKey snapshotKey, TufKey targetsKey, int timestampVersion = 1, int snapshotVersion = 1, int targetsVersion = 1,
        DateTimeOffset? timestampExpires = null, DateTimeOffset? snapshotExpires = null, DateTimeOffset? targetsExpires = null, string name = "trusted_root.json", byte[]? served = null)
    {
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "targets"));
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(target));
        File.WriteAllBytes(Path.Combine(directory, "targets", $"{sha256}.{name}"), served ?? target);
        var targets = Sign(new JsonObject
        {
            ["_type"] = "targets", ["spec_version"] = "1.0", ["version"] = targetsVersion, ["expires"] = Time(targetsExpires ?? InADay),
            ["targets"] = new JsonObject { [name] = new JsonObject { ["length"] = target.Length, ["hashes"] = new JsonObject { ["sha256"] = sha256 } } },
        }, targetsKey);
        File.WriteAllBytes(Path.Combine(directory, $"{targetsVersion}.targets.json"), targets);
        var snapshot = Sign(new JsonObject
        {
            ["_type"] = "snapshot", ["spec_version"] = "1.0", ["version"] = snapshotVersion, ["expires"] = Time(snapshotExpires ?? InADay),
            ["meta"] = new JsonObject { ["targets.json"] = new JsonObject { ["version"] = targetsVersion } },
        }, snapshotKey);
        File.WriteAllBytes(Path.Combine(directory, $"{snapshotVersion}.snapshot.json"), snapshot);
        var timestamp = Sign(new JsonObject
        {
            ["_type"] = "timestamp", ["spec_version"] = "1.0", ["version"] = timestampVersion, ["expires"] = Time(timestampExpires ?? InADay),
            ["meta"] = new JsonObject
            {
                ["snapshot.json"] = new JsonObject
                {
                    ["version"] = snapshotVersion, ["length"] = snapshot.Length,
                    ["hashes"] = new JsonObject { ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(snapshot)) },
                },
            },
        }, timestampKey);
        File.WriteAllBytes(Path.Combine(directory, "timestamp.json"), timestamp);
    }
}
