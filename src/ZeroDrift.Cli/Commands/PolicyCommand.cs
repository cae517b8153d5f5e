using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using ZeroDrift.Admission;
using ZeroDrift.Supply.Policy;

namespace ZeroDrift.Cli.Commands;

/// <summary><c>zerodrift policy check IMAGE|MANIFEST --policy FILE</c>: every rule's verdict and why; exit 1 on deny.</summary>
public static class PolicyCommand
{
    public static Command Create()
    {
        var command = new Command("policy", "Check images and Kubernetes workloads against a supply-chain policy");
        var target = new Argument<string>("target") { Description = "An image reference, or a Kubernetes manifest file (YAML/JSON) whose workloads are checked" };
        var policy = new Option<string>("--policy") { Description = "The policy YAML file (docs/policy.md)", Required = true };
        var insecure = SupplyOptions.InsecureRegistry();
        var output = new Option<string>("--output", "-o") { Description = "text or json", DefaultValueFactory = _ => "text" };
        var pssVersion = PssVersionOption.Create("pod specs");
        var check = new Command("check", "Print each rule's verdict for the image or workloads; exit 1 when any is denied");
        check.Arguments.Add(target);
        foreach (var o in new Option[] { policy, insecure, output, pssVersion }) check.Options.Add(o);
        check.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var format = parse.GetValue(output)!;
            if (format is not ("text" or "json")) throw new UsageException($"unknown output '{format}' (text or json)");
            var podSecurity = new MisconfigPodSecurity(PssVersionOption.Read(parse, pssVersion));
            var loaded = SupplyPolicy.Load(parse.GetValue(policy)!);
            var signing = SupplyOptions.Signing(parse, insecure);
            using var client = signing.Client;
            var engine = new PolicyEngine(loaded, signing, podSecurity, TimeSpan.Zero);
            var subject = parse.GetValue(target)!;
            var results = new List<(string Subject, PolicyDecision Decision)>();
            if (File.Exists(subject))
            {
                var objects = KubernetesManifests.Load(subject);
                foreach (var obj in objects)
                {
                    if (Workload.From(obj) is not { } workload) continue;
                    results.Add(($"{workload.Kind} {workload.Name}".TrimEnd(), await engine.CheckWorkloadAsync(workload, token).ConfigureAwait(false)));
                }
                if (results.Count == 0) throw new UsageException($"{subject}: no Pod or workload with a pod template");
            }
            else
            {
                var image = subject.StartsWith("registry:", StringComparison.Ordinal) ? subject["registry:".Length..] : subject;
                results.Add((image, await engine.CheckImageAsync(image, token).ConfigureAwait(false)));
            }
            Write(results, format);
            var denied = results.Count(r => !r.Decision.Allowed);
            Console.Error.WriteLine(denied == 0 ? $"allowed: {results.Count} subject(s) pass {loaded.Source}" : $"denied: {denied} of {results.Count} subject(s) fail {loaded.Source}");
            return denied == 0 ? ExitCodes.Ok : ExitCodes.Findings;
        }, ct));
        command.Subcommands.Add(check);
        return command;
    }

    private static void Write(List<(string Subject, PolicyDecision Decision)> results, string format)
    {
        if (format == "json")
        {
            var doc = new JsonArray(results.Select(r => (JsonNode)new JsonObject
            {
                ["subject"] = r.Subject,
                ["allowed"] = r.Decision.Allowed,
                ["verdicts"] = new JsonArray(r.Decision.Verdicts.Select(v => (JsonNode)new JsonObject
                {
                    ["rule"] = v.Rule, ["subject"] = v.Subject, ["passed"] = v.Passed, ["reason"] = v.Reason,
                }).ToArray()),
                ["pinned"] = new JsonObject(r.Decision.Pins.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))),
            }).ToArray());
            Console.Out.WriteLine(doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            return;
        }
        foreach (var (subject, decision) in results)
        {
            Console.Out.WriteLine($"{subject}: {(decision.Allowed ? "ALLOW" : "DENY")}");
            foreach (var v in decision.Verdicts)
                Console.Out.WriteLine($"  {(v.Passed ? "pass" : "DENY")}  {v.Rule}  {v.Subject}: {v.Reason}");
        }
    }
}
