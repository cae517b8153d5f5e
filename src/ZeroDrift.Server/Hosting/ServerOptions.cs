namespace ZeroDrift.Server.Hosting;

/// <summary>How <c>zerodrift server</c> runs (docs/server.md).</summary>
/// <param name="Listen">https://HOST:PORT (default https://127.0.0.1:8443) or http://HOST:PORT behind a TLS-terminating proxy.</param>
/// <param name="Db">SQLite path or PostgreSQL connection string; null: server.db in the data directory.</param>
/// <param name="Nats">nats://HOST:PORT: also consume agent batches from JetStream (docs/server.md).</param>
/// <param name="Admission">The Kubernetes admission webhook to host at /admission/validate and /admission/mutate, its decisions recorded (docs/server.md).</param>
/// <param name="Audit">Falco's plugin rules judging Kubernetes audit events and CloudTrail logs posted to /api/v1/audit-events/* (docs/audit.md).</param>
/// <param name="ImagePatch">Run patch-image jobs in the server (docs/remediation.md, "On the server"); null: they wait for CI to claim them.</param>
/// <param name="CloudTrailDirectory">A folder of CloudTrail log files as delivered to S3, read as files arrive (needs <see cref="Audit"/>; docs/audit.md).</param>
/// <param name="AdminPassword">First admin's password (ZERODRIFT_ADMIN_PASSWORD); used only while no admin exists.</param>
public sealed record ServerOptions(
    string Listen = ServerOptions.DefaultListen,
    string? TlsCertificate = null,
    string? TlsKey = null,
    string? Db = null,
    string? DataDirectory = null,
    string? AdminPassword = null,
    string AdminName = "admin",
    TimeSpan? SessionLifetime = null,
    string? Nats = null,
    ZeroDrift.Admission.AdmissionHandler? Admission = null,
    ZeroDrift.Runtime.Audit.AuditJudge? Audit = null,
    ZeroDrift.Server.Remediation.ImagePatchSettings? ImagePatch = null,
    string? CloudTrailDirectory = null)
{
    public const string DefaultListen = "https://127.0.0.1:8443";
}

/// <summary>A server that cannot start as asked: one line for the operator.</summary>
public sealed class ServerConfigurationException(string message) : Exception(message);
