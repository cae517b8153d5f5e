using System.CommandLine;
using ZeroDrift.Admission;
using ZeroDrift.Supply.Policy;
using ZeroDrift.Core.IO;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>zerodrift admission --policy FILE --tls-cert C --tls-key K --listen ADDR</c> serves the Kubernetes admission webhook;
/// <c>zerodrift admission manifests</c> prints its webhook configurations.
/// </summary>
public static class AdmissionCommand
{
    /// <summary>Largest CA bundle read for the webhook manifests.</summary>
    private const long MaxCaBundleBytes = 4 << 20;

    public static Command Create()
    {
        var policy = new Option<string>("--policy") { Description = "The policy YAML file (docs/policy.md)", Required = true };
        var cert = new Option<string>("--tls-cert") { Description = "PEM certificate (chain) the webhook serves", Required = true };
        var key = new Option<string>("--tls-key") { Description = "PEM private key of the certificate", Required = true };
        var listen = new Option<string>("--listen") { Description = "Address to listen on, host:port", DefaultValueFactory = _ => "0.0.0.0:8443" };
        var insecure = SupplyOptions.InsecureRegistry();
        var maxBytes = new Option<int>("--max-request-bytes") { Description = "Largest AdmissionReview accepted; larger ones are denied", DefaultValueFactory = _ => new AdmissionOptions().MaxRequestBytes };
        var noDefaults = new Option<bool>("--no-security-context-defaults") { Description = "Mutation pins digests only; it adds no securityContext defaults" };
        var assets = new Option<string?>("--assets-db") { Description = "Record every image admitted or denied in this asset inventory (see zerodrift assets)" };
        var pssVersion = PssVersionOption.Create("admitted pods");
        var tagTtl = new Option<int>("--tag-ttl-seconds") { Description = "How long a tag's resolved digest is reused before the registry is asked again", DefaultValueFactory = _ => 30 };
        var command = new Command("admission", "Serve the Kubernetes admission webhook (validating and mutating) that enforces a policy");
        foreach (var o in new Option[] { policy, cert, key, listen, insecure, maxBytes, noDefaults, tagTtl, assets, pssVersion }) command.Options.Add(o);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var podSecurity = new MisconfigPodSecurity(PssVersionOption.Read(parse, pssVersion));
            var loaded = SupplyPolicy.Load(parse.GetValue(policy)!);
            if (parse.GetValue(maxBytes) is < 1024 or > (64 << 20)) throw new UsageException("--max-request-bytes must be between 1024 and 67108864");
            var signing = SupplyOptions.Signing(parse, insecure);
            using var client = signing.Client;
            var engine = new PolicyEngine(loaded, signing, podSecurity, TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(tagTtl))));
            using var store = parse.GetValue(assets) is { } assetsPath ? new Supply.Assets.AssetStore(AssetsCommand.DbPath(assetsPath)) : null;
            var handler = new AdmissionHandler(engine, new AdmissionOptions
            {
                MaxRequestBytes = parse.GetValue(maxBytes),
                AddSecurityContextDefaults = !parse.GetValue(noDefaults),
            }, store is null ? null : new AssetObserver(store));
            await using var server = await AdmissionServer.StartAsync(handler, parse.GetValue(listen)!, parse.GetValue(cert)!, parse.GetValue(key)!, token).ConfigureAwait(false);
            Console.Error.WriteLine($"zerodrift admission: serving /validate and /mutate on {string.Join(", ", server.Addresses)} with {loaded.Source} (Pod Security policy {podSecurity.Version})");
            try
            {
                await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                Console.Error.WriteLine("zerodrift admission: stopped");
            }
            return ExitCodes.Ok;
        }, ct));
        command.Subcommands.Add(Manifests());
        return command;
    }

    private static Command Manifests()
    {
        var ca = new Option<string>("--ca-bundle") { Description = "PEM file of the CA that signed the webhook's certificate", Required = true };
        var service = new Option<string>("--service") { Description = "Name of the webhook's Service", DefaultValueFactory = _ => "zerodrift-webhook" };
        var ns = new Option<string>("--namespace") { Description = "Namespace of the Service (excluded from admission)", DefaultValueFactory = _ => "zerodrift" };
        var port = new Option<int>("--port") { Description = "Service port", DefaultValueFactory = _ => 443 };
        var url = new Option<string?>("--url") { Description = "Reach the webhook at this https URL instead of a Service" };
        var failure = new Option<string>("--failure-policy") { Description = "Fail (deny when the webhook cannot answer; recommended) or Ignore", DefaultValueFactory = _ => "Fail" };
        var timeout = new Option<int>("--timeout-seconds") { Description = "API server timeout for each call (1-30)", DefaultValueFactory = _ => 10 };
        var command = new Command("manifests", "Print the ValidatingWebhookConfiguration and MutatingWebhookConfiguration with the CA bundle");
        foreach (var o in new Option[] { ca, service, ns, port, url, failure, timeout }) command.Options.Add(o);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var caPath = parse.GetValue(ca)!;
            if (!File.Exists(caPath)) throw new UsageException($"CA bundle {caPath} not found");
            if (parse.GetValue(url) is { } u && !u.StartsWith("https://", StringComparison.Ordinal)) throw new UsageException("--url must be https://");
            var pem = BoundedFile.ReadAllText(caPath, MaxCaBundleBytes, "CA bundle");
            Console.Out.Write(WebhookManifests.Render(pem, new WebhookTarget(parse.GetValue(service), parse.GetValue(ns)!, parse.GetValue(port), parse.GetValue(url)),
                parse.GetValue(failure)!, parse.GetValue(timeout)));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
