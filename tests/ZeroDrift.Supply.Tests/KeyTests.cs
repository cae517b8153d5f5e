using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ZeroDrift.Supply;
using ZeroDrift.Supply.Keys;

namespace ZeroDrift.Supply.Tests;

public sealed class KeyTests
{
    // NaCl's secretbox test vector (tests/secretbox.c: firstkey, nonce, the 131-byte message and its box), as the
    // node-sodium tests publish it; Go's secretbox output is the 16-byte tag followed by the ciphertext.
    private static readonly byte[] NaclKey = Convert.FromHexString("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389");
    private static readonly byte[] NaclNonce = Convert.FromHexString("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37");
    private static readonly byte[] NaclMessage = Convert.FromHexString(
        "be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb310e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f9377638486" + "45e0705");
    private static readonly byte[] NaclBox = Convert.FromHexString(
        "f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c97271d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae90224368517acfeabd6bb3732bc0e9da99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74e355a5");

    [Fact]
    public void SecretBox_matches_NaCl_test_vector()
    {
        Assert.Equal(NaclBox, SecretBox.Seal(NaclMessage, NaclNonce, NaclKey));
        Assert.Equal(NaclMessage, SecretBox.Open(NaclBox, NaclNonce, NaclKey));
    }

    [Fact]
    public void SecretBox_refuses_an_altered_box()
    {
        var box = (byte[])NaclBox.Clone();
        box[40] ^= 1;
        Assert.Null(SecretBox.Open(box, NaclNonce, NaclKey));
        box = (byte[])NaclBox.Clone();
        box[0] ^= 1;
        Assert.Null(SecretBox.Open(box, NaclNonce, NaclKey));
    }

    [Fact]
    public void Envelope_decrypts_go_securesystemslib_vectors()
    {
        // encrypted_test.go TestDecrypt and the standard-strength KDF vector, passphrase "supersecret".
        var legacy = """{"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"N9a7x5JFGbrtB2uBR81jPwp0eiLR4A7FV3mjVAQrg1g="},"cipher":{"name":"nacl/secretbox","nonce":"2h8HxMmgRfuYdpswZBQaU3xJ1nkA/5Ik"},"ciphertext":"SEW6sUh0jf2wfdjJGPNS9+bkk2uB+Cxamf32zR8XkQ=="}""";
        var standard = """{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"FhzPOt9/bJG4PTq6lQ6ecG6GzaOuOy/ynG5+yRiFlNs="},"cipher":{"name":"nacl/secretbox","nonce":"aw1ng1jHaDz/tQ7V2gR9O2+IGQ8xJEuE"},"ciphertext":"HycvuLZL4sYH0BrYTh4E/H20VtAW6u5zL5Pr+IBjYLYnCPzDkq8="}""";
        Assert.Equal("reallyimportant", Encoding.UTF8.GetString(EncryptedEnvelope.Decrypt(Encoding.UTF8.GetBytes(legacy), "supersecret"u8)));
        // The KDF vectors go through Marshal: the sealed text is the JSON of the []byte, a base64 string.
        Assert.Equal("\"" + Convert.ToBase64String("reallyimportant"u8) + "\"", Encoding.UTF8.GetString(EncryptedEnvelope.Decrypt(Encoding.UTF8.GetBytes(standard), "supersecret"u8)));
        var e = Assert.Throws<SupplyException>(() => EncryptedEnvelope.Decrypt(Encoding.UTF8.GetBytes(legacy), "wrong"u8));
        Assert.Contains("decryption failed", e.Message);
    }

    [Fact]
    public void Envelope_refuses_parameters_go_refuses()
    {
        // encrypted_test.go TestUnsupportedKDFParameters: N=99 r=99 p=99 must not be run (and would cost memory).
        var vector = """{"kdf":{"name":"scrypt","params":{"N":99,"r":99,"p":99},"salt":"cZFcQJdwPhPyhU1R4qkl0qVOIjZd4V/7LYYAavq166k="},"cipher":{"name":"nacl/secretbox","nonce":"7vhRS7j0hEPBWV05skAdgLj81AkGeE7U"},"ciphertext":"6WYU/YSXVbYzl/NzaeAzmjLyfFhOOjLc0d8/GFV0aBFdJvyCcXc="}""";
        var e = Assert.Throws<SupplyException>(() => EncryptedEnvelope.Decrypt(Encoding.UTF8.GetBytes(vector), "supersecret"u8));
        Assert.Contains("unsupported scrypt parameters", e.Message);
    }

