using System.CommandLine;
using ZeroDrift.Scanning.Reporting;
using ZeroDrift.Server.Client;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>zerodrift scan … --server URL</c>: after the report is written, the same JSON report goes to the server
/// (docs/server.md): vulnerabilities and the content findings (secrets redacted, PII masked, misconfigurations). The token comes from --token or, better (it stays out of the process list), ZERODRIFT_TOKEN.
/// </summary>
public sealed class ServerUploadOptions
{
    private readonly Option<string?> _server = new("--server") { Description = "Upload the results to this ZeroDrift server (https://HOST:PORT)" };
    private readonly Option<string?> _token = new("--token") { Description = "API token for --server (default $ZERODRIFT_TOKEN)" };
    private readonly Option<FileInfo?> _ca = new("--server-ca") { Description = "Trust exactly this certificate (PEM) for --server, e.g. the server's self-signed one" };
    private readonly Option<string?> _workload = new("--workload") { Description = "What the target is scanned for (namespace/name); later scans of it show what was fixed (default: the target)" };
    private readonly Option<string> _stage = new("--stage") { Description = "Where in the lifecycle this scan runs: build, registry or runtime (default build)", DefaultValueFactory = _ => "build" };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _server, _token, _ca, _workload, _stage }) command.Options.Add(o);
    }

    /// <summary>Checked before the scan runs, so a bad combination costs nothing.</summary>
    public void Validate(ParseResult parse, bool showSecrets)
    {
        if (parse.GetValue(_server) is null) return;
        var stage = parse.GetValue(_stage)!;
        if (stage is not ("build" or "registry" or "runtime")) throw new UsageException($"--stage {stage}: expected build, registry or runtime");
        if (showSecrets) throw new UsageException("--show-secrets cannot be used with --server: the server stores secrets redacted only");
    }

    public async Task UploadAsync(ParseResult parse, ScanReport report, CancellationToken ct)
    {
        if (parse.GetValue(_server) is not { } url) return;
        var stage = parse.GetValue(_stage)!;
        if (stage is not ("build" or "registry" or "runtime")) throw new UsageException($"--stage {stage}: expected build, registry or runtime");
        try
        {
            var connection = ServerConnection.Parse(url, parse.GetValue(_token) ?? Environment.GetEnvironmentVariable("ZERODRIFT_TOKEN"), parse.GetValue(_ca)?.FullName);
            using var json = new MemoryStream();
            ScanJsonWriter.Write(report, json);
            var result = await ScanUploader.UploadAsync(connection, json.ToArray(), new ScanIdentity(parse.GetValue(_workload), stage), ct).ConfigureAwait(false);
            var parts = new List<string>();
            if (report.Vulnerabilities is not null) parts.Add($"{result.Findings} findings, {result.New} new, {result.Fixed} fixed since the last scan");
            if (report.Content is not null) parts.Add($"{result.ContentFindings} secret/PII/misconfiguration findings, {result.ContentNew} new, {result.ContentFixed} fixed");
            Console.Error.WriteLine($"zerodrift: uploaded scan {result.ScanId} to {connection.BaseAddress}: {string.Join("; ", parts)}");
        }
        catch (ServerClientException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
