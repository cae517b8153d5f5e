using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Supply.Assets;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Supply.Tests;

[Collection(SupplyRegistryCollection.Name)]
public sealed class AssetTests(SupplyRegistryFixture fixture)
{
    [Fact]
    public async Task Discovery_records_each_tagged_image_with_what_verified()
    {
        using var dir = new TempDir();
        await fixture.PushAsync("assets/app:1.0", "one");
        await fixture.PushAsync("assets/app:2.0", "two");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signing = new ImageSigning(fixture.Client());
        var v1 = await signing.ResolveAsync(ImageReference.Parse($"{fixture.Host}/assets/app:1.0"), CancellationToken.None);
        await signing.SignAsync(v1, key, SignatureFormat.Legacy, CancellationToken.None);
        var scan = ScanAttestations.VulnPredicate(new JsonObject { ["findings"] = new JsonArray() }, "0.1.0", null, DateTimeOffset.Parse("2026-11-01T10:00:00Z"), DateTimeOffset.Parse("2026-11-01T10:05:00Z"));
        await signing.AttestAsync(v1, key, PredicateTypes.Vuln, scan, SignatureFormat.Bundle, CancellationToken.None);

        using var store = new AssetStore(dir.Combine("sub/assets.db"));
        var count = await AssetDiscovery.DiscoverAsync(store, signing, new RepositoryRef(fixture.Host, "assets/app"), [new TrustedKey("k.pub", key)], CancellationToken.None);
        Assert.Equal(2, count); // the sha256-….sig and sha256-… referrer tags are not images
        var assets = store.List().OrderBy(a => a.Reference, StringComparer.Ordinal).ToList();
        Assert.Equal(2, assets.Count);
        Assert.Equal(v1.Digest, assets[0].Digest);
        Assert.Equal("k.pub", assets[0].SignedBy);
        Assert.Equal(PredicateTypes.Vuln, assets[0].Attestations);
        Assert.Equal("2026-11-01T10:05:00Z", assets[0].LastScan);
        Assert.Equal("", assets[1].SignedBy);

        // A second sighting updates, keeping the first.
        await AssetDiscovery.DiscoverAsync(store, signing, new RepositoryRef(fixture.Host, "assets/app"), [], CancellationToken.None);
        var again = store.List($"{fixture.Host}/assets/%").Single(a => a.Digest == v1.Digest);
        Assert.Equal(2, again.TimesSeen);
        Assert.Equal(assets[0].FirstSeen, again.FirstSeen);
        Assert.Equal("2026-11-01T10:05:00Z", again.LastScan);
    }
}

[Collection(SupplyRegistryCollection.Name)]
public sealed class ScanAttestationTests(SupplyRegistryFixture fixture)
{
    [Fact]
    public async Task A_scans_SBOM_and_report_attach_and_feed_the_policy()
    {
        await fixture.PushAsync("scanned/app:1", "scanned");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signing = new ImageSigning(fixture.Client());
        var image = await signing.ResolveAsync(ImageReference.Parse($"{fixture.Host}/scanned/app:1"), CancellationToken.None);
        var sbom = """{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}"""u8.ToArray();
        var report = """{"schemaVersion":1,"tool":"zerodrift 0.1.0","scanners":["vuln","secret"],"findings":[{"id":"CVE-2024-1","severity":{"level":"HIGH"},"fixedIn":"1.1"}],"contentFindings":[]}"""u8.ToArray();
        var started = DateTimeOffset.Parse("2026-11-02T08:00:00Z");
        var results = await ScanAttestations.AttachAsync(signing, image, key, SignatureFormat.Bundle, sbom, report, "0.1.0", started, started.AddMinutes(1), CancellationToken.None);
        Assert.Equal(2, results.Count);

        var checks = await signing.VerifyAttestationsAsync(image, [new TrustedKey("k", key)], PredicateTypes.Vuln, CancellationToken.None);
        var vuln = Assert.Single(checks);
        Assert.True(vuln.Verified);
        var predicate = vuln.Statement!.Predicate!;
        Assert.Equal(ScanAttestations.ScannerUri, predicate["scanner"]!["uri"]!.GetValue<string>());
        Assert.Equal("2026-11-02T08:01:00Z", predicate["metadata"]!["scanFinishedOn"]!.GetValue<string>());
        var evidence = Policy.ScanEvidence.FromVulnPredicate(predicate);
        Assert.Equal(Core.Severity.High, Assert.Single(evidence.Vulnerabilities).Severity);
        Assert.Equal(0, evidence.Secrets);
        Assert.Single(await signing.VerifyAttestationsAsync(image, [new TrustedKey("k", key)], PredicateTypes.CycloneDx, CancellationToken.None));
        Assert.Throws<SupplyException>(() => ScanAttestations.ParsePredicate("not json"u8.ToArray(), "report"));
    }
}
