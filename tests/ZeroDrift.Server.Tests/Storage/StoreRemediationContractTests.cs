using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Tests.Storage;

/// <summary>Remediation jobs and the credit for ZeroDrift's fixes, on both engines (docs/remediation.md, "On the server").</summary>
public abstract partial class StoreContractTests
{
    private const string Original = "sha256:" + "aa00000000000000000000000000000000000000000000000000000000000000";
    private const string Patched = "sha256:" + "bb00000000000000000000000000000000000000000000000000000000000000";

    private static ScanIngest RegistryScan(string subject, long at, string digest, params FindingRow[] findings) =>
        Scan(subject, at, "registry", findings) with { TargetName = "registry.local/shop/web:1", TargetKind = "Registry", ImageDigest = digest };

    [Fact]
    public async Task A_patch_image_playbook_makes_one_job_per_image_and_only_a_rescan_of_the_patched_digest_counts_as_a_ZeroDrift_fix()
    {
        await using var store = await MigratedAsync();
        // A workload running the image has an open incident: the job is linked to it.
        await store.IngestAgentBatchAsync("agent-1", "b1", Batch(
            containers: [new ContainerRow("c0ffee000000aaaa", "node-1", "shop/web", "registry.local/shop/web:1", Original, "running", false, T0, T0)],
            alerts: [Alert("a-1", "shell in container", "high", T0)]), T0, default);
        await store.CreatePlaybookAsync("patch critical", "*", "critical", Remediations.PatchImage, "admin", T0, default);

        var openssl = Finding("CVE-1", "pkg:deb/debian/openssl@3.0.1", "critical", "3.0.2");
        var lodash = Finding("CVE-2", "pkg:npm/lodash@4.17.0", "critical", "4.17.21");
        var zlib = Finding("CVE-3", "pkg:deb/debian/zlib@1.2", "medium", "1.3");
        var first = await store.IngestScanAsync(RegistryScan("shop/web", T0 + 1000, Original, openssl, lodash, zlib), default);
        var id = Assert.Single(first.Remediations);
        var job = (await store.RemediationAsync(id, default))!;
        // Every fixable OS finding is asked for (zerodrift fix upgrades them in one layer); npm needs a rebuild.
        Assert.Equal((Remediations.Pending, "registry.local/shop/web:1", Original, "playbook:patch critical", true), (job.State, job.Image, job.ImageDigest, job.RequestedBy, job.Automatic));
        Assert.Equal(["CVE-1", "CVE-3"], job.Findings);
        Assert.NotNull(job.IncidentId);
        Assert.Contains(await store.TimelineAsync(job.IncidentId!.Value, default), e => e.Kind == "remediation" && e.Detail.Contains($"patch-image job {id}", StringComparison.Ordinal));
        // The same image scanned again makes no second job; a scan of a non-registry target makes none.
        Assert.Empty((await store.IngestScanAsync(RegistryScan("shop/web", T0 + 2000, Original, openssl, lodash, zlib), default)).Remediations);
        Assert.Empty((await store.IngestScanAsync(Scan("shop/other", T0 + 2000, "build", openssl), default)).Remediations);

        // CI claims it; nobody else gets it while the lease runs; only the claimer may report it.
        var claimed = await store.ClaimRemediationAsync(Remediations.PatchImage, "ci-bot", T0 + 3000, T0 + 60_000, default);
        Assert.Equal((id, Remediations.Claimed, "ci-bot"), (claimed!.Id, claimed.State, claimed.ClaimedBy));
        Assert.Null(await store.ClaimRemediationAsync(Remediations.PatchImage, "other", T0 + 4000, T0 + 60_000, default));
        Assert.Null(await store.CompleteRemediationAsync(id, "other", "registry.local/shop/web:1-zdpatched@" + Patched, Patched, T0 + 5000, default));
        var done = await store.CompleteRemediationAsync(id, "ci-bot", "registry.local/shop/web:1-zdpatched@" + Patched, Patched, T0 + 5000, default);
        Assert.Equal((Remediations.Done, Patched), (done!.State, done.PatchedDigest));
        Assert.Contains(await store.TimelineAsync(job.IncidentId!.Value, default), e => e.Kind == "remediation-done" && e.Detail.Contains(Patched, StringComparison.Ordinal));

        // The rescan of the patched digest closes both OS findings: ZeroDrift's fixes; it makes no job of its own.
        var rescan = await store.IngestScanAsync(RegistryScan("shop/web", T0 + 3_600_000, Patched, lodash), default);
        Assert.Equal((2, 2), (rescan.Fixed, rescan.FixedByZeroDrift));
        Assert.Empty(rescan.Remediations);
        // A fix someone else made (a later scan of another workload's new image) is seen, not ZeroDrift's.
        await store.IngestScanAsync(Scan("shop/api", T0, "build", Finding("CVE-4", "pkg:deb/debian/curl@7", "critical", "8")), default);
        var other = await store.IngestScanAsync(Scan("shop/api", T0 + 7_200_000, "build"), default);
        Assert.Equal((1, 0), (other.Fixed, other.FixedByZeroDrift));

        var facts = await store.SeedFactsAsync(0, default);
        Assert.Equal(2, facts.FixedBySeverity["critical"]);
        Assert.Equal(1, facts.FixedByZeroDriftBySeverity["critical"]);
        Assert.Equal(1, facts.FixedByZeroDriftBySeverity["medium"]);
        Assert.Equal([3_599_000L, 3_599_000L], facts.ZeroDriftResponseTimesMs);
        Assert.Equal([7_200_000L], facts.ScanResponseTimesMs);

        // Per image: fixable now, the patched digest, and deployed once an agent runs it.
        var image = (await store.ImagesAsync(default)).Single(i => i.ImageDigest == Original);
        Assert.Equal((3, Patched, false), (image.FixableNow, image.Remediation!.PatchedDigest, image.PatchedDeployed));
        await store.IngestAgentBatchAsync("agent-1", "b2", Batch(
            containers: [new ContainerRow("c0ffee000000bbbb", "node-1", "shop/web", "registry.local/shop/web:1-zdpatched", Patched, "running", false, T0, T0 + 4_000_000)]), T0 + 4_000_000, default);
        Assert.True((await store.ImagesAsync(default)).Single(i => i.ImageDigest == Original).PatchedDeployed);
    }

