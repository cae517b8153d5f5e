using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using ZeroDrift.Core;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Rules;

namespace ZeroDrift.DynamicTesting;

/// <summary>
/// <c>zerodrift test IMAGE</c>: the image runs in a sandbox container under the agent in Learn, is driven by the
/// exercise, probes and OpenAPI operations for at most the plan's duration, and is judged: rule alerts, drift,
/// undeclared egress, the HTTP baseline. The sandbox is a podman container (runc, no host mounts) on a network of its
/// own created <c>--internal</c>: no route out of its bridge, so no egress beyond the host's bridge address.
/// </summary>
public sealed class DynamicTest(TestPlan plan, ILogger? log = null)
{
    private static readonly TimeSpan PodmanTimeout = TimeSpan.FromMinutes(2);

    /// <summary>How long the test waits after the drive for the agent's next rounds: the kernel's syscall sets are read
    /// and learning is saved every second.</summary>
    internal static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(2500);

    private readonly Action<string> _note = line => log?.LogInformation("{Line}", line);

    public async Task<TestReport> RunAsync(CancellationToken token)
    {
        var imageId = Podman.Run(PodmanTimeout, "image", "inspect", "--format", "{{.Id}}", plan.Image) is { ExitCode: 0 } inspected
            ? inspected.Stdout.Trim()
            : throw new DynamicTestException($"{plan.Image}: no such local image (zerodrift test runs images from podman's storage and pulls nothing)");
        var suffix = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
        // The container's name is the workload's name: one the agent keeps whole (no replica suffix to fold).
        var container = $"zdtest-{suffix}-sandbox";
        var network = $"zdtest-{suffix}-net";
        var storeDir = Directory.CreateTempSubdirectory("zerodrift-test-");
        var agent = (SandboxAgent?)null;
        var networkCreated = false;
        var containerStarted = false;
        try
        {
            agent = SandboxAgent.Start(plan, Path.Combine(storeDir.FullName, "profiles.db"), container, log);
            _note($"agent attached; {agent.RuleCoverageLine}");
            Podman.Check(PodmanTimeout, "network", "create", "--internal", network);
            networkCreated = true;
            var started = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            Podman.Check(PodmanTimeout, "run", "-d", "--pull", "never", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                "--network", network, "--name", container, plan.Image);
            containerStarted = true;
            var address = Podman.Check(PodmanTimeout, "inspect", "--format", $"{{{{(index .NetworkSettings.Networks \"{network}\").IPAddress}}}}", container);
            _note($"sandbox {container} at {address} on internal network {network}");

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
            deadline.CancelAfter(plan.Duration);
            var findings = new List<TestFinding>();
            var openApiCalls = plan.OpenApi is { } openApi ? OpenApiOperations.Load(openApi) : [];
            HttpDriver? http = plan.Port is { } port && !string.IsNullOrEmpty(address) ? new HttpDriver(new Uri($"http://{address}:{port}/")) : null;
            ExerciseRun? exercise = null;
            using (http)
            {
                var drive = new List<Task>();
                if (plan.ExerciseScript is { } script)
                    drive.Add(Task.Run(async () => exercise = await RunExerciseAsync(script, container, address, plan.Port, deadline.Token).ConfigureAwait(false), CancellationToken.None));
                if (http is not null)
                    drive.Add(Task.Run(() => DriveHttpAsync(http, openApiCalls, findings, deadline.Token), CancellationToken.None));
                if (drive.Count == 0) await WatchUntilExitAsync(container, deadline.Token).ConfigureAwait(false);
                else await Task.WhenAll(drive).ConfigureAwait(false);
                await Task.Delay(Settle, token).ConfigureAwait(false);
                var observed = clock.Elapsed;
                await agent.StopAsync().ConfigureAwait(false);
                var exitCode = ContainerExitCode(container);
                var profile = agent.Profile();
                findings.AddRange(Judge(agent.Alerts(), profile, address, network));
                if (exercise is { ExitCode: not 0 } failed)
                    findings.Add(new TestFinding(FindingKind.Sandbox, "ZD-TEST-EXERCISE", failed.ExitCode is null ? Severity.Medium : Severity.High,
                        failed.ExitCode is null ? "The exercise did not finish within the duration" : "The exercise failed",
                        failed.ExitCode is null ? $"{failed.Script} was stopped after {plan.Duration.TotalSeconds:0} s" : $"{failed.Script} exited {failed.ExitCode}", Tail(failed.Output, 400)));
                if (exitCode is { } code && code != 0)
                    findings.Add(new TestFinding(FindingKind.Sandbox, "ZD-TEST-EXITED", Severity.Low, "The container exited during the test",
                        $"the sandbox container exited with status {code} before the test ended"));
                if (profile is null)
                    findings.Add(new TestFinding(FindingKind.Sandbox, "ZD-TEST-NOTHING-SEEN", Severity.Medium, "No behaviour was seen",
                        "the agent attributed none of the sandbox's programs to its workload: nothing was learned or judged"));
                return new TestReport
                {
                    Image = plan.Image,
                    ImageId = imageId,
                    Sandbox = new SandboxInfo(container, network, address, true, started, observed, exitCode),
                    Exercise = exercise,
                    HttpRequests = http?.Exchanges.Count ?? 0,
                    OpenApiOperations = openApiCalls.Count,
                    Rules = agent.RuleCoverageLine,
                    AgentEvents = agent.Events,
                    Profile = profile,
                    Findings = findings.OrderByDescending(f => f.Severity).ThenBy(f => f.Kind).ThenBy(f => f.Id, StringComparer.Ordinal).ToList(),
                };
            }
        }
        finally
        {
            if (agent is not null) await agent.DisposeAsync().ConfigureAwait(false);
            if (containerStarted) Podman.Run(PodmanTimeout, "rm", "-f", "-t", "0", container);
            if (networkCreated) Podman.Run(PodmanTimeout, "network", "rm", "-f", network);
            storeDir.Delete(recursive: true);
        }
    }

