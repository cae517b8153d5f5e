using System.CommandLine;
using ZeroDrift.Admission;
using ZeroDrift.Server.Hosting;
using ZeroDrift.Supply.Policy;

namespace ZeroDrift.Cli.Commands;

/// <summary><c>zerodrift server</c>: the control plane (API, agent channel, metrics, console); docs/server.md.</summary>
public static class ServerCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = $"Address to serve on: https://HOST:PORT, or http://HOST:PORT behind a TLS proxy (default {ServerOptions.DefaultListen})", DefaultValueFactory = _ => ServerOptions.DefaultListen };
        var cert = new Option<FileInfo?>("--tls-cert") { Description = "TLS certificate chain, PEM (default: a self-signed certificate made once in DATA/tls/)" };
        var key = new Option<FileInfo?>("--tls-key") { Description = "TLS private key, PEM" };
        var db = new Option<string?>("--db") { Description = "SQLite file, or a PostgreSQL connection string (Host=…;Database=…) or postgres:// URL (default DATA/server.db)" };
        var data = new Option<DirectoryInfo?>("--data-dir") { Description = "Where the server keeps its files (default $XDG_DATA_HOME/zerodrift/server)" };
        var nats = new Option<string?>("--nats") { Description = "Also consume agent batches from NATS JetStream at this URL (nats://HOST:PORT); several replicas share one durable consumer" };
        var admissionPolicy = new Option<FileInfo?>("--admission-policy") { Description = "Also serve the Kubernetes admission webhook (/admission/validate, /admission/mutate) enforcing this policy YAML (docs/policy.md); its decisions are recorded" };
        var auditRules = new Option<string[]>("--audit-rules")
        {
            Description = "Judge Kubernetes audit events and CloudTrail logs posted to /api/v1/audit-events/ with these Falco rule files (k8s_audit_rules.yaml, aws_cloudtrail_rules.yaml, overrides; docs/audit.md)",
            AllowMultipleArgumentsPerToken = true,
        };
        var cloudTrailDir = new Option<DirectoryInfo?>("--cloudtrail-dir") { Description = "Also read CloudTrail log files (gzip JSON, as delivered to S3) from this folder as they arrive, judged by --audit-rules (docs/audit.md)" };
        var insecure = SupplyOptions.InsecureRegistry();
        var pssVersion = PssVersionOption.Create("pods admitted through --admission-policy");
        var patch = new ServerPatchOptions();
        var command = new Command("server", "Run the ZeroDrift server: API, agent channel, metrics and web console");
        foreach (var o in new Option[] { listen, cert, key, db, data, nats, admissionPolicy, auditRules, insecure, pssVersion, cloudTrailDir }) command.Options.Add(o);
        patch.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            // The webhook is composed as `zerodrift admission` composes it: the policy, image verification against
            // the registries, the misconfiguration scanner's Pod Security Standards checks.
            var podSecurity = new MisconfigPodSecurity(PssVersionOption.Read(parse, pssVersion));
            if (parse.GetValue(pssVersion) is not null && parse.GetValue(admissionPolicy) is null) throw new UsageException("--pss-version needs --admission-policy");
            var signing = parse.GetValue(admissionPolicy) is not null ? SupplyOptions.Signing(parse, insecure) : null;
            using var registry = signing?.Client;
            AdmissionHandler? admission = null;
            if (parse.GetValue(admissionPolicy) is { } policyFile)
            {
                if (!policyFile.Exists) throw new UsageException($"--admission-policy {policyFile.FullName}: no such file");
                var engine = new PolicyEngine(SupplyPolicy.Load(policyFile.FullName), signing!, podSecurity, TimeSpan.FromSeconds(30));
                admission = new AdmissionHandler(engine, new AdmissionOptions());
            }
            ZeroDrift.Runtime.Audit.AuditJudge? audit = null;
            if (parse.GetValue(auditRules) is { Length: > 0 } ruleFiles)
            {
                audit = ZeroDrift.Runtime.Audit.AuditJudge.FromFiles(ruleFiles, hostname: Environment.MachineName);
                var evaluated = audit.K8s.Rules.Count + audit.CloudTrail.Rules.Count;
                if (evaluated == 0) throw new UsageException("--audit-rules: the files hold no k8s_audit or aws_cloudtrail rule that can fire");
                Console.Error.WriteLine($"zerodrift: audit events judged by {audit.K8s.Rules.Count} k8s_audit and {audit.CloudTrail.Rules.Count} aws_cloudtrail rules");
            }
            var options = new ServerOptions(
                Listen: parse.GetValue(listen)!,
                TlsCertificate: parse.GetValue(cert)?.FullName,
                TlsKey: parse.GetValue(key)?.FullName,
                Db: parse.GetValue(db) ?? Environment.GetEnvironmentVariable("ZERODRIFT_SERVER_DB"),
                DataDirectory: parse.GetValue(data)?.FullName,
                Nats: parse.GetValue(nats),
                Admission: admission,
                Audit: audit,
                CloudTrailDirectory: parse.GetValue(cloudTrailDir)?.FullName,
                AdminPassword: Environment.GetEnvironmentVariable("ZERODRIFT_ADMIN_PASSWORD") is { Length: > 0 } p ? p : null,
                ImagePatch: patch.Settings(parse, parse.GetValue(insecure) ?? []));
            ZeroDriftServer server;
            try
            {
                server = await ZeroDriftServer.StartAsync(options, token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ServerConfigurationException or Server.Storage.StoreException)
            {
                throw new UsageException(e.Message);
            }
            await using (server.ConfigureAwait(false))
            {
                foreach (var address in server.Addresses)
                    Console.Error.WriteLine($"zerodrift: server ({server.Store.Kind}) listening on {address} (console at {address})");
                if (admission is not null)
                    Console.Error.WriteLine($"zerodrift: admission webhook at /admission/validate and /admission/mutate with {parse.GetValue(admissionPolicy)!.FullName}");
                if (server.GeneratedCertificate is { } generated)
                    Console.Error.WriteLine($"zerodrift: self-signed TLS certificate {generated}: pin it in clients (--server-ca) or pass --tls-cert/--tls-key");
                try
                {
                    await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    Console.Error.WriteLine("zerodrift: server stopping");
                }
            }
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
