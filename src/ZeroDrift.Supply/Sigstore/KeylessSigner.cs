using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Supply.Sigstore;

/// <summary>Where keyless signing gets its certificate and records its signature.</summary>
public sealed record KeylessServices(Uri Fulcio, Uri Rekor)
{
    public static readonly KeylessServices PublicGood = new(new Uri("https://fulcio.sigstore.dev"), new Uri("https://rekor.sigstore.dev"));
}

/// <summary>
/// Keyless signing as cosign and sigstore-js do it: an ephemeral ECDSA P-256 key that never leaves memory, a Fulcio
/// certificate for it (v2 <c>/api/v2/signingCert</c>, proof of possession = the key's signature over the token's
/// subject), the signature recorded in Rekor v1 (hashedrekord 0.0.1 for a blob, intoto 0.0.2 for a DSSE envelope), and a
/// Sigstore bundle v0.3 holding the leaf certificate, the log entry (SET and inclusion proof) and the signature.
/// </summary>
public sealed class KeylessSigner(HttpClient http, KeylessServices services)
{
    private const int MaxResponseBytes = 1 << 20;

    /// <summary>A bundle whose message signature covers <paramref name="artifact"/>'s SHA-256.</summary>
    public async Task<byte[]> SignBlobAsync(byte[] artifact, string identityToken, CancellationToken cancellationToken)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leaf = await CertificateAsync(key, identityToken, cancellationToken).ConfigureAwait(false);
        var digest = SHA256.HashData(artifact);
        var signature = key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        var entry = new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "hashedrekord",
            ["spec"] = new JsonObject
            {
                ["data"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(digest) } },
                ["signature"] = new JsonObject
                {
                    ["content"] = Convert.ToBase64String(signature),
                    ["publicKey"] = new JsonObject { ["content"] = Base64Pem(leaf) },
                },
            },
        };
        var tlog = await LogAsync(entry, "hashedrekord", "0.0.1", cancellationToken).ConfigureAwait(false);
        return Bundle(leaf, tlog, "messageSignature", new JsonObject
        {
            ["messageDigest"] = new JsonObject { ["algorithm"] = "SHA2_256", ["digest"] = Convert.ToBase64String(digest) },
            ["signature"] = Convert.ToBase64String(signature),
        });
    }

    /// <summary>A bundle holding a DSSE envelope over <paramref name="payload"/> (an in-toto statement for attestations).</summary>
    public async Task<byte[]> SignDsseAsync(string payloadType, byte[] payload, string identityToken, CancellationToken cancellationToken)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leaf = await CertificateAsync(key, identityToken, cancellationToken).ConfigureAwait(false);
        var envelope = DsseEnvelope.Sign(payloadType, payload, key);
        var signature = envelope.Signatures[0].Sig;
        var verifier = Base64Pem(leaf);
        // intoto 0.0.2, as cosign attest and sigstore-js (legacy compatibility) log attestations: Rekor v1 stores the
        // envelope with payload and signature base64-encoded twice and the key beside the signature, and the hash of
        // the envelope as canonical JSON (keys sorted) with them encoded once.
        var hashed = Tuf.CanonicalJson.Encode(JsonSerializer.SerializeToElement(new JsonObject
        {
            ["payload"] = Convert.ToBase64String(payload),
            ["payloadType"] = payloadType,
            ["signatures"] = new JsonArray(new JsonObject { ["publicKey"] = verifier, ["sig"] = Convert.ToBase64String(signature) }),
        }));
        var entry = new JsonObject
        {
            ["apiVersion"] = "0.0.2",
            ["kind"] = "intoto",
            ["spec"] = new JsonObject
            {
                ["content"] = new JsonObject
                {
                    ["envelope"] = new JsonObject
                    {
                        ["payload"] = Twice(payload),
                        ["payloadType"] = payloadType,
                        ["signatures"] = new JsonArray(new JsonObject { ["sig"] = Twice(signature), ["publicKey"] = verifier }),
                    },
                    ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(SHA256.HashData(hashed)) },
                    ["payloadHash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(SHA256.HashData(payload)) },
                },
            },
        };
        var tlog = await LogAsync(entry, "intoto", "0.0.2", cancellationToken).ConfigureAwait(false);
        return Bundle(leaf, tlog, "dsseEnvelope", envelope.ToJson());
    }

    /// <summary>The subject Fulcio checks the proof of possession against: the token's email when it has one, else its sub.</summary>
    public static string TokenSubject(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) throw new SupplyException("identity token: not a JWT (header.payload.signature)");
        JsonElement claims;
        try
        {
            var b64 = parts[1].Replace('-', '+').Replace('_', '/');
            using var doc = JsonDocument.Parse(Convert.FromBase64String(b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=')));
            claims = doc.RootElement.Clone();
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new SupplyException($"identity token: unreadable claims ({e.Message})", e);
        }
        if (claims.ValueKind != JsonValueKind.Object) throw new SupplyException("identity token: the claims are not a JSON object");
        if (claims.TryGetProperty("email", out var email) && email.ValueKind == JsonValueKind.String) return email.GetString()!;
        if (claims.TryGetProperty("sub", out var sub) && sub.ValueKind == JsonValueKind.String) return sub.GetString()!;
        throw new SupplyException("identity token: neither an email nor a sub claim");
    }

    private async Task<byte[]> CertificateAsync(ECDsa key, string token, CancellationToken cancellationToken)
    {
        var subject = TokenSubject(token);
        var pem = SigningKeysPem(key.ExportSubjectPublicKeyInfo());
        var request = new JsonObject
        {
            ["credentials"] = new JsonObject { ["oidcIdentityToken"] = token },
            ["publicKeyRequest"] = new JsonObject
            {
                ["publicKey"] = new JsonObject { ["algorithm"] = "ECDSA", ["content"] = pem },
                ["proofOfPossession"] = Convert.ToBase64String(key.SignData(Encoding.UTF8.GetBytes(subject), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)),
            },
        };
        using var response = await PostAsync(Endpoint(services.Fulcio, "api/v2/signingCert"), request, token, "Fulcio", cancellationToken).ConfigureAwait(false);
        var root = response.RootElement;
        if (!root.TryGetProperty("signedCertificateEmbeddedSct", out var embedded))
            throw new SupplyException(root.TryGetProperty("signedCertificateDetachedSct", out _)
                ? "Fulcio: the certificate came with a detached SCT, which bundles cannot carry; this Fulcio is not supported"
                : "Fulcio: the response holds no certificate");
        var chain = SigstoreJson.Array(SigstoreJson.RequiredObject(embedded, "chain", "Fulcio response"), "certificates", "Fulcio response", 10);
        if (chain.Count == 0 || chain[0].ValueKind != JsonValueKind.String) throw new SupplyException("Fulcio: an empty certificate chain");
        var leaf = PemBody(chain[0].GetString()!);
        // The certificate must be for this key: a Fulcio answering with another key's certificate would make every
        // signature made here unverifiable (or, worse, attributable to someone else).
        using var certificate = Certificates.Parse(leaf, "Fulcio certificate");
        using var certKey = certificate.GetECDsaPublicKey() ?? throw new SupplyException("Fulcio: the certificate's key is not ECDSA");
        if (!certKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            throw new SupplyException("Fulcio: the certificate is for another key");
        return leaf;
    }

    /// <summary>Rekor's answer, <c>{uuid: {body, integratedTime, logID, logIndex, verification: {signedEntryTimestamp, inclusionProof}}}</c>, as a bundle's tlog entry.</summary>
    private async Task<JsonObject> LogAsync(JsonObject entry, string kind, string version, CancellationToken cancellationToken)
    {
        using var response = await PostAsync(Endpoint(services.Rekor, "api/v1/log/entries"), entry, null, "Rekor", cancellationToken).ConfigureAwait(false);
        const string what = "Rekor response";
        var first = response.RootElement.ValueKind == JsonValueKind.Object ? response.RootElement.EnumerateObject().FirstOrDefault() : default;
        if (first.Value.ValueKind != JsonValueKind.Object) throw new SupplyException("Rekor: the response holds no entry");
        var e = first.Value;
        var body = SigstoreJson.RequiredBase64(e, "body", what);
        var verification = SigstoreJson.RequiredObject(e, "verification", what);
        var tlog = new JsonObject
        {
            ["logIndex"] = SigstoreJson.Int64(e, "logIndex", what).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["logId"] = new JsonObject { ["keyId"] = Convert.ToBase64String(Hex(SigstoreJson.RequiredString(e, "logID", what))) },
            ["kindVersion"] = new JsonObject { ["kind"] = kind, ["version"] = version },
            ["integratedTime"] = SigstoreJson.Int64(e, "integratedTime", what).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["inclusionPromise"] = new JsonObject { ["signedEntryTimestamp"] = SigstoreJson.RequiredString(verification, "signedEntryTimestamp", what) },
            ["canonicalizedBody"] = Convert.ToBase64String(body),
        };
        if (verification.TryGetProperty("inclusionProof", out var proof) && proof.ValueKind == JsonValueKind.Object)
        {
            tlog["inclusionProof"] = new JsonObject
            {
                ["logIndex"] = SigstoreJson.Int64(proof, "logIndex", what).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["rootHash"] = Convert.ToBase64String(Hex(SigstoreJson.RequiredString(proof, "rootHash", what))),
                ["treeSize"] = SigstoreJson.Int64(proof, "treeSize", what).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["hashes"] = new JsonArray(SigstoreJson.Array(proof, "hashes", what, 64)
                    .Select(h => (JsonNode)Convert.ToBase64String(Hex(h.GetString() ?? ""))).ToArray()),
                ["checkpoint"] = new JsonObject { ["envelope"] = SigstoreJson.RequiredString(proof, "checkpoint", what) },
            };
        }
        else
        {
            // Bundle v0.3 requires an inclusion proof: a log that gives only a promise cannot produce one.
            throw new SupplyException("Rekor: the entry came without an inclusion proof");
        }
        return tlog;
    }

    private static byte[] Bundle(byte[] leaf, JsonObject tlog, string contentName, JsonObject content) => Json.Bytes(new JsonObject
    {
        ["mediaType"] = SigstoreBundle.MediaType,
        ["verificationMaterial"] = new JsonObject
        {
            ["certificate"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(leaf) },
            ["tlogEntries"] = new JsonArray(tlog),
            ["timestampVerificationData"] = new JsonObject(),
        },
        [contentName] = content,
    });

    private async Task<JsonDocument> PostAsync(Uri uri, JsonObject body, string? bearer, string service, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new SupplyException($"{service} at {uri.GetLeftPart(UriPartial.Authority)}: {e.Message}", e);
        }
        using (response)
        {
            var bytes = await ReadBoundedAsync(response, service, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var text = Encoding.UTF8.GetString(bytes.AsSpan(0, Math.Min(bytes.Length, 300))).ReplaceLineEndings(" ").Trim();
                throw new SupplyException($"{service} refused: HTTP {(int)response.StatusCode} {text}");
            }
            return SigstoreJson.Parse(bytes, $"{service} response");
        }
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, string service, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxResponseBytes) throw new SupplyException($"{service}: response larger than {MaxResponseBytes} bytes");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>The service's path under its base URL, which may itself have a path (a proxy's prefix).</summary>
    private static Uri Endpoint(Uri baseUri, string path) =>
        new(baseUri.AbsoluteUri.EndsWith('/') ? baseUri : new Uri(baseUri.AbsoluteUri + "/"), path);

    private static string Twice(byte[] bytes) => Convert.ToBase64String(Encoding.ASCII.GetBytes(Convert.ToBase64String(bytes)));

    private static string SigningKeysPem(byte[] spki) => Keys.SigningKeys.Pem("PUBLIC KEY", spki);

    private static string Base64Pem(byte[] certificateDer) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes(Keys.SigningKeys.Pem("CERTIFICATE", certificateDer)));

    private static byte[] PemBody(string pem)
    {
        var lines = pem.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal));
        return SigstoreJson.Base64(string.Concat(lines), "Fulcio certificate");
    }

    private static byte[] Hex(string hex)
    {
        try { return Convert.FromHexString(hex); }
        catch (FormatException e) { throw new SupplyException($"Rekor: '{hex}' is not hex", e); }
    }
}