    private async Task DriveHttpAsync(HttpDriver http, IReadOnlyList<OpenApiCall> calls, List<TestFinding> findings, CancellationToken token)
    {
        try
        {
            if (!await http.WaitReadyAsync(TimeSpan.FromSeconds(30), token).ConfigureAwait(false))
            {
                lock (findings) findings.Add(new TestFinding(FindingKind.Sandbox, "ZD-TEST-NO-PORT", Severity.Medium, "The port never answered",
                    $"nothing accepted connections on {http.BaseUri.Authority} during the test: the HTTP surface was not tested"));
                return;
            }
            foreach (var probe in plan.Probes) await http.GetAsync(probe.StartsWith('/') ? probe : "/" + probe, token).ConfigureAwait(false);
            foreach (var call in calls)
                await http.SendAsync(new HttpMethod(call.Method), call.PathAndQuery, call.JsonBody is null ? null : new StringContent(call.JsonBody, Encoding.UTF8, "application/json"), null, token).ConfigureAwait(false);
            var baseline = await HttpBaseline.CheckAsync(http, token).ConfigureAwait(false);
            lock (findings) findings.AddRange(baseline);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            lock (findings) findings.Add(new TestFinding(FindingKind.Sandbox, "ZD-TEST-HTTP-UNFINISHED", Severity.Low, "The HTTP checks did not finish within the duration",
                $"{http.Exchanges.Count} requests were made before the duration ended"));
        }
    }