    [Fact]
    public async Task A_lapsed_claim_goes_to_the_next_claimer_and_a_rescan_uploaded_before_the_report_is_still_credited()
    {
        await using var store = await MigratedAsync();
        await store.IngestScanAsync(RegistryScan("shop/web", T0, Original, Finding("CVE-1", "pkg:deb/debian/openssl@3.0.1", "high", "3.0.2")), default);
        var id = await store.RequestRemediationAsync(new RemediationRequest("shop/web", Remediations.PatchImage, "", "", "admin", false, [], T0 + 10), default);
        Assert.Equal(Original, (await store.RemediationAsync(id, default))!.ImageDigest);
        await Assert.ThrowsAsync<StoreConflictException>(() => store.RequestRemediationAsync(new RemediationRequest("shop/web", Remediations.PatchImage, "", "", "admin", false, [], T0 + 20), default));
        await Assert.ThrowsAsync<StoreNotFoundException>(() => store.RequestRemediationAsync(new RemediationRequest("shop/none", Remediations.PatchImage, "", "", "admin", false, [], T0 + 20), default));

        Assert.NotNull(await store.ClaimRemediationAsync(Remediations.PatchImage, "crashed", T0 + 100, T0 + 1000, default));
        var second = await store.ClaimRemediationAsync(Remediations.PatchImage, "ci-bot", T0 + 2000, T0 + 60_000, default);
        Assert.Equal((id, "ci-bot"), (second!.Id, second.ClaimedBy));
        Assert.False(await store.FailRemediationAsync(id, "crashed", "gone", T0 + 2100, default));

        // CI uploaded the rescan first, then reported the digest: the closure is credited at the report.
        var rescan = await store.IngestScanAsync(RegistryScan("shop/web", T0 + 3000, Patched), default);
        Assert.Equal((1, 0), (rescan.Fixed, rescan.FixedByZeroDrift));
        await store.CompleteRemediationAsync(id, "ci-bot", "registry.local/shop/web:1-zdpatched@" + Patched, Patched, T0 + 4000, default);
        Assert.Equal(1, (await store.SeedFactsAsync(0, default)).FixedByZeroDriftBySeverity["high"]);
    }

    [Fact]
    public async Task A_reported_dependency_fix_is_credited_when_a_later_scan_no_longer_shows_its_advisories()
    {
        await using var store = await MigratedAsync();
        await store.IngestScanAsync(Scan("shop/web", T0, "build", Finding("CVE-7", "pkg:npm/lodash@4.17.0", "high", "4.17.21"), Finding("CVE-8", "pkg:npm/minimist@1.0", "high", "1.2.6")), default);
        await store.ReportDependencyFixAsync("shop/web", ["CVE-7"], "ci-bot", T0 + 1000, default);
        var later = await store.IngestScanAsync(Scan("shop/web", T0 + 2000, "build"), default);
        // Both are gone, only the one the fix named is ZeroDrift's.
        Assert.Equal((2, 1), (later.Fixed, later.FixedByZeroDrift));
        var job = Assert.Single(await store.RemediationsAsync(10, default));
        Assert.Equal((Remediations.Dependencies, Remediations.Done), (job.Kind, job.State));
    }
}
