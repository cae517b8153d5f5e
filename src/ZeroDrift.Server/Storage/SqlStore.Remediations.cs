using System.Data.Common;
using System.Text.Json;

namespace ZeroDrift.Server.Storage;

/// <summary>
/// Remediation jobs and the credit for the fixes they make. A patched image is the original plus ZeroDrift's one
/// layer, so whatever a scan of the patched digest no longer shows was closed by ZeroDrift: that is the only way a
/// fix is credited to a patch-image job (never the job's own claim). A dependency fix CI reports is credited when a
/// later scan of the workload no longer shows the vulnerabilities it named.
/// </summary>
internal sealed partial class SqlStore
{
    private const string RemediationColumns = "id, subject, kind, image, image_digest, state, requested_by, automatic, findings, incident_id, created_at, claimed_by, claimed_at, lease_until, done_at, patched_image, patched_digest, error";

    /// <summary>Package URL types an image patch can upgrade (OS packages); a language package needs a rebuild or a dependency fix.</summary>
    private static readonly string[] PatchablePurls = ["pkg:deb/", "pkg:rpm/", "pkg:apk/"];

    private static RemediationView MapRemediation(DbDataReader r) => new(L(r, 0), S(r, 1), S(r, 2), S(r, 3), S(r, 4), S(r, 5), S(r, 6), L(r, 7) != 0,
        JsonSerializer.Deserialize<string[]>(S(r, 8)) ?? [], NL(r, 9), L(r, 10), NS(r, 11), NL(r, 12), NL(r, 13), NL(r, 14), NS(r, 15), NS(r, 16), NS(r, 17));

