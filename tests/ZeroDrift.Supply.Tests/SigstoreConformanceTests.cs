using ZeroDrift.Supply;
using ZeroDrift.Supply.Sigstore;

namespace ZeroDrift.Supply.Tests;

/// <summary>
/// Sigstore's client conformance cases (sigstore/sigstore-conformance test/assets/bundle-verify, in
/// ../shared/conformance/sigstore): every case runs through the real verifier with the identity, issuer, trusted
/// root and key its README prescribes; cases named *_fail must be refused, every other one must verify.
/// </summary>
public sealed class SigstoreConformanceTests
{
    private const string DefaultIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    private const string DefaultIssuer = "https://token.actions.githubusercontent.com";

    /// <summary>Cases not run, each with its reason. Target: empty (all 70 pass).</summary>
    private static readonly Dictionary<string, string> Skipped = new();

    private static string CasesDir => Path.Combine(RepoPaths.Conformance("sigstore"), "assets", "bundle-verify");

    private static List<string> CaseNames() =>
        Directory.GetDirectories(CasesDir).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal).ToList();

    public static TheoryData<string> Cases() => new(CaseNames());

    /// <summary>Runs one case; returns null when it verified, else the refusal line.</summary>
    public static string? Run(string name)
    {
        var dir = Path.Combine(CasesDir, name);
        string Read(string file, string fallback) => File.Exists(Path.Combine(dir, file)) ? File.ReadAllText(Path.Combine(dir, file)).Trim() : fallback;
        var artifactPath = File.Exists(Path.Combine(dir, "artifact")) ? Path.Combine(dir, "artifact") : Path.Combine(CasesDir, "a.txt");
        try
        {
            var root = File.Exists(Path.Combine(dir, "trusted_root.json"))
                ? TrustedRoot.Load(Path.Combine(dir, "trusted_root.json"))
                : TrustedRoot.Production();
            var bundle = SigstoreBundleDocument.Load(Path.Combine(dir, "bundle.sigstore.json"));
            var artifact = ArtifactInput.FromBytes(File.ReadAllBytes(artifactPath));
            var verifier = new BundleVerifier(root);
            if (File.Exists(Path.Combine(dir, "key.pub")))
                verifier.VerifyWithKey(bundle, artifact, SigstorePublicKey.FromPem(File.ReadAllText(Path.Combine(dir, "key.pub")), "key.pub"));
            else
                verifier.VerifyKeyless(bundle, artifact, new IdentityPolicy(Read("identity", DefaultIdentity), null, Read("issuer", DefaultIssuer), null));
            return null;
        }
        catch (SupplyException e)
        {
            return e.Message;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_verifies_or_is_refused_as_the_suite_expects(string name)
    {
        if (Skipped.ContainsKey(name)) return;
        var refusal = Run(name);
        if (name.EndsWith("_fail", StringComparison.Ordinal))
            Assert.True(refusal is not null, $"{name} must be refused but verified");
        else
            Assert.True(refusal is null, $"{name} must verify but was refused: {refusal}");
        if (refusal is not null) Assert.DoesNotContain('\n', refusal);
    }

    [Fact]
    public void All_seventy_cases_are_present_and_every_skip_names_a_real_case()
    {
        var names = CaseNames();
        Assert.Equal(70, names.Count);
        Assert.All(Skipped.Keys, k => Assert.Contains(k, names));
    }
}
