using System.Globalization;
using System.Text.Json;
using ZeroDrift.Supply.Sigstore;

namespace ZeroDrift.Supply.Tuf;

/// <summary>A role's keys and how many of them must sign.</summary>
public sealed record TufRole(IReadOnlyList<string> KeyIds, int Threshold);

/// <summary>A file a snapshot, timestamp or targets document describes: version (metadata), length and hashes.</summary>
public sealed record TufFileInfo(long? Version, long? Length, IReadOnlyDictionary<string, string> Hashes);

/// <summary>
/// One signed TUF document (root, timestamp, snapshot or targets; TUF specification 1.0): its signed part kept as
/// the bytes its signatures cover (canonical JSON) and read into typed fields. Parsing checks shape; trust is
/// <see cref="VerifyThreshold"/> against a root's role.
/// </summary>
public sealed class TufMetadata
{
    private const int MaxEntries = 10_000;

    private TufMetadata(string type, long version, DateTimeOffset expires, byte[] canonical, IReadOnlyList<(string KeyId, byte[] Sig)> signatures, JsonElement signed)
    {
        Type = type;
        Version = version;
        Expires = expires;
        Canonical = canonical;
        Signatures = signatures;
        Signed = signed;
    }

    public string Type { get; }
    public long Version { get; }
    public DateTimeOffset Expires { get; }
    public byte[] Canonical { get; }
    public IReadOnlyList<(string KeyId, byte[] Sig)> Signatures { get; }
    public JsonElement Signed { get; }

    public static TufMetadata Parse(byte[] json, string expectedType, string what)
    {
        using var doc = SigstoreJson.Parse(json, what);
        var root = doc.RootElement;
        var signed = SigstoreJson.RequiredObject(root, "signed", what).Clone();
        var type = SigstoreJson.RequiredString(signed, "_type", what);
        if (type != expectedType) throw new SupplyException($"{what}: it is {type} metadata, not {expectedType}");
        var version = SigstoreJson.Int64(signed, "version", what);
        if (version < 1) throw new SupplyException($"{what}: version must be 1 or more");
        var expiresText = SigstoreJson.RequiredString(signed, "expires", what);
        if (!DateTimeOffset.TryParse(expiresText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var expires))
            throw new SupplyException($"{what}: expires '{expiresText}' is not a time");
        var signatures = SigstoreJson.Array(root, "signatures", what, 1024).Select(s =>
        {
            if (s.ValueKind != JsonValueKind.Object) throw new SupplyException($"{what}: a signature is not an object");
            var sig = SigstoreJson.RequiredString(s, "sig", what);
            try { return (SigstoreJson.RequiredString(s, "keyid", what), Convert.FromHexString(sig)); }
            catch (FormatException e) { throw new SupplyException($"{what}: a signature is not hex", e); }
        }).ToList();
        return new TufMetadata(type, version, expires, CanonicalJson.Encode(signed), signatures, signed);
    }