    /// <summary>With nothing to drive: the whole duration, or until the container exits.</summary>
    private static async Task WatchUntilExitAsync(string container, CancellationToken token)
    {
        try
        {
            while (!token.IsCancellationRequested)
            {
                await Task.Delay(500, token).ConfigureAwait(false);
                if (Podman.Run(PodmanTimeout, "inspect", "--format", "{{.State.Running}}", container).Stdout.Trim() != "true") return;
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The duration is over: a normal end.
        }
    }

    private static int? ContainerExitCode(string container)
    {
        var state = Podman.Run(PodmanTimeout, "inspect", "--format", "{{.State.Running}} {{.State.ExitCode}}", container).Stdout.Trim().Split(' ');
        return state.Length == 2 && state[0] == "false" && int.TryParse(state[1], System.Globalization.CultureInfo.InvariantCulture, out var code) ? code : null;
    }

    /// <summary>The script runs on the host, beside the sandbox, with its address in the environment; stopped at the end of the duration.</summary>
    private static async Task<ExerciseRun> RunExerciseAsync(string script, string container, string address, int? port, CancellationToken token)
    {
        var executable = OperatingSystem.IsLinux() && File.Exists(script) && (File.GetUnixFileMode(script) & UnixFileMode.UserExecute) != 0;
        var start = new ProcessStartInfo(executable ? Path.GetFullPath(script) : "/bin/sh")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (start.FileName == "/bin/sh") start.ArgumentList.Add(Path.GetFullPath(script));
        start.Environment["ZERODRIFT_TARGET_HOST"] = address;
        start.Environment["ZERODRIFT_TARGET_CONTAINER"] = container;
        if (port is { } p)
        {
            start.Environment["ZERODRIFT_TARGET_PORT"] = p.ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["ZERODRIFT_TARGET_URL"] = $"http://{address}:{p}";
        }
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new DynamicTestException($"--exercise {script}: could not be started");
        var output = new StringBuilder();
        void Collect(object? _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (output) if (output.Length < 64 * 1024) output.AppendLine(e.Data);
        }
        process.OutputDataReceived += Collect;
        process.ErrorDataReceived += Collect;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        int? exit;
        try
        {
            await process.WaitForExitAsync(token).ConfigureAwait(false);
            exit = process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            exit = null;
        }
        lock (output) return new ExerciseRun(script, exit, clock.Elapsed, output.ToString());
    }

    /// <summary>Alerts and the learned profile as findings: every rule alert fails the test, drift too, and egress the plan did not declare.</summary>
    internal IEnumerable<TestFinding> Judge(IReadOnlyList<ObservedAlert> alerts, BehaviourProfile? profile, string address, string network)
    {
        foreach (var group in alerts.Where(a => a.Context.Kind == "rule").GroupBy(a => a.Alert.Rule, StringComparer.Ordinal))
        {
            var first = group.First().Alert;
            var severity = group.Min(a => a.Alert.Priority) <= Priority.Critical ? Severity.Critical : Severity.High;
            yield return new TestFinding(FindingKind.Rule, group.Key, severity, group.Key,
                $"{group.Count()} alert{(group.Count() == 1 ? "" : "s")} ({first.Priority}) raised while the image ran in the sandbox", first.Output.Trim());
        }
        var drift = alerts.Where(a => a.Context.Deviation == DeviationKind.Drift).ToList();
        foreach (var group in drift.GroupBy(a => a.Alert.OutputFields.TryGetValue("proc.exepath", out var exe) ? exe?.ToString() ?? "?" : "?", StringComparer.Ordinal))
            yield return new TestFinding(FindingKind.Drift, "ZD-TEST-DRIFT", Severity.Critical, "Executable not from the image",
                $"{group.Key} ran but is not one of the image's files ({group.First().Context.Reason})", group.First().Alert.Output.Trim());
        if (profile is null) yield break;
        var gateway = Gateway(address);
        foreach (var egress in profile.Network.Where(n => n.Direction == NetworkDirection.Egress))
        {
            if (IPAddress.TryParse(egress.Peer, out var peer) && IPAddress.IsLoopback(peer)) continue; // inside the container's own network namespace
            if (egress.Port == 53 && egress.Peer == gateway) continue; // the sandbox network's own resolver
            if (plan.AllowedEgress.Any(a => a.Port == egress.Port && (a.Host == egress.Peer || string.Equals(a.Host, egress.DnsName, StringComparison.OrdinalIgnoreCase)))) continue;
            yield return new TestFinding(FindingKind.Egress, "ZD-TEST-EGRESS", Severity.High, "Connection the test did not declare",
                $"{egress.Protocol} to {egress.DnsName ?? egress.Peer}:{egress.Port} (declare it with --allow-egress HOST:PORT when it is expected; the sandbox network {network} has no route out)");
        }
    }

    /// <summary>The bridge's address of a podman network is the subnet's first host (10.89.0.1 for 10.89.0.x/24).</summary>
    private static string? Gateway(string address) =>
        IPAddress.TryParse(address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? string.Join('.', address.Split('.')[..3]) + ".1"
            : null;

    private static string Tail(string text, int chars) => text.Length <= chars ? text.Trim() : "…" + text[^chars..].Trim();
}