    private static async Task<RemediationView?> RemediationAsync(DbConnection c, DbTransaction? t, long id, CancellationToken ct) =>
        (await QueryAsync(c, t, $"SELECT {RemediationColumns} FROM remediations WHERE id = @id", MapRemediation, ct, ("@id", id)).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>Credits the vulnerabilities this scan closed to a done job: the patched image's digest, or a reported dependency fix naming them.</summary>
    private static async Task<int> CreditFixesAsync(DbConnection c, DbTransaction t, ScanIngest scan, long scanId, CancellationToken ct)
    {
        var credited = 0;
        if (scan.ImageDigest.Length > 0)
        {
            var job = ToLong(await ScalarAsync(c, t, "SELECT MIN(id) FROM remediations WHERE subject = @s AND kind = @k AND state = @done AND patched_digest = @d", ct,
                ("@s", scan.Subject), ("@k", Remediations.PatchImage), ("@done", Remediations.Done), ("@d", scan.ImageDigest)).ConfigureAwait(false));
            if (job > 0)
                credited += await ExecAsync(c, t, "UPDATE vuln_state SET fixed_by_remediation = @j WHERE subject = @s AND fixed_scan = @scan AND fixed_by_remediation IS NULL", ct,
                    ("@j", job), ("@s", scan.Subject), ("@scan", scanId)).ConfigureAwait(false);
        }
        var dependencyFixes = await QueryAsync(c, t, "SELECT id, findings FROM remediations WHERE subject = @s AND kind = @k AND state = @done AND done_at <= @at ORDER BY id", r => (L(r, 0), S(r, 1)), ct,
            ("@s", scan.Subject), ("@k", Remediations.Dependencies), ("@done", Remediations.Done), ("@at", scan.ReceivedAt)).ConfigureAwait(false);
        foreach (var (job, findings) in dependencyFixes)
            foreach (var vuln in JsonSerializer.Deserialize<string[]>(findings) ?? [])
                credited += await ExecAsync(c, t, "UPDATE vuln_state SET fixed_by_remediation = @j WHERE subject = @s AND fixed_scan = @scan AND vuln_id = @v AND fixed_by_remediation IS NULL", ct,
                    ("@j", job), ("@s", scan.Subject), ("@scan", scanId), ("@v", vuln)).ConfigureAwait(false);
        return credited;
    }

    /// <summary>
    /// patch-image playbooks, evaluated on a registry image's scan: findings in OS packages with a fixed version, at or
    /// above the playbook's severity, whose id or package contains its text (<c>*</c>: any) make one job per image
    /// digest. An image that is itself a patch ZeroDrift made is not patched again.
    /// </summary>
    private static async Task<IReadOnlyList<long>> PatchPlaybooksAsync(DbConnection c, DbTransaction t, ScanIngest scan, CancellationToken ct)
    {
        if (!scan.TargetKind.Equals("registry", StringComparison.OrdinalIgnoreCase) || scan.ImageDigest.Length == 0) return [];
        var playbooks = (await QueryAsync(c, t, "SELECT id, name, rule_contains, min_severity, action, enabled FROM playbooks WHERE enabled = 1 AND action = @a ORDER BY id",
            r => new PlaybookRecord(L(r, 0), S(r, 1), S(r, 2), S(r, 3), S(r, 4), L(r, 5) != 0), ct, ("@a", Remediations.PatchImage)).ConfigureAwait(false));
        if (playbooks.Count == 0) return [];
        if (ToLong(await ScalarAsync(c, t, "SELECT COUNT(*) FROM remediations WHERE (subject = @s AND image_digest = @d) OR patched_digest = @d", ct,
            ("@s", scan.Subject), ("@d", scan.ImageDigest)).ConfigureAwait(false)) > 0) return [];
        var fixable = scan.Findings.Where(f => f.FixedIn is not null && PatchablePurls.Any(p => f.Purl.StartsWith(p, StringComparison.Ordinal))).ToList();
        foreach (var playbook in playbooks)
        {
            var matched = fixable.Where(f => SeverityRank(f.Severity) >= SeverityRank(playbook.MinSeverity) && (playbook.RuleContains == "*"
                || f.VulnId.Contains(playbook.RuleContains, StringComparison.OrdinalIgnoreCase) || f.Package.Contains(playbook.RuleContains, StringComparison.OrdinalIgnoreCase))).ToList();
            if (matched.Count == 0) continue;
            // The job asks for every fixable OS finding: `zerodrift fix` upgrades them all in one layer.
            var findings = fixable.Select(f => f.VulnId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var id = await InsertRemediationAsync(c, t, new RemediationRequest(scan.Subject, Remediations.PatchImage, scan.TargetName, scan.ImageDigest, $"playbook:{playbook.Name}", true, findings, scan.ReceivedAt),
                $"playbook {playbook.Name}: {matched[0].Severity} {matched[0].VulnId} in {matched[0].Package} (fixed in {matched[0].FixedIn})", ct).ConfigureAwait(false);
            return [id];
        }
        return [];
    }

    /// <summary>Inserts a job and links it to the newest unresolved incident of a workload running the image, whose timeline says so.</summary>
    private static async Task<long> InsertRemediationAsync(DbConnection c, DbTransaction t, RemediationRequest r, string why, CancellationToken ct)
    {
        var incident = await ScalarAsync(c, t, """
            SELECT MAX(i.id) FROM incidents i WHERE i.state <> 'resolved' AND (i.workload = @s OR i.workload IN
                (SELECT x.workload FROM containers x WHERE x.image = @img OR (@d <> '' AND x.image_digest = @d)))
            """, ct, ("@s", r.Subject), ("@img", r.Image), ("@d", r.ImageDigest)).ConfigureAwait(false);
        long? incidentId = incident is null ? null : ToLong(incident);
        var id = ToLong(await ScalarAsync(c, t, """
            INSERT INTO remediations (subject, kind, image, image_digest, state, requested_by, automatic, findings, incident_id, created_at)
            VALUES (@s, @k, @img, @d, @state, @by, @auto, @f, @i, @now) RETURNING id
            """, ct, ("@s", r.Subject), ("@k", r.Kind), ("@img", r.Image), ("@d", r.ImageDigest), ("@state", r.Kind == Remediations.Dependencies ? Remediations.Done : Remediations.Pending),
            ("@by", r.RequestedBy), ("@auto", r.Automatic ? 1L : 0L), ("@f", JsonSerializer.Serialize(r.Findings)), ("@i", incidentId), ("@now", r.Now)).ConfigureAwait(false));
        if (incidentId is { } linked)
            await TimelineAsync(c, t, linked, r.Now, r.RequestedBy, r.Automatic, "remediation", $"{r.Kind} job {id} for {r.Image} ({r.Findings.Count} fixable finding(s)): {why}", ct).ConfigureAwait(false);
        return id;
    }

    public Task<long> RequestRemediationAsync(RemediationRequest request, CancellationToken ct) => WriteAsync(async (c, t) =>
    {
        if (request.Kind == Remediations.PatchImage && request.Image.Length == 0)
        {
            // The image is the workload's latest registry scan: the server patches only what it knows the reference of.
            var latest = (await QueryAsync(c, t, "SELECT id, target_name, image_digest FROM scans WHERE subject = @s AND LOWER(target_kind) = 'registry' AND image_digest <> '' ORDER BY id DESC LIMIT 1",
                r => (Id: L(r, 0), Image: S(r, 1), Digest: S(r, 2)), ct, ("@s", request.Subject)).ConfigureAwait(false)).FirstOrDefault();
            if (latest.Id == 0) throw new StoreNotFoundException($"no registry image scan of {request.Subject}: upload one (zerodrift scan REF --server …) before asking for a patch");
            var findings = (await QueryAsync(c, t, "SELECT DISTINCT vuln_id, purl FROM scan_findings WHERE scan_id = @id AND fixed_in IS NOT NULL", r => (S(r, 0), S(r, 1)), ct, ("@id", latest.Id)).ConfigureAwait(false))
                .Where(f => PatchablePurls.Any(p => f.Item2.StartsWith(p, StringComparison.Ordinal))).Select(f => f.Item1).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            if (findings.Count == 0) throw new StoreNotFoundException($"{latest.Image}: its latest scan has no OS package vulnerability with a fixed version: nothing to patch");
            request = request with { Image = latest.Image, ImageDigest = latest.Digest, Findings = findings };
        }
        var active = await ScalarAsync(c, t, "SELECT MIN(id) FROM remediations WHERE subject = @s AND kind = @k AND image_digest = @d AND state IN ('pending', 'claimed', 'done')", ct,
            ("@s", request.Subject), ("@k", request.Kind), ("@d", request.ImageDigest)).ConfigureAwait(false);
        if (active is not null) throw new StoreConflictException($"remediation {ToLong(active)} already exists for {request.Subject} ({request.Image})");
        return await InsertRemediationAsync(c, t, request, $"requested by {request.RequestedBy}", ct).ConfigureAwait(false);
    }, ct);

    public Task<RemediationView?> ClaimRemediationAsync(string kind, string claimer, long now, long leaseUntil, CancellationToken ct) => WriteAsync(async (c, t) =>
    {
        // A claim whose lease ran out (the worker died, CI was cancelled) goes to the next claimer: a job is never lost.
        var id = await ScalarAsync(c, t, "SELECT MIN(id) FROM remediations WHERE kind = @k AND (state = 'pending' OR (state = 'claimed' AND lease_until < @now))", ct,
            ("@k", kind), ("@now", now)).ConfigureAwait(false);
        if (id is null) return null;
        var claimed = await ExecAsync(c, t, "UPDATE remediations SET state = 'claimed', claimed_by = @by, claimed_at = @now, lease_until = @lease WHERE id = @id AND (state = 'pending' OR (state = 'claimed' AND lease_until < @now))", ct,
            ("@by", claimer), ("@now", now), ("@lease", leaseUntil), ("@id", ToLong(id))).ConfigureAwait(false);
        return claimed == 0 ? null : await RemediationAsync(c, t, ToLong(id), ct).ConfigureAwait(false);
    }, ct);

    public Task<RemediationView?> CompleteRemediationAsync(long id, string claimer, string patchedImage, string patchedDigest, long now, CancellationToken ct) => WriteAsync(async (c, t) =>
    {
        if (await ExecAsync(c, t, "UPDATE remediations SET state = 'done', done_at = @now, patched_image = @img, patched_digest = @d, error = NULL WHERE id = @id AND state = 'claimed' AND claimed_by = @by", ct,
            ("@now", now), ("@img", patchedImage), ("@d", patchedDigest), ("@id", id), ("@by", claimer)).ConfigureAwait(false) == 0) return null;
        var job = (await RemediationAsync(c, t, id, ct).ConfigureAwait(false))!;
        // A scan of the patched digest may have been uploaded before the report: its closures are this job's.
        await ExecAsync(c, t, "UPDATE vuln_state SET fixed_by_remediation = @j WHERE subject = @s AND fixed_by_remediation IS NULL AND fixed_scan IN (SELECT id FROM scans WHERE subject = @s AND image_digest = @d)", ct,
            ("@j", id), ("@s", job.Subject), ("@d", patchedDigest)).ConfigureAwait(false);
        if (job.IncidentId is { } incident)
            await TimelineAsync(c, t, incident, now, claimer == "server" ? "zerodrift" : $"ci:{claimer}", job.Automatic, "remediation-done",
                $"{job.Kind} job {id}: patched image {patchedImage} ({patchedDigest}) pushed", ct).ConfigureAwait(false);
        return job;
    }, ct);

    public Task<bool> FailRemediationAsync(long id, string claimer, string error, long now, CancellationToken ct) => WriteAsync(async (c, t) =>
    {
        if (await ExecAsync(c, t, "UPDATE remediations SET state = 'failed', done_at = @now, error = @e WHERE id = @id AND state = 'claimed' AND claimed_by = @by", ct,
            ("@now", now), ("@e", error), ("@id", id), ("@by", claimer)).ConfigureAwait(false) == 0) return false;
        var job = (await RemediationAsync(c, t, id, ct).ConfigureAwait(false))!;
        if (job.IncidentId is { } incident)
            await TimelineAsync(c, t, incident, now, claimer == "server" ? "zerodrift" : $"ci:{claimer}", job.Automatic, "remediation-failed", $"{job.Kind} job {id} failed: {error}", ct).ConfigureAwait(false);
        return true;
    }, ct);

    public Task<long> ReportDependencyFixAsync(string subject, IReadOnlyList<string> findings, string reportedBy, long now, CancellationToken ct) => WriteAsync(async (c, t) =>
    {
        var id = await InsertRemediationAsync(c, t, new RemediationRequest(subject, Remediations.Dependencies, "", "", reportedBy, false, findings, now), $"reported by {reportedBy}", ct).ConfigureAwait(false);
        await ExecAsync(c, t, "UPDATE remediations SET done_at = @now, claimed_by = @by, claimed_at = @now WHERE id = @id", ct, ("@now", now), ("@by", reportedBy), ("@id", id)).ConfigureAwait(false);
        return id;
    }, ct);

    public Task<IReadOnlyList<RemediationView>> RemediationsAsync(int limit, CancellationToken ct) => ReadAsync<IReadOnlyList<RemediationView>>(async c =>
        await QueryAsync(c, null, $"SELECT {RemediationColumns} FROM remediations ORDER BY id DESC LIMIT @limit", MapRemediation, ct, ("@limit", (long)limit)).ConfigureAwait(false), ct);

    public Task<RemediationView?> RemediationAsync(long id, CancellationToken ct) => ReadAsync(c => RemediationAsync(c, null, id, ct), ct);

    /// <summary>Per scanned image: fixable findings of its latest scan.</summary>
    private Task<Dictionary<(string, string), int>> FixableByImageAsync(CancellationToken ct) => ReadAsync(async c =>
        (await QueryAsync(c, null, """
            SELECT s.target_name, s.image_digest, COUNT(DISTINCT f.vuln_id || ' ' || f.purl) FROM scans s JOIN scan_findings f ON f.scan_id = s.id
            WHERE f.fixed_in IS NOT NULL AND s.id = (SELECT MAX(s2.id) FROM scans s2 WHERE s2.target_name = s.target_name AND s2.image_digest = s.image_digest)
            GROUP BY s.target_name, s.image_digest
            """, r => (S(r, 0), S(r, 1), (int)L(r, 2)), ct).ConfigureAwait(false)).ToDictionary(x => (x.Item1, x.Item2), x => x.Item3), ct);
}