    /// <summary>Distinct keys of <paramref name="role"/> (keys from <paramref name="keys"/>) whose signature verifies
    /// must reach its threshold; a key counts once however many signatures name it.</summary>
    public void VerifyThreshold(TufRole role, IReadOnlyDictionary<string, SigstorePublicKey> keys, string what)
    {
        if (role.Threshold < 1) throw new SupplyException($"{what}: role threshold must be 1 or more");
        var verified = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyId, sig) in Signatures)
        {
            if (!role.KeyIds.Contains(keyId) || verified.Contains(keyId) || !keys.TryGetValue(keyId, out var key)) continue;
            if (key.VerifyMessage(Canonical, sig)) verified.Add(keyId);
        }
        if (verified.Count < role.Threshold)
            throw new SupplyException($"{what}: {verified.Count} valid signature(s) of the {role.KeyIds.Count} trusted keys, threshold {role.Threshold}");
    }

    public void RequireNotExpired(DateTimeOffset now, string what)
    {
        if (Expires <= now) throw new SupplyException($"{what}: expired at {Expires.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)} (a frozen or stale repository)");
    }

    /// <summary>Root: its keys (ed25519 hex, ECDSA P-256/384 PEM; other key types are ignored, so they never count) and roles.</summary>
    public (Dictionary<string, SigstorePublicKey> Keys, Dictionary<string, TufRole> Roles, bool ConsistentSnapshot) Root(string what)
    {
        var keys = new Dictionary<string, SigstorePublicKey>(StringComparer.Ordinal);
        foreach (var p in Members(SigstoreJson.RequiredObject(Signed, "keys", what)))
        {
            if (p.Value.ValueKind != JsonValueKind.Object) throw new SupplyException($"{what}: key {p.Name} is not an object");
            var type = SigstoreJson.String(p.Value, "keytype", what);
            var scheme = SigstoreJson.String(p.Value, "scheme", what);
            var value = SigstoreJson.String(SigstoreJson.RequiredObject(p.Value, "keyval", what), "public", what) ?? "";
            if (type == "ed25519" && scheme == "ed25519")
            {
                byte[] raw;
                try { raw = Convert.FromHexString(value); }
                catch (FormatException e) { throw new SupplyException($"{what}: ed25519 key {p.Name} is not hex", e); }
                if (raw.Length != 32) throw new SupplyException($"{what}: ed25519 key {p.Name} is not 32 bytes");
                keys[p.Name] = SigstorePublicKey.FromSpki([.. Convert.FromHexString("302a300506032b6570032100"), .. raw], "", what);
            }
            else if (type is "ecdsa" or "ecdsa-sha2-nistp256" && scheme is "ecdsa-sha2-nistp256")
            {
                // Sigstore's roots 1–4 (securesystemslib's older form) hold the key as the hex uncompressed point
                // (04 || X || Y); later ones as PEM.
                keys[p.Name] = value.StartsWith("04", StringComparison.Ordinal) && value.Length == 130 && value.All(Uri.IsHexDigit)
                    ? SigstorePublicKey.FromSpki([.. Convert.FromHexString("3059301306072a8648ce3d020106082a8648ce3d030107034200"), .. Convert.FromHexString(value)], "", what)
                    : SigstorePublicKey.FromPem(value, $"{what}: key {p.Name}");
            }
        }
        var roles = new Dictionary<string, TufRole>(StringComparer.Ordinal);
        foreach (var p in Members(SigstoreJson.RequiredObject(Signed, "roles", what)))
        {
            if (p.Value.ValueKind != JsonValueKind.Object) throw new SupplyException($"{what}: role {p.Name} is not an object");
            var ids = SigstoreJson.Array(p.Value, "keyids", what, 1024).Select(k => k.ValueKind == JsonValueKind.String ? k.GetString()! : throw new SupplyException($"{what}: key ids must be strings")).ToList();
            var threshold = SigstoreJson.Int64(p.Value, "threshold", what);
            if (threshold < 1 || threshold > 1024) throw new SupplyException($"{what}: role {p.Name} threshold must be 1 to 1024");
            roles[p.Name] = new TufRole(ids, (int)threshold);
        }
        foreach (var required in new[] { "root", "timestamp", "snapshot", "targets" })
            if (!roles.ContainsKey(required)) throw new SupplyException($"{what}: no {required} role");
        var consistent = Signed.TryGetProperty("consistent_snapshot", out var c) && c.ValueKind == JsonValueKind.True;
        return (keys, roles, consistent);
    }

    /// <summary>Timestamp's and snapshot's <c>meta</c>: file name → version, length, hashes.</summary>
    public Dictionary<string, TufFileInfo> Meta(string what) => Files(SigstoreJson.RequiredObject(Signed, "meta", what), what);

    /// <summary>Targets' <c>targets</c>: target path → length, hashes.</summary>
    public Dictionary<string, TufFileInfo> Targets(string what) => Files(SigstoreJson.RequiredObject(Signed, "targets", what), what);

    public bool HasDelegations => Signed.TryGetProperty("delegations", out var d) && d.ValueKind == JsonValueKind.Object
        && d.TryGetProperty("roles", out var r) && r.ValueKind == JsonValueKind.Array && r.GetArrayLength() > 0;

    private static Dictionary<string, TufFileInfo> Files(JsonElement obj, string what)
    {
        var result = new Dictionary<string, TufFileInfo>(StringComparer.Ordinal);
        foreach (var p in Members(obj))
        {
            if (p.Value.ValueKind != JsonValueKind.Object) throw new SupplyException($"{what}: entry {p.Name} is not an object");
            long? version = p.Value.TryGetProperty("version", out _) ? SigstoreJson.Int64(p.Value, "version", what) : null;
            long? length = p.Value.TryGetProperty("length", out _) ? SigstoreJson.Int64(p.Value, "length", what) : null;
            if (length < 0 || version < 0) throw new SupplyException($"{what}: entry {p.Name} has a negative length or version");
            var hashes = SigstoreJson.Object(p.Value, "hashes", what) is { } h
                ? Members(h).ToDictionary(x => x.Name, x => x.Value.ValueKind == JsonValueKind.String ? x.Value.GetString()! : throw new SupplyException($"{what}: hash of {p.Name} is not a string"), StringComparer.Ordinal)
                : new Dictionary<string, string>(StringComparer.Ordinal);
            result[p.Name] = new TufFileInfo(version, length, hashes);
        }
        return result;
    }

    private static List<JsonProperty> Members(JsonElement obj)
    {
        var list = obj.EnumerateObject().Take(MaxEntries + 1).ToList();
        if (list.Count > MaxEntries) throw new SupplyException($"TUF metadata: more than {MaxEntries} entries in one object");
        return list;
    }

    /// <summary>Length and every known hash (sha256, sha512) of <paramref name="bytes"/> must match; at least one hash
    /// when <paramref name="requireHash"/> (a target file is trusted only through its hash).</summary>
    public static void CheckFile(byte[] bytes, TufFileInfo info, bool requireHash, string what)
    {
        if (info.Length is { } length && bytes.LongLength != length) throw new SupplyException($"{what}: {bytes.LongLength} bytes, but the signed metadata says {length}");
        var checkedOne = false;
        foreach (var (algorithm, expected) in info.Hashes)
        {
            byte[]? actual = algorithm switch
            {
                "sha256" => System.Security.Cryptography.SHA256.HashData(bytes),
                "sha512" => System.Security.Cryptography.SHA512.HashData(bytes),
                _ => null,
            };
            if (actual is null) continue;
            if (!Convert.ToHexStringLower(actual).Equals(expected, StringComparison.OrdinalIgnoreCase))
                throw new SupplyException($"{what}: its {algorithm} is not the one the signed metadata names");
            checkedOne = true;
        }
        if (requireHash && !checkedOne) throw new SupplyException($"{what}: the signed metadata names no sha256 or sha512 hash for it");
    }
}
