using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using ZeroDrift.Supply.Sigstore;

namespace ZeroDrift.Benchmarks;

/// <summary>
/// A first keyless verification's chain step on a real production bundle (sigstore-conformance happy-path-v0.3,
/// Sigstore public-good trusted root, at its log entry's integrated time): the direct verifier against the X509Chain
/// build it replaced (kept here as the reference, as the product used it), and the whole bundle verification.
/// </summary>
[MemoryDiagnoser]
public class KeylessChainBenchmarks
{
    private X509Certificate2 _leaf = null!;
    private TrustedRoot _root = null!;
    private DateTimeOffset _time;
    private SigstoreBundleDocument _bundle = null!;
    private ArtifactInput _artifact = null!;

    [GlobalSetup]
    public void Setup()
    {
        var cases = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "..", "shared", "conformance", "sigstore", "assets", "bundle-verify");
        if (Environment.GetEnvironmentVariable("ZERODRIFT_CONFORMANCE") is { Length: > 0 } dir) cases = dir;
        cases = Path.GetFullPath(Directory.Exists(cases) ? cases : "/work/shared/conformance/sigstore/assets/bundle-verify");
        _bundle = SigstoreBundleDocument.Load(Path.Combine(cases, "happy-path-v0.3", "bundle.sigstore.json"));
        _artifact = ArtifactInput.FromBytes(File.ReadAllBytes(Path.Combine(cases, "a.txt")));
        _leaf = _bundle.Leaf!;
        _root = TrustedRoot.Production();
        _time = DateTimeOffset.FromUnixTimeSeconds(_bundle.TlogEntries[0].IntegratedTime);
    }

    [Benchmark(Baseline = true)]
    public bool X509ChainReference()
    {
        foreach (var authority in _root.CertificateAuthorities.Where(a => a.Validity.Contains(_time)))
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(authority.Root);
            foreach (var intermediate in authority.Chain.Take(authority.Chain.Count - 1)) chain.ChainPolicy.ExtraStore.Add(intermediate);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = _time.UtcDateTime;
            chain.ChainPolicy.VerificationTimeIgnored = false;
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(CertificateChainVerifier.CodeSigning));
            if (chain.Build(_leaf)) return true;
        }
        return false;
    }

    [Benchmark]
    public bool Direct() => CertificateChainVerifier.Chain(_leaf, _root.CertificateAuthorities, _time, CertificateChainVerifier.CodeSigning) is not null;

    [Benchmark]
    public BundleVerification WholeBundle() =>
        new BundleVerifier(_root).VerifyKeyless(_bundle, _artifact, new IdentityPolicy(
            "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
            null, "https://token.actions.githubusercontent.com", null));
}
