using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Supply.Tests;

public sealed class FormatTests
{
    [Fact]
    public void Pae_is_the_DSSE_spec_example()
    {
        // https://github.com/secure-systems-lab/dsse/blob/master/protocol.md test vector.
        Assert.Equal("DSSEv1 29 http://example.com/HelloWorld 11 hello world",
            Encoding.UTF8.GetString(DsseEnvelope.Pae("http://example.com/HelloWorld", "hello world"u8)));
    }

    [Fact]
    public void Dsse_signature_covers_the_PAE_not_the_payload()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var envelope = DsseEnvelope.Sign(DsseEnvelope.InTotoPayloadType, "{}"u8.ToArray(), key);
        Assert.True(Ecdsa.Verify(key, DsseEnvelope.Pae(envelope.PayloadType, envelope.Payload), envelope.Signatures[0].Sig));
        Assert.False(Ecdsa.Verify(key, envelope.Payload, envelope.Signatures[0].Sig));
        Assert.True(envelope.VerifiedBy(key));
        Assert.False((envelope with { PayloadType = "text/plain" }).VerifiedBy(key));
        var json = Encoding.UTF8.GetString(Json.Bytes(envelope.ToJson()));
        Assert.StartsWith("""{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"ME""", json);
    }

    [Fact]
    public void Simple_signing_payload_is_byte_identical_to_cosigns()
    {
        // The payload cosign 2 signs (sigstore/cosign pkg/cosign/payload), Go's key order, optional null.
        var payload = SimpleSigning.Payload("127.0.0.1:5000/app", "sha256:" + new string('a', 64));
        Assert.Equal(
            "{\"critical\":{\"identity\":{\"docker-reference\":\"127.0.0.1:5000/app\"},\"image\":{\"docker-manifest-digest\":\"sha256:" + new string('a', 64) +
            "\"},\"type\":\"cosign container image signature\"},\"optional\":null}",
            Encoding.UTF8.GetString(payload));
        var claims = SimpleSigning.Parse(payload, "p");
        Assert.Equal("127.0.0.1:5000/app", claims.DockerReference);
    }

    [Fact]
    public void Statement_v1_and_v01_are_read()
    {
        var digest = "sha256:" + new string('b', 64);
        var v1 = InTotoStatement.Create("r/app", digest, PredicateTypes.CycloneDx, new JsonObject { ["bomFormat"] = "CycloneDX" });
        Assert.StartsWith("""{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"r/app","digest":{"sha256":"bbbb""", Encoding.UTF8.GetString(v1));
        var parsed = InTotoStatement.Parse(v1, "s");
        Assert.True(parsed.HasSubject(digest));
        Assert.Equal("CycloneDX", parsed.Predicate!["bomFormat"]!.GetValue<string>());
        var v01 = Encoding.UTF8.GetBytes("""{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://cosign.sigstore.dev/attestation/vuln/v1","subject":[{"name":"x","digest":{"sha256":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}}],"predicate":{}}""");
        Assert.Equal(PredicateTypes.Vuln, InTotoStatement.Parse(v01, "s").PredicateType);
        Assert.Throws<SupplyException>(() => InTotoStatement.Parse("""{"_type":"other"}"""u8.ToArray(), "s"));
    }

    [Theory]
    [InlineData("cyclonedx", "https://cyclonedx.org/bom")]
    [InlineData("spdx", "https://spdx.dev/Document")]
    [InlineData("vuln", "https://cosign.sigstore.dev/attestation/vuln/v1")]
    [InlineData("https://example.com/p/v1", "https://example.com/p/v1")]
    public void Predicate_types_are_cosigns(string name, string uri) => Assert.Equal(uri, PredicateTypes.Resolve(name));
}
