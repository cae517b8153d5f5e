using System.Data.Common;
using System.Text.Json;

namespace ZeroDrift.Server.Storage;

/// <summary>
/// <see cref="IServerStore"/> over plain ADO.NET and SQL both engines accept (ON CONFLICT upserts, RETURNING,
/// @name parameters); what differs lives in <see cref="SqlDialect"/>.
/// </summary>
internal sealed partial class SqlStore : IServerStore
{
    private readonly SqlDialect _dialect;
    private readonly SemaphoreSlim _writer = new(1, 1);

    public SqlStore(SqlDialect dialect) => _dialect = dialect;

    public string Kind => _dialect.Kind;

    public async ValueTask DisposeAsync()
    {
        await _dialect.DisposeAsync().ConfigureAwait(false);
        _writer.Dispose();
    }

    // ---- plumbing -------------------------------------------------------------------------------------------

    private async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> body, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct).ConfigureAwait(false);
        return await body(connection).ConfigureAwait(false);
    }

    private async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> body, CancellationToken ct)
    {
        if (_dialect.SingleWriter) await _writer.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var connection = await _dialect.OpenAsync(ct).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            var result = await body(connection, transaction).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }
        finally
        {
            if (_dialect.SingleWriter) _writer.Release();
        }
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            command.Parameters.Add(p);
        }
        return command;
    }

    private static async Task<int> ExecAsync(DbConnection c, DbTransaction? t, string sql, CancellationToken ct, params (string, object?)[] ps)
    {
        await using var command = Command(c, t, sql, ps);
        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(DbConnection c, DbTransaction? t, string sql, CancellationToken ct, params (string, object?)[] ps)
    {
        await using var command = Command(c, t, sql, ps);
        var value = await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }

    private static async Task<List<T>> QueryAsync<T>(DbConnection c, DbTransaction? t, string sql, Func<DbDataReader, T> map, CancellationToken ct, params (string, object?)[] ps)
    {
        await using var command = Command(c, t, sql, ps);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) rows.Add(map(reader));
        return rows;
    }

    private static long L(DbDataReader r, int i) => Convert.ToInt64(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
    private static long? NL(DbDataReader r, int i) => r.IsDBNull(i) ? null : L(r, i);
    private static string S(DbDataReader r, int i) => r.GetString(i);
    private static string? NS(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    private static double? ND(DbDataReader r, int i) => r.IsDBNull(i) ? null : Convert.ToDouble(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
    private static long ToLong(object? value) => value is null ? 0 : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);

    // ---- schema ---------------------------------------------------------------------------------------------

    public async Task MigrateAsync(CancellationToken ct)
    {
        await WriteAsync(async (c, t) =>
        {
            await _dialect.LockForMigrationAsync(c, t, ct).ConfigureAwait(false);
            await ExecAsync(c, t, "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)", ct).ConfigureAwait(false);
            var applied = (await QueryAsync(c, t, "SELECT version FROM schema_migrations", r => L(r, 0), ct).ConfigureAwait(false)).ToHashSet();
            var newest = Migrations.All.Max(m => m.Version);
            if (applied.Count > 0 && applied.Max() > newest)
                throw new StoreException($"the database schema is version {applied.Max()}, newer than this server knows ({newest}): upgrade zerodrift");
            foreach (var (version, name, sql) in Migrations.All.OrderBy(m => m.Version))
            {
                if (applied.Contains(version)) continue;
                foreach (var statement in sql.Replace("{id}", _dialect.IdColumn, StringComparison.Ordinal).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var text = statement;
                    if (text.StartsWith('{'))
                    {
                        var close = text.IndexOf('}', StringComparison.Ordinal);
                        if (text[1..close] != _dialect.Kind) continue;
                        text = text[(close + 1)..].Trim();
                    }
                    await ExecAsync(c, t, text, ct).ConfigureAwait(false);
                }
                await ExecAsync(c, t, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @at)", ct,
                    ("@v", (long)version), ("@n", name), ("@at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())).ConfigureAwait(false);
            }
            return 0;
        }, ct).ConfigureAwait(false);
    }

    public Task<int> SchemaVersionAsync(CancellationToken ct) => ReadAsync(async c =>
        (int)ToLong(await ScalarAsync(c, null, "SELECT MAX(version) FROM schema_migrations", ct).ConfigureAwait(false)), ct);

    // ---- people ---------------------------------------------------------------------------------------------

    public Task<bool> EnsureAdminAsync(string name, string passwordHash, long now, CancellationToken ct) => WriteAsync(async (c, t) =>
    {
        if (ToLong(await ScalarAsync(c, t, "SELECT COUNT(*) FROM users WHERE role = 'admin'", ct).ConfigureAwait(false)) > 0) return false;
        await ExecAsync(c, t, "INSERT INTO users (name, password_hash, role, created_at) VALUES (@n, @h, 'admin', @at) ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, role = 'admin'", ct,
            ("@n", name), ("@h", passwordHash), ("@at", now)).ConfigureAwait(false);
        await ExecAsync(c, t, "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (@at, 'zerodrift', 'user.bootstrap', @n, 'first admin from ZERODRIFT_ADMIN_PASSWORD')", ct, ("@at", now), ("@n", name)).ConfigureAwait(false);
        return true;
    }, ct);

    public Task<UserRecord?> FindUserAsync(string name, CancellationToken ct) => ReadAsync(async c =>
        (await QueryAsync(c, null, "SELECT id, name, password_hash, role FROM users WHERE name = @n", r => new UserRecord(L(r, 0), S(r, 1), S(r, 2), S(r, 3)), ct, ("@n", name)).ConfigureAwait(false)).FirstOrDefault(), ct);

    public Task<long> CreateUserAsync(string name, string passwordHash, string role, long now, CancellationToken ct) => WriteAsync(async (c, t) =>
    {
        var id = await ScalarAsync(c, t, "INSERT INTO users (name, password_hash, role, created_at) VALUES (@n, @h, @r, @at) ON CONFLICT (name) DO NOTHING RETURNING id", ct,
            ("@n", name), ("@h", passwordHash), ("@r", role), ("@at", now)).ConfigureAwait(false);
        return id is null ? throw new StoreConflictException($"a user named {name} already exists") : ToLong(id);
    }, ct);

    public Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken ct) => ReadAsync<IReadOnlyList<UserRecord>>(async c =>
        await QueryAsync(c, null, "SELECT id, name, '', role FROM users ORDER BY name", r => new UserRecord(L(r, 0), S(r, 1), S(r, 2), S(r, 3)), ct).ConfigureAwait(false), ct);

    public Task CreateSessionAsync(string tokenHash, long userId, string csrf, long now, long expiresAt, CancellationToken ct) => WriteAsync(async (c, t) =>
    {
        await ExecAsync(c, t, "DELETE FROM sessions WHERE expires_at < @now", ct, ("@now", now)).ConfigureAwait(false);
        return await ExecAsync(c, t, "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (@h, @u, @csrf, @now, @exp)", ct,
            ("@h", tokenHash), ("@u", userId), ("@csrf", csrf), ("@now", now), ("@exp", expiresAt)).ConfigureAwait(false);
    }, ct);

    public Task<SessionRecord?> FindSessionAsync(string tokenHash, long now, CancellationToken ct) => ReadAsync(async c =>
        (await QueryAsync(c, null, "SELECT u.id, u.name, u.role, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = @h AND s.expires_at > @now",
            r => new SessionRecord(L(r, 0), S(r, 1), S(r, 2), S(r, 3), L(r, 4)), ct, ("@h", tokenHash), ("@now", now)).ConfigureAwait(false)).FirstOrDefault(), ct);

    public Task DeleteSessionAsync(string tokenHash, CancellationToken ct) => WriteAsync((c, t) => ExecAsync(c, t, "DELETE FROM sessions WHERE token_hash = @h", ct, ("@h", tokenHash)), ct);

    public Task<long> CreateTokenAsync(string name, string tokenHash, string role, string createdBy, long now, CancellationToken ct) => WriteAsync(async (c, t) =>
        ToLong(await ScalarAsync(c, t, "INSERT INTO api_tokens (name, token_hash, role, created_by, created_at) VALUES (@n, @h, @r, @by, @at) RETURNING id", ct,
            ("@n", name), ("@h", tokenHash), ("@r", role), ("@by", createdBy), ("@at", now)).ConfigureAwait(false)), ct);

    public Task<TokenRecord?> FindTokenAsync(string tokenHash, CancellationToken ct) => ReadAsync(async c =>
        (await QueryAsync(c, null, "SELECT id, name, role, created_by, created_at, revoked_at FROM api_tokens WHERE token_hash = @h",
            r => new TokenRecord(L(r, 0), S(r, 1), S(r, 2), S(r, 3), L(r, 4), NL(r, 5)), ct, ("@h", tokenHash)).ConfigureAwait(false)).FirstOrDefault(), ct);

    public Task<IReadOnlyList<TokenRecord>> ListTokensAsync(CancellationToken ct) => ReadAsync<IReadOnlyList<TokenRecord>>(async c =>
        await QueryAsync(c, null, "SELECT id, name, role, created_by, created_at, revoked_at FROM api_tokens ORDER BY id",
            r => new TokenRecord(L(r, 0), S(r, 1), S(r, 2), S(r, 3), L(r, 4), NL(r, 5)), ct).ConfigureAwait(false), ct);

    public Task<bool> RevokeTokenAsync(long id, long now, CancellationToken ct) => WriteAsync(async (c, t) =>
        await ExecAsync(c, t, "UPDATE api_tokens SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL", ct, ("@now", now), ("@id", id)).ConfigureAwait(false) > 0, ct);

    public Task AuditAsync(string actor, string action, string subject, string detail, long now, CancellationToken ct) => WriteAsync((c, t) =>
        ExecAsync(c, t, "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (@at, @actor, @action, @subject, @detail)", ct,
            ("@at", now), ("@actor", actor), ("@action", action), ("@subject", subject), ("@detail", detail)), ct);

    public Task<IReadOnlyList<AuditEntry>> ListAuditAsync(int limit, CancellationToken ct) => ReadAsync<IReadOnlyList<AuditEntry>>(async c =>
        await QueryAsync(c, null, "SELECT id, at, actor, action, subject, detail FROM audit_log ORDER BY id DESC LIMIT @limit",
            r => new AuditEntry(L(r, 0), L(r, 1), S(r, 2), S(r, 3), S(r, 4), S(r, 5)), ct, ("@limit", (long)limit)).ConfigureAwait(false), ct);

    // ---- scans and SBOMs ------------------------------------------------------------------------------------

    public Task<ScanIngestResult> IngestScanAsync(ScanIngest scan, CancellationToken ct) => WriteAsync(async (c, t) =>
    {
        var scanId = ToLong(await ScalarAsync(c, t,
            "INSERT INTO scans (subject, stage, target_name, target_kind, image_digest, tool, packages, findings, received_at, uploaded_by) VALUES (@s, @stage, @tn, @tk, @d, @tool, @p, @f, @at, @by) RETURNING id", ct,
            ("@s", scan.Subject), ("@stage", scan.Stage), ("@tn", scan.TargetName), ("@tk", scan.TargetKind), ("@d", scan.ImageDigest), ("@tool", scan.Tool),
            ("@p", (long)scan.Packages), ("@f", (long)scan.Findings.Count), ("@at", scan.ReceivedAt), ("@by", scan.UploadedBy)).ConfigureAwait(false));

        var (contentNew, contentFixed) = await IngestContentAsync(c, t, scan, ct).ConfigureAwait(false);
        // A scan that did not look for vulnerabilities says nothing about them: none is new, none is fixed.
        if (!scan.Scanners.Contains("vuln"))
            return new ScanIngestResult(scanId, 0, 0, 0) { ContentFindings = scan.Content.Count, ContentNew = contentNew, ContentFixed = contentFixed };

        var open = (await QueryAsync(c, t, "SELECT vuln_id, purl FROM vuln_state WHERE subject = @s AND fixed_at IS NULL", r => (S(r, 0), S(r, 1)), ct, ("@s", scan.Subject)).ConfigureAwait(false)).ToHashSet();
        var present = new HashSet<(string, string)>();
        var added = 0;
        await using (var finding = Command(c, t, "INSERT INTO scan_findings (scan_id, vuln_id, purl, severity, fixed_in) VALUES (@scan, @v, @purl, @sev, @fix)",
            ("@scan", scanId), ("@v", ""), ("@purl", ""), ("@sev", ""), ("@fix", null)))
        await using (var state = Command(c, t, """
            INSERT INTO vuln_state (subject, vuln_id, purl, package, version, severity, score, fixed_in, paths, summary, first_seen, first_stage, last_seen, fixed_at)
            VALUES (@s, @v, @purl, @pkg, @ver, @sev, @score, @fix, @paths, @sum, @at, @stage, @at, NULL)
            ON CONFLICT (subject, vuln_id, purl) DO UPDATE SET package = excluded.package, version = excluded.version, severity = excluded.severity,
                score = excluded.score, fixed_in = excluded.fixed_in, paths = excluded.paths, summary = excluded.summary, last_seen = excluded.last_seen,
                first_seen = CASE WHEN vuln_state.fixed_at IS NULL THEN vuln_state.first_seen ELSE excluded.first_seen END,
                first_stage = CASE WHEN vuln_state.fixed_at IS NULL THEN vuln_state.first_stage ELSE excluded.first_stage END,
                fixed_at = NULL, fixed_scan = NULL, fixed_by_remediation = NULL
            """, ("@s", scan.Subject), ("@v", ""), ("@purl", ""), ("@pkg", ""), ("@ver", ""), ("@sev", ""), ("@score", null), ("@fix", null), ("@paths", ""), ("@sum", ""), ("@at", scan.ReceivedAt), ("@stage", scan.Stage)))
        {
            foreach (var f in scan.Findings)
            {
                finding.Parameters["@v"].Value = f.VulnId;
                finding.Parameters["@purl"].Value = f.Purl;
                finding.Parameters["@sev"].Value = f.Severity;
                finding.Parameters["@fix"].Value = (object?)f.FixedIn ?? DBNull.Value;
                await finding.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                if (!present.Add((f.VulnId, f.Purl))) continue;
                if (!open.Contains((f.VulnId, f.Purl))) added++;
                state.Parameters["@v"].Value = f.VulnId;
                state.Parameters["@purl"].Value = f.Purl;
                state.Parameters["@pkg"].Value = f.Package;
                state.Parameters["@ver"].Value = f.Version;
                state.Parameters["@sev"].Value = f.Severity;
                state.Parameters["@score"].Value = (object?)f.Score ?? DBNull.Value;
                state.Parameters["@fix"].Value = (object?)f.FixedIn ?? DBNull.Value;
                state.Parameters["@paths"].Value = JsonSerializer.Serialize(f.Paths);
                state.Parameters["@sum"].Value = f.Summary;
                await state.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }
        var fixedCount = 0;
        foreach (var (vuln, purl) in open.Where(k => !present.Contains(k)))
            fixedCount += await ExecAsync(c, t, "UPDATE vuln_state SET fixed_at = @at, fixed_scan = @scan WHERE subject = @s AND vuln_id = @v AND purl = @purl AND fixed_at IS NULL", ct,
                ("@at", scan.ReceivedAt), ("@scan", scanId), ("@s", scan.Subject), ("@v", vuln), ("@purl", purl)).ConfigureAwait(false);
        var credited = fixedCount == 0 ? 0 : await CreditFixesAsync(c, t, scan, scanId, ct).ConfigureAwait(false);
        var jobs = await PatchPlaybooksAsync(c, t, scan, ct).ConfigureAwait(false);
        return new ScanIngestResult(scanId, scan.Findings.Count, added, fixedCount)
        {
            ContentFindings = scan.Content.Count, ContentNew = contentNew, ContentFixed = contentFixed, FixedByZeroDrift = credited, Remediations = jobs,
        };
    }, ct);

    /// <summary>
    /// Content findings follow the vulnerabilities' lifecycle, keyed by fingerprint (path, rule, line): open while
    /// scans of the workload show them, fixed at the first later scan of the same class that does not.
    /// </summary>
    private static async Task<(int New, int Fixed)> IngestContentAsync(DbConnection c, DbTransaction t, ScanIngest scan, CancellationToken ct)
    {
        var classes = new[] { "secret", "pii", "misconfig" }.Where(scan.Scanners.Contains).ToList();
        if (classes.Count == 0) return (0, 0);
        var open = (await QueryAsync(c, t, "SELECT fingerprint, class FROM content_state WHERE subject = @s AND fixed_at IS NULL", r => (S(r, 0), S(r, 1)), ct, ("@s", scan.Subject)).ConfigureAwait(false))
            .ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
        var present = new HashSet<string>(StringComparer.Ordinal);
        var added = 0;
        await using (var upsert = Command(c, t, """
            INSERT INTO content_state (subject, fingerprint, class, rule_id, title, severity, path, line, message, match, first_seen, first_stage, last_seen, fixed_at)
            VALUES (@s, @fp, @class, @rule, @title, @sev, @path, @line, @msg, @match, @at, @stage, @at, NULL)
            ON CONFLICT (subject, fingerprint) DO UPDATE SET class = excluded.class, rule_id = excluded.rule_id, title = excluded.title, severity = excluded.severity,
                path = excluded.path, line = excluded.line, message = excluded.message, match = excluded.match, last_seen = excluded.last_seen,
                first_seen = CASE WHEN content_state.fixed_at IS NULL THEN content_state.first_seen ELSE excluded.first_seen END,
                first_stage = CASE WHEN content_state.fixed_at IS NULL THEN content_state.first_stage ELSE excluded.first_stage END,
                fixed_at = NULL
            """, ("@s", scan.Subject), ("@fp", ""), ("@class", ""), ("@rule", ""), ("@title", ""), ("@sev", ""), ("@path", ""), ("@line", 0L), ("@msg", ""), ("@match", ""),
            ("@at", scan.ReceivedAt), ("@stage", scan.Stage)))
        {
            foreach (var f in scan.Content)
            {
                if (!classes.Contains(f.Class) || !present.Add(f.Fingerprint)) continue;
                if (!open.ContainsKey(f.Fingerprint)) added++;
                upsert.Parameters["@fp"].Value = f.Fingerprint;
                upsert.Parameters["@class"].Value = f.Class;
                upsert.Parameters["@rule"].Value = f.RuleId;
                upsert.Parameters["@title"].Value = f.Title;
                upsert.Parameters["@sev"].Value = f.Severity;
                upsert.Parameters["@path"].Value = f.Path;
                upsert.Parameters["@line"].Value = (long)f.Line;
                upsert.Parameters["@msg"].Value = f.Message;
                upsert.Parameters["@match"].Value = f.Match;
                await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }
        var fixedCount = 0;
        foreach (var (fingerprint, _) in open.Where(o => classes.Contains(o.Value) && !present.Contains(o.Key)))
            fixedCount += await ExecAsync(c, t, "UPDATE content_state SET fixed_at = @at WHERE subject = @s AND fingerprint = @fp AND fixed_at IS NULL", ct,
                ("@at", scan.ReceivedAt), ("@s", scan.Subject), ("@fp", fingerprint)).ConfigureAwait(false);
        return (added, fixedCount);
    }

    public Task<IReadOnlyList<OpenContentFinding>> OpenContentFindingsAsync(string? findingClass, int limit, CancellationToken ct) => ReadAsync<IReadOnlyList<OpenContentFinding>>(async c =>
        await QueryAsync(c, null, $"SELECT subject, class, rule_id, title, severity, path, line, fingerprint, message, match, first_seen, first_stage FROM content_state WHERE fixed_at IS NULL AND (@class = '' OR class = @class) ORDER BY {SeverityRankSql("severity")} DESC, subject, path, line LIMIT @limit",
            r => new OpenContentFinding(S(r, 0), S(r, 1), S(r, 2), S(r, 3), S(r, 4), S(r, 5), (int)L(r, 6), S(r, 7), S(r, 8), S(r, 9), L(r, 10), S(r, 11)),
            ct, ("@class", findingClass ?? ""), ("@limit", (long)limit)).ConfigureAwait(false), ct);

    // ---- admission ------------------------------------------------------------------------------------------

    public Task<long> RecordAdmissionAsync(AdmissionRow d, CancellationToken ct) => WriteAsync(async (c, t) =>
        ToLong(await ScalarAsync(c, t, "INSERT INTO admission_decisions (at, uid, kind, namespace, name, operation, allowed, dry_run, images, reasons) VALUES (@at, @uid, @kind, @ns, @name, @op, @allowed, @dry, @images, @reasons) RETURNING id", ct,
            ("@at", d.At), ("@uid", d.Uid), ("@kind", d.Kind), ("@ns", d.Namespace), ("@name", d.Name), ("@op", d.Operation), ("@allowed", d.Allowed ? 1L : 0L), ("@dry", d.DryRun ? 1L : 0L),
            ("@images", d.Images), ("@reasons", d.Reasons)).ConfigureAwait(false)), ct);

    public Task<IReadOnlyList<AdmissionView>> AdmissionDecisionsAsync(bool? allowed, int limit, CancellationToken ct) => ReadAsync<IReadOnlyList<AdmissionView>>(async c =>
        await QueryAsync(c, null, "SELECT id, at, uid, kind, namespace, name, operation, allowed, dry_run, images, reasons FROM admission_decisions WHERE (@any = 1 OR allowed = @allowed) ORDER BY id DESC LIMIT @limit",
            r => new AdmissionView(L(r, 0), L(r, 1), S(r, 2), S(r, 3), S(r, 4), S(r, 5), S(r, 6), L(r, 7) != 0, L(r, 8) != 0,
                JsonSerializer.Deserialize<string[]>(S(r, 9)) ?? [], JsonSerializer.Deserialize<string[]>(S(r, 10)) ?? []),
            ct, ("@any", allowed is null ? 1L : 0L), ("@allowed", allowed == true ? 1L : 0L), ("@limit", (long)limit)).ConfigureAwait(false), ct);

    public Task<long> IngestSbomAsync(SbomIngest sbom, CancellationToken ct) => WriteAsync(async (c, t) =>
    {
        var id = ToLong(await ScalarAsync(c, t, "INSERT INTO sboms (subject, format, received_at, uploaded_by) VALUES (@s, @f, @at, @by) RETURNING id", ct,
            ("@s", sbom.Subject), ("@f", sbom.Format), ("@at", sbom.ReceivedAt), ("@by", sbom.UploadedBy)).ConfigureAwait(false));
        await using var insert = Command(c, t, "INSERT INTO sbom_packages (sbom_id, purl, name, version) VALUES (@id, @purl, @n, @v)", ("@id", id), ("@purl", ""), ("@n", ""), ("@v", ""));
        foreach (var p in sbom.Packages)
        {
            insert.Parameters["@purl"].Value = p.Purl;
            insert.Parameters["@n"].Value = p.Name;
            insert.Parameters["@v"].Value = p.Version;
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        return id;
    }, ct);
}

/// <summary>The database is not in a state this server can use; one line for the operator.</summary>
public class StoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A request about something the store does not have (HTTP 404).</summary>
public sealed class StoreNotFoundException(string message) : StoreException(message);

/// <summary>A create that names something that already exists (HTTP 409).</summary>
public sealed class StoreConflictException(string message) : StoreException(message);