    // A key pair cosign generated with an empty password (COSIGN_PASSWORD=""), published as test data in
    // oasysgames/oasys-validator (txfilter/testdata/cosign-test.key and .pub, "the key password is empty").
    private const string CosignKey = """
        -----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----
        eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjo2NTUzNiwiciI6
        OCwicCI6MX0sInNhbHQiOiJnZHNmanN0Vkp1N2VhOVBTZENEYjk1ejA4dnp3elBn
        bWp6cTRiT0Vsb2Y4PSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94
        Iiwibm9uY2UiOiJHMExQRzBMaTNJbU8wL0pEY3lnRk14STNIWlAwSlNCciJ9LCJj
        aXBoZXJ0ZXh0IjoieVdEN25sZ3FBbW1VWktWWWl5Q1c0WUF4WlFQMUlFdzNGTnNi
        em1JT3BXYWhnWWxGUkQ2cERqQ20xZFlyYTFZbXZvODdETFRkUlhaYVAxWUc2ZC9m
        UGhsek9iSkVPa2FJd1dRQlRlQ1JQVG94RGE2UE1LbHg4L0NpQUl6WkZSeThHQmVt
        WkpYMU5EVWZLOW50djdPQlRPRmJSR0Y0aVoybXNYQWlBaW05NXNRRFF6YzVzR0NG
        UHpwM3p1bWJLa2F4K1hkWUtNTkRPcWRtK3c9PSJ9
        -----END ENCRYPTED SIGSTORE PRIVATE KEY-----
        """;

    private const string CosignPub = """
        -----BEGIN PUBLIC KEY-----
        MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAECkykR7dl5tetHC7ILI49Hr1RxC/x
        YPnVY4O63zDwXavivBlLkkP/10cBjmpIluHARf4aDORYuSCnsgysKEOhqg==
        -----END PUBLIC KEY-----
        """;

    [Fact]
    public void A_key_cosign_generated_decrypts_and_signs()
    {
        using var key = SigningKeys.LoadPrivateKey(CosignKey, "", "cosign.key");
        var data = "payload"u8.ToArray();
        var signature = Signing.Ecdsa.Sign(key, data);
        Assert.True(Signing.Ecdsa.Verify(key, data, signature));
        Assert.Equal(0x30, signature[0]); // ASN.1 DER SEQUENCE, not IEEE P1363 r||s
        using var pub = SigningKeys.LoadPublicKey(CosignPub, "cosign.pub");
        Assert.Equal(pub.ExportSubjectPublicKeyInfo(), key.ExportSubjectPublicKeyInfo());
        Assert.Throws<SupplyException>(() => SigningKeys.LoadPrivateKey(CosignKey, "not-the-password", "cosign.key"));
    }

    [Fact]
    public void Generated_key_has_cosigns_exact_PEM_structure()
    {
        var pair = SigningKeys.Generate("pw");
        var lines = pair.PrivateKeyPem.Split('\n');
        Assert.Equal("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----", lines[0]);
        Assert.Equal("-----END ENCRYPTED SIGSTORE PRIVATE KEY-----", lines[^2]);
        Assert.Equal("", lines[^1]);
        Assert.All(lines[1..^3], l => Assert.Equal(64, l.Length));
        var body = Convert.FromBase64String(string.Concat(lines[1..^2]));
        var json = Encoding.UTF8.GetString(body);
        // Field order and names as Go marshals go-securesystemslib's structs.
        Assert.Matches("""^\{"kdf":\{"name":"scrypt","params":\{"N":65536,"r":8,"p":1\},"salt":"[A-Za-z0-9+/]{43}="\},"cipher":\{"name":"nacl/secretbox","nonce":"[A-Za-z0-9+/]{32}"\},"ciphertext":"[A-Za-z0-9+/=]+"\}$""", json);
        var plain = EncryptedEnvelope.Decrypt(body, "pw"u8);
        using var fromPkcs8 = ECDsa.Create();
        fromPkcs8.ImportPkcs8PrivateKey(plain, out var read);
        Assert.Equal(plain.Length, read);

        Assert.StartsWith("-----BEGIN PUBLIC KEY-----\n", pair.PublicKeyPem);
        Assert.EndsWith("-----END PUBLIC KEY-----\n", pair.PublicKeyPem);
        using var pub = SigningKeys.LoadPublicKey(pair.PublicKeyPem, "pub");
        // PKIX SubjectPublicKeyInfo of a P-256 key, uncompressed point: 91 bytes, as Go's MarshalPKIXPublicKey writes it.
        Assert.Equal(91, pub.ExportSubjectPublicKeyInfo().Length);
        using var priv = SigningKeys.LoadPrivateKey(pair.PrivateKeyPem, "pw", "key");
        Assert.True(Signing.Ecdsa.Verify(pub, "x"u8, Signing.Ecdsa.Sign(priv, "x"u8)));
    }

    [Fact]
    public void Malformed_keys_are_one_clear_error()
    {
        Assert.Contains("no PEM block", Assert.Throws<SupplyException>(() => SigningKeys.LoadPublicKey("garbage", "k.pub")).Message);
        Assert.Contains("malformed envelope", Assert.Throws<SupplyException>(() => SigningKeys.LoadPrivateKey(
            "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nbm90IGEga2V5\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n", "", "k.key")).Message);
        using var rsa = RSA.Create(2048);
        Assert.Throws<SupplyException>(() => SigningKeys.LoadPublicKey(rsa.ExportSubjectPublicKeyInfoPem(), "rsa.pub"));
    }
}
