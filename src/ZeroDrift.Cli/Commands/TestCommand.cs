using System.CommandLine;
using ZeroDrift.Cli.Output;
using ZeroDrift.Core;
using ZeroDrift.DynamicTesting;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>zerodrift test IMAGE</c>: runs the image in a sandbox under the agent in Learn, drives it, and reports what it
/// did, what fired and what its HTTP surface shows (docs/testing.md). Composes ZeroDrift.DynamicTesting.
/// </summary>
public static class TestCommand
{
    public static Command Create()
    {
        var image = new Argument<string>("IMAGE") { Description = "A local image (podman's storage; nothing is pulled)" };
        var exercise = new Option<FileInfo?>("--exercise") { Description = "A script run beside the sandbox, with ZERODRIFT_TARGET_HOST/_PORT/_URL in its environment; a non-zero exit fails the test" };
        var probes = new Option<string[]>("--probe") { Description = "URL path requested with GET (repeatable)", AllowMultipleArgumentsPerToken = true };
        var openApi = new Option<FileInfo?>("--openapi") { Description = "OpenAPI 3 document (JSON or YAML): each operation is called with the document's examples" };
        var duration = new Option<string>("--duration") { Description = "The longest the sandbox runs (e.g. 30s, 2m; default 60s)", DefaultValueFactory = _ => "60s" };
        var port = new Option<int?>("--port") { Description = "The container's HTTP port: probes, OpenAPI operations and the HTTP baseline check go there" };
        var egress = new Option<string[]>("--allow-egress") { Description = "HOST:PORT the workload may connect to (repeatable); any other connection is a finding", AllowMultipleArgumentsPerToken = true };
        var rules = new Option<string[]>("--rules") { Description = "Falco rule files loaded after the built-in rules (repeatable)", AllowMultipleArgumentsPerToken = true };
        var noDefaultRules = new Option<bool>("--no-default-rules") { Description = "Do not load ZeroDrift's built-in rules" };
        var format = new Option<string>("--format", "-o") { Description = "table, json or sarif", DefaultValueFactory = _ => "table" };
        var output = new Option<FileInfo?>("--output", "-f") { Description = "Write the report to this file instead of standard output" };
        var profileOut = new Option<FileInfo?>("--profile-out") { Description = "Write the learned profile here (the YAML 'zerodrift profile import' reads)" };
        var exitCode = new Option<int>("--exit-code") { Description = "Exit with this code when a finding at or above --fail-on remains (default 1)", DefaultValueFactory = _ => 1 };
        var failOn = new Option<string>("--fail-on") { Description = "The lowest severity that fails the test (LOW, MEDIUM, HIGH, CRITICAL; default HIGH: every rule alert, drift, undeclared egress)", DefaultValueFactory = _ => "HIGH" };

        var command = new Command("test", "Run an image in a sandbox under the agent, exercise it, and judge what it does (root)");
        command.Arguments.Add(image);
        foreach (var o in new Option[] { exercise, probes, openApi, duration, port, egress, rules, noDefaultRules, format, output, profileOut, exitCode, failOn })
            command.Options.Add(o);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var chosenFormat = parse.GetValue(format)!.ToLowerInvariant();
            if (chosenFormat is not ("table" or "json" or "sarif")) throw new UsageException($"--format {chosenFormat}: expected table, json or sarif");
            if (!Enum.TryParse<Severity>(parse.GetValue(failOn), ignoreCase: true, out var threshold) || threshold < Severity.Low || int.TryParse(parse.GetValue(failOn), out _))
                throw new UsageException($"--fail-on {parse.GetValue(failOn)}: expected LOW, MEDIUM, HIGH or CRITICAL");
            if (parse.GetValue(port) is { } p && p is < 1 or > 65535) throw new UsageException($"--port {p}: expected 1-65535");
            if (parse.GetValue(exercise) is { Exists: false } missing) throw new UsageException($"--exercise {missing.FullName}: no such file");
            if (parse.GetValue(openApi) is { Exists: false } missingApi) throw new UsageException($"--openapi {missingApi.FullName}: no such file");
            IReadOnlyList<EgressAllowance> allowed;
            try
            {
                allowed = (parse.GetValue(egress) ?? []).Select(EgressAllowance.Parse).ToList();
            }
            catch (FormatException e)
            {
                throw new UsageException(e.Message);
            }
            var plan = new TestPlan
            {
                Image = parse.GetValue(image)!,
                ExerciseScript = parse.GetValue(exercise)?.FullName,
                Probes = parse.GetValue(probes) ?? [],
                OpenApi = parse.GetValue(openApi)?.FullName,
                Duration = AgentCommand.ParseDuration(parse.GetValue(duration)!, "--duration"),
                Port = parse.GetValue(port),
                AllowedEgress = allowed,
                RuleFiles = parse.GetValue(rules) ?? [],
                DefaultRules = !parse.GetValue(noDefaultRules),
            };
            if ((plan.Probes.Count > 0 || plan.OpenApi is not null) && plan.Port is null) throw new UsageException("--probe and --openapi need --port");
            if (plan.OpenApi is not null) OpenApiOperations.Load(plan.OpenApi); // a bad document stops the test before anything runs
            Sensor.KernelSensor.EnsureSupported();

            var report = await new DynamicTest(plan).RunAsync(token).ConfigureAwait(false);
            if (parse.GetValue(profileOut) is { } profileFile)
            {
                if (report.Profile is null) Terminal.Warn("no profile was learned (none of the sandbox's programs was seen): --profile-out not written");
                else await File.WriteAllTextAsync(profileFile.FullName, TestReportWriter.ProfileYamlOf(report.Profile), token).ConfigureAwait(false);
            }
            await (chosenFormat switch
            {
                "json" => ReportOutput.WriteDocumentAsync(parse.GetValue(output), s => TestReportWriter.WriteJson(report, threshold, s)),
                "sarif" => ReportOutput.WriteDocumentAsync(parse.GetValue(output), s => TestReportWriter.WriteSarif(report, s)),
                _ => ReportOutput.WriteTableAsync(parse.GetValue(output), (w, _) => TestReportWriter.WriteTable(report, threshold, w)),
            }).ConfigureAwait(false);
            return report.Fails(threshold) ? parse.GetValue(exitCode) : ExitCodes.Ok;
        }, ct));
        return command;
    }
}
