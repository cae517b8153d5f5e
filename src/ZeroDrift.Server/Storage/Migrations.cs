namespace ZeroDrift.Server.Storage;

/// <summary>
/// The schema, as numbered migrations applied in order at start and recorded in <c>schema_migrations</c>. One
/// logical schema for SQLite and PostgreSQL: times are BIGINT milliseconds since the Unix epoch (UTC), flags are
/// BIGINT 0/1, documents are TEXT holding JSON; the only dialect difference is the generated key,
/// written <c>{id}</c> here. A statement prefixed <c>{sqlite}</c> or <c>{postgresql}</c> runs on that engine only.
/// A migration is never edited once released: a change is a new version.
/// </summary>
internal static class Migrations
{
    public static readonly IReadOnlyList<(int Version, string Name, string Sql)> All =
    [
        (1, "initial", """
            CREATE TABLE users (id {id}, name TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL, role TEXT NOT NULL, created_at BIGINT NOT NULL);
            CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users(id), csrf TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL);
            CREATE TABLE api_tokens (id {id}, name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL, created_by TEXT NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT);
            CREATE TABLE audit_log (id {id}, at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL);

            CREATE TABLE hosts (name TEXT PRIMARY KEY, agent TEXT NOT NULL, attrs TEXT NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL);
            CREATE TABLE workloads (name TEXT PRIMARY KEY, mode TEXT NOT NULL, exposed BIGINT NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL);
            CREATE TABLE containers (id TEXT PRIMARY KEY, host TEXT NOT NULL, workload TEXT NOT NULL, image TEXT NOT NULL, image_digest TEXT NOT NULL, state TEXT NOT NULL, exposed BIGINT NOT NULL, started_at BIGINT NOT NULL, last_seen BIGINT NOT NULL);
            CREATE INDEX containers_workload ON containers(workload);
            CREATE INDEX containers_image ON containers(image);

            CREATE TABLE scans (id {id}, subject TEXT NOT NULL, stage TEXT NOT NULL, target_name TEXT NOT NULL, target_kind TEXT NOT NULL, image_digest TEXT NOT NULL, tool TEXT NOT NULL, packages BIGINT NOT NULL, findings BIGINT NOT NULL, received_at BIGINT NOT NULL, uploaded_by TEXT NOT NULL);
            CREATE INDEX scans_subject ON scans(subject, received_at);
            CREATE TABLE scan_findings (scan_id BIGINT NOT NULL REFERENCES scans(id), vuln_id TEXT NOT NULL, purl TEXT NOT NULL, severity TEXT NOT NULL, fixed_in TEXT);
            CREATE INDEX scan_findings_scan ON scan_findings(scan_id);
            CREATE TABLE vuln_state (subject TEXT NOT NULL, vuln_id TEXT NOT NULL, purl TEXT NOT NULL, package TEXT NOT NULL, version TEXT NOT NULL,
                severity TEXT NOT NULL, score DOUBLE PRECISION, fixed_in TEXT, paths TEXT NOT NULL, summary TEXT NOT NULL,
                first_seen BIGINT NOT NULL, first_stage TEXT NOT NULL, last_seen BIGINT NOT NULL, fixed_at BIGINT,
                PRIMARY KEY (subject, vuln_id, purl));
            CREATE INDEX vuln_state_open ON vuln_state(fixed_at, subject);
            CREATE TABLE sboms (id {id}, subject TEXT NOT NULL, format TEXT NOT NULL, received_at BIGINT NOT NULL, uploaded_by TEXT NOT NULL);
            CREATE TABLE sbom_packages (sbom_id BIGINT NOT NULL REFERENCES sboms(id), purl TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL);
            CREATE INDEX sbom_packages_sbom ON sbom_packages(sbom_id);

            CREATE TABLE agent_batches (agent TEXT NOT NULL, batch_id TEXT NOT NULL, received_at BIGINT NOT NULL, records BIGINT NOT NULL, PRIMARY KEY (agent, batch_id));
            CREATE TABLE events (id {id}, agent TEXT NOT NULL, kind TEXT NOT NULL, at BIGINT NOT NULL, received_at BIGINT NOT NULL, container_id TEXT NOT NULL, workload TEXT NOT NULL, path TEXT NOT NULL, process TEXT NOT NULL, detail TEXT NOT NULL);
            CREATE INDEX events_workload_path ON events(workload, path);
            CREATE INDEX events_at ON events(at);
            CREATE TABLE alerts (id {id}, agent TEXT NOT NULL, agent_alert_id TEXT NOT NULL, rule TEXT NOT NULL, severity TEXT NOT NULL, event_at BIGINT NOT NULL, raised_at BIGINT NOT NULL, received_at BIGINT NOT NULL,
                container_id TEXT NOT NULL, workload TEXT NOT NULL, action TEXT NOT NULL, action_at BIGINT, detail TEXT NOT NULL, incident_id BIGINT,
                UNIQUE (agent, agent_alert_id));
            CREATE INDEX alerts_raised ON alerts(raised_at);
            CREATE TABLE profiles (workload TEXT PRIMARY KEY, mode TEXT NOT NULL, body TEXT NOT NULL, updated_at BIGINT NOT NULL);

            CREATE TABLE incidents (id {id}, workload TEXT NOT NULL, title TEXT NOT NULL, severity TEXT NOT NULL, state TEXT NOT NULL, opened_at BIGINT NOT NULL, first_event_at BIGINT NOT NULL,
                acknowledged_at BIGINT, contained_at BIGINT, resolved_at BIGINT, contained_by TEXT, resolved_by TEXT, first_human_at BIGINT);
            CREATE INDEX incidents_state ON incidents(state, workload);
            CREATE TABLE incident_timeline (id {id}, incident_id BIGINT NOT NULL REFERENCES incidents(id), at BIGINT NOT NULL, actor TEXT NOT NULL, automatic BIGINT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL);
            CREATE INDEX incident_timeline_incident ON incident_timeline(incident_id, at);
            CREATE TABLE playbooks (id {id}, name TEXT NOT NULL UNIQUE, rule_contains TEXT NOT NULL, min_severity TEXT NOT NULL, action TEXT NOT NULL, enabled BIGINT NOT NULL, created_by TEXT NOT NULL, created_at BIGINT NOT NULL);
            CREATE TABLE agent_commands (id {id}, agent TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL, payload TEXT NOT NULL, incident_id BIGINT, requested_by TEXT NOT NULL, automatic BIGINT NOT NULL,
                created_at BIGINT NOT NULL, dispatched_at BIGINT, done_at BIGINT, outcome TEXT);
            CREATE INDEX agent_commands_agent ON agent_commands(agent, dispatched_at);
            """),
        (2, "content findings and admission decisions", """
            CREATE TABLE content_state (subject TEXT NOT NULL, fingerprint TEXT NOT NULL, class TEXT NOT NULL, rule_id TEXT NOT NULL, title TEXT NOT NULL, severity TEXT NOT NULL,
                path TEXT NOT NULL, line BIGINT NOT NULL, message TEXT NOT NULL, match TEXT NOT NULL,
                first_seen BIGINT NOT NULL, first_stage TEXT NOT NULL, last_seen BIGINT NOT NULL, fixed_at BIGINT,
                PRIMARY KEY (subject, fingerprint));
            CREATE INDEX content_state_open ON content_state(fixed_at, subject);
            CREATE TABLE admission_decisions (id {id}, at BIGINT NOT NULL, uid TEXT NOT NULL, kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, operation TEXT NOT NULL,
                allowed BIGINT NOT NULL, dry_run BIGINT NOT NULL, images TEXT NOT NULL, reasons TEXT NOT NULL);
            CREATE INDEX admission_decisions_at ON admission_decisions(at);
            """),
        // Ingestion speed: every event paid for an index no query reads (events_at) and, on SQLite, for
        // AUTOINCREMENT's sqlite_sequence update. Events are never deleted, so the plain rowid key is just as monotonic.
        (3, "events: leaner keys and indexes", """
            DROP INDEX events_at;
            {sqlite} CREATE TABLE events_rowid (id INTEGER PRIMARY KEY, agent TEXT NOT NULL, kind TEXT NOT NULL, at BIGINT NOT NULL, received_at BIGINT NOT NULL, container_id TEXT NOT NULL, workload TEXT NOT NULL, path TEXT NOT NULL, process TEXT NOT NULL, detail TEXT NOT NULL);
            {sqlite} INSERT INTO events_rowid SELECT id, agent, kind, at, received_at, container_id, workload, path, process, detail FROM events;
            {sqlite} DROP TABLE events;
            {sqlite} ALTER TABLE events_rowid RENAME TO events;
            {sqlite} CREATE INDEX events_workload_path ON events(workload, path);
            """),
        // How each node's agent enforces Protect, from its registration (NULL: an agent that does not say).
        (4, "hosts: enforcement", """
            ALTER TABLE hosts ADD COLUMN enforcement TEXT;
            ALTER TABLE hosts ADD COLUMN enforcement_reason TEXT;
            ALTER TABLE hosts ADD COLUMN bpffs_mounted BIGINT NOT NULL DEFAULT 0;
            ALTER TABLE hosts ADD COLUMN pin_root TEXT;
            """),
        // Fixes ZeroDrift makes (docs/remediation.md, "On the server"): a remediation job per vulnerable image (or a
        // dependency fix CI reports), and on each fixed vulnerability the scan that closed it and the job it credits.
        (5, "remediations", """
            CREATE TABLE remediations (id {id}, subject TEXT NOT NULL, kind TEXT NOT NULL, image TEXT NOT NULL, image_digest TEXT NOT NULL, state TEXT NOT NULL,
                requested_by TEXT NOT NULL, automatic BIGINT NOT NULL, findings TEXT NOT NULL, incident_id BIGINT, created_at BIGINT NOT NULL,
                claimed_by TEXT, claimed_at BIGINT, lease_until BIGINT, done_at BIGINT, patched_image TEXT, patched_digest TEXT, error TEXT);
            CREATE INDEX remediations_state ON remediations(state, id);
            CREATE INDEX remediations_subject ON remediations(subject, image_digest);
            ALTER TABLE vuln_state ADD COLUMN fixed_scan BIGINT;
            ALTER TABLE vuln_state ADD COLUMN fixed_by_remediation BIGINT;
            """),
    ];
}
