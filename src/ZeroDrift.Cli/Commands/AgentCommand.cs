using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ZeroDrift.Agent;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Sensor;
using ZeroDrift.Server.Client;
using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Enforcement;
using ZeroDrift.Sensor.Events;
using ZeroDrift.Sensor.Output;
using ZeroDrift.Sensor.Probing;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>zerodrift agent</c>: loads the eBPF sensor and streams its events as JSON lines until SIGTERM/Ctrl-C or
/// <c>--duration</c>; <c>--check</c> reports what this kernel loads and the plan chosen.
/// </summary>
public static class AgentCommand
{
    public static Command Create()
    {
        var check = new Option<bool>("--check") { Description = "Probe which eBPF program types this kernel loads, print the plan, and exit" };
        var output = new Option<string>("--output", "-o") { Description = "Event stream: json (JSON lines; the default) or none (alerts only)", DefaultValueFactory = _ => "json" };
        var outputFile = new Option<FileInfo?>("--output-file", "-f") { Description = "Write events to this file instead of standard output" };
        var ringSize = new Option<string>("--ringbuf-size") { Description = "Ring buffer size (bytes, or with K/M suffix; a power of two; default 16M)", DefaultValueFactory = _ => "16M" };
        var duration = new Option<double?>("--duration") { Description = "Stop after this many seconds (default: until SIGTERM or Ctrl-C)" };
        var events = new Option<string[]>("--events") { Description = "Event types to stream, comma-separated: exec,exit,open,connect,accept,bind,listen,dns,syscall (default all)", AllowMultipleArgumentsPerToken = true };
        var sensitive = new Option<string[]>("--sensitive-path") { Description = "Path prefix whose opens are reported even read-only (repeatable; replaces the default list)", AllowMultipleArgumentsPerToken = false };
        var statsInterval = new Option<double>("--stats-interval") { Description = "Seconds between stats lines (received, lost, latency; default 10)", DefaultValueFactory = _ => 10 };
        var mode = new Option<string>("--mode") { Description = "Mode of a workload that has no profile yet: learn, monitor or protect (default learn)", DefaultValueFactory = _ => "learn" };
        var alerts = new Option<string[]>("--alerts") { Description = "Where alerts go (repeatable): stdout, file:PATH, webhook:URL, syslog, syslog:/SOCKET, syslog:udp://ADDRESS:PORT (default stdout)" };
        var rules = new Option<string[]>("--rules") { Description = "Falco rule file to load (repeatable; in order, after the built-in rules)" };
        var noDefaultRules = new Option<bool>("--no-default-rules") { Description = "Do not load ZeroDrift's built-in rules" };
        var profiles = new Option<string?>("--profiles") { Description = "Profile store (SQLite) shared with `zerodrift profile` (default: $ZERODRIFT_PROFILES, else $XDG_DATA_HOME/zerodrift/profiles.db)" };
        var learnQuiet = new Option<string>("--learn-quiet") { Description = "Learning ends after this long with no new behaviour (e.g. 30s, 10m, 1h; default 1h)", DefaultValueFactory = _ => "1h" };
        var autoAdvance = new Option<string>("--auto-advance") { Description = "Mode a workload moves to when learning ends: none, monitor or protect (default none: stays in learn until switched)", DefaultValueFactory = _ => "none" };
        var host = new Option<string>("--host-processes") { Description = "Host processes: skip, rules (rules only; default) or workload (rules, and one alert-only profile for the host)", DefaultValueFactory = _ => "rules" };
        var server = new Option<string?>("--server") { Description = "ZeroDrift server URL: upload containers, events, alerts and profiles" };
        var apiToken = new Option<string?>("--token") { Description = "API token for --server (default: $ZERODRIFT_TOKEN)" };
        var enforcement = new Option<string>("--enforcement") { Description = "How Protect blocks: auto (the kernel where enforcement loads, else user-space kill; default), kernel (fail when it cannot load) or user-space", DefaultValueFactory = _ => "auto" };
        var pins = new Option<string>("--pin-root") { Description = "bpffs directory where kernel enforcement is pinned: it survives agent restarts (default /sys/fs/bpf/zerodrift)", DefaultValueFactory = _ => KernelEnforcer.DefaultPinRoot };
        var driftPrevention = new Option<bool>("--drift-prevention") { Description = "Kill, at exec and in every mode (Learn included), an executable from a container's writable layer or a memfd: every container, with or without a profile (profiles may ask for it per workload: `zerodrift profile drift-prevention`)" };
        var driftScope = new Option<string?>("--drift-prevention-scope") { Description = "Limit --drift-prevention (and the kernel's own classification of new containers) to containers whose cgroup lies under this one, relative to the cgroup v2 mount (e.g. /kubepods.slice)" };
        var release = new Option<bool>("--release-enforcement") { Description = "Remove the in-kernel enforcement left pinned by a stopped agent (programs, links, maps under --pin-root), and exit" };
        var statusFile = new Option<FileInfo>("--status-file") { Description = $"Where the running agent writes its status every 2 s, for `zerodrift agent status` (default {StatusFile.DefaultPath})", DefaultValueFactory = _ => new FileInfo(StatusFile.DefaultPath) };
        var serverCert = new Option<string?>("--server-cert") { Description = "PEM certificate to trust for --server (a self-signed server)" };
        var attested = new Option<string[]>("--attested-profiles") { Description = "Import the behaviour-profile attestation of every image pulled from a registry, verified with this key (key:PUB; repeatable), before its first container" };
        var attestedMode = new Option<string>("--attested-mode") { Description = "Mode an imported attested profile starts in: monitor (default) or protect", DefaultValueFactory = _ => "monitor" };
        var insecure = SupplyOptions.InsecureRegistry();

        var command = new Command("agent", "Run the eBPF sensor and the behaviour engine: profiles (learn, monitor, protect), Falco rules, alerts, response");
        foreach (var o in new Option[] { check, output, outputFile, ringSize, duration, events, sensitive, statsInterval, mode, alerts, rules, noDefaultRules, profiles, learnQuiet, autoAdvance, host, enforcement, driftPrevention, driftScope, pins, release, server, apiToken, serverCert, statusFile, attested, attestedMode, insecure })
            command.Options.Add(o);
        command.Subcommands.Add(CreateStatus());
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var format = parse.GetValue(output)!.ToLowerInvariant();
            if (format is not ("json" or "none"))
                throw new UsageException($"unknown output format '{format}' (known: json, none)");
            if (parse.GetValue(check))
                return RunCheck(parse.GetValue(outputFile));
            if (parse.GetValue(release))
            {
                KernelSensor.EnsureSupported();
                var root = parse.GetValue(pins)!;
                KernelEnforcer.Release(root);
                if (!parse.GetValue(GlobalOptions.Quiet))
                    Console.Error.WriteLine($"zerodrift: agent: enforcement under {root} released (nothing of it stays attached)");
                return ExitCodes.Ok;
            }
            var enforcementChoice = parse.GetValue(enforcement)!.ToLowerInvariant();
            if (enforcementChoice is not ("auto" or "kernel" or "user-space"))
                throw new UsageException($"--enforcement {enforcementChoice}: expected auto, kernel or user-space");
            var options = new SensorOptions
            {
                RingBufferBytes = ParseSize(parse.GetValue(ringSize)!),
                Events = ParseEvents(parse.GetValue(events) ?? []),
                SensitivePrefixes = parse.GetValue(sensitive) is { Length: > 0 } prefixes ? prefixes : SensorOptions.DefaultSensitivePrefixes,
            };
            var seconds = parse.GetValue(duration);
            if (seconds is <= 0) throw new UsageException("--duration must be a positive number of seconds");
            var interval = parse.GetValue(statsInterval);
            if (interval <= 0) throw new UsageException("--stats-interval must be a positive number of seconds");
            var advance = parse.GetValue(autoAdvance)!.ToLowerInvariant() switch
            {
                "none" => (ProfileMode?)null,
                var m => ParseMode(m, "--auto-advance"),
            };
            var scope = parse.GetValue(driftScope);
            if (scope is not null && !parse.GetValue(driftPrevention)) throw new UsageException("--drift-prevention-scope needs --drift-prevention");
            if (scope is not null && (!scope.StartsWith('/') || scope.Split('/').Any(p => p is "." or "..")))
                throw new UsageException($"--drift-prevention-scope {scope}: expected a cgroup path from the v2 mount's root, e.g. /kubepods.slice");
            if (scope is not null && CgroupRootOrNull() is { } cgroups && !Directory.Exists(Path.Join(cgroups, scope)))
                throw new UsageException($"--drift-prevention-scope {scope}: no such cgroup under {cgroups}");
            if (advance == ProfileMode.Learn) throw new UsageException("--auto-advance learn: learning already is the mode being left (use monitor, protect or none)");
            var settings = new AgentSettings(
                EventStream: format == "json",
                OutputFile: parse.GetValue(outputFile),
                StatsInterval: TimeSpan.FromSeconds(interval),
                Agent: new AgentOptions
                {
                    DefaultMode = ParseMode(parse.GetValue(mode)!, "--mode"),
                    Learning = new LearningPolicy(ParseDuration(parse.GetValue(learnQuiet)!, "--learn-quiet"), advance),
                    Host = parse.GetValue(host)!.ToLowerInvariant() switch
                    {
                        "skip" => HostPolicy.Skip,
                        "rules" => HostPolicy.Rules,
                        "workload" => HostPolicy.Workload,
                        var h => throw new UsageException($"--host-processes {h}: expected skip, rules or workload"),
                    },
                    DriftPrevention = parse.GetValue(driftPrevention) ? new DriftPreventionSetting(true, scope) : DriftPreventionSetting.PerWorkload,
                },
                Alerts: parse.GetValue(alerts) is { Length: > 0 } a ? a : ["stdout"],
                RuleFiles: parse.GetValue(rules) ?? [],
                DefaultRules: !parse.GetValue(noDefaultRules),
                Enforcement: enforcementChoice,
                EnforcementPins: parse.GetValue(pins)!,
                ProfilesPath: parse.GetValue(profiles) ?? ProfileStore.DefaultPath(),
                Status: new StatusFile(parse.GetValue(statusFile)!.FullName),
                Attested: AttestedSettings(parse.GetValue(attested) ?? [], parse.GetValue(attestedMode)!, parse.GetValue(insecure) ?? []),
                Server: parse.GetValue(server) is { } url ? Connect(url, parse.GetValue(apiToken), parse.GetValue(serverCert)) : null);
            foreach (var spec in settings.Alerts)
            {
                try { AlertSinkSpec.Validate(spec); }
                catch (FormatException e) { throw new UsageException(e.Message); }
            }
            var logLevel = parse.GetValue(GlobalOptions.Debug) ? Microsoft.Extensions.Logging.LogLevel.Debug
                : parse.GetValue(GlobalOptions.Quiet) ? Microsoft.Extensions.Logging.LogLevel.Warning : Microsoft.Extensions.Logging.LogLevel.Information;
            await AgentRunner.RunAsync(options, settings, seconds, logLevel, token).ConfigureAwait(false);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary><c>--attested-profiles key:PUB…</c>: the keys an image's profile attestation must verify with (keyless
    /// identities are not taken yet: docs/testing.md).</summary>
    private static AttestedProfileSettings? AttestedSettings(string[] specs, string mode, string[] insecure)
    {
        if (specs.Length == 0) return null;
        var keys = new List<string>();
        foreach (var spec in specs)
        {
            if (!spec.StartsWith("key:", StringComparison.Ordinal) || spec.Length == "key:".Length)
                throw new UsageException($"--attested-profiles {spec}: expected key:PUBLIC-KEY-FILE");
            keys.Add(spec["key:".Length..]);
        }
        var chosen = mode.ToLowerInvariant() switch
        {
            "monitor" => ProfileMode.Monitor,
            "protect" => ProfileMode.Protect,
            var m => throw new UsageException($"--attested-mode {m}: expected monitor or protect (an attested profile is not learned again)"),
        };
        return new AttestedProfileSettings(SupplyOptions.PublicKeys(keys), chosen, insecure);
    }

    private static string? CgroupRootOrNull()
    {
        try { return CgroupPaths.FindV2Root(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SensorException) { return null; }
    }

    private static ServerConnection Connect(string url, string? token, string? certificate)
    {
        try { return ServerConnection.Parse(url, token ?? Environment.GetEnvironmentVariable("ZERODRIFT_TOKEN"), certificate); }
        catch (ServerClientException e) { throw new UsageException(e.Message); }
    }

    public static ProfileMode ParseMode(string text, string option) => text.ToLowerInvariant() switch
    {
        "learn" => ProfileMode.Learn,
        "monitor" => ProfileMode.Monitor,
        "protect" => ProfileMode.Protect,
        _ => throw new UsageException($"{option} {text}: expected learn, monitor or protect"),
    };

    /// <summary>A duration as people write it: <c>90</c> (seconds), <c>500ms</c>, <c>30s</c>, <c>10m</c>, <c>2h</c>, <c>1d</c>.</summary>
    public static TimeSpan ParseDuration(string text, string option)
    {
        var t = text.Trim();
        (string Suffix, double Seconds)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)];
        var scale = 1.0;
        foreach (var (suffix, secs) in units)
        {
            if (!t.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) || (suffix == "s" && t.EndsWith("ms", StringComparison.OrdinalIgnoreCase))) continue;
            scale = secs;
            t = t[..^suffix.Length];
            break;
        }
        if (!double.TryParse(t, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) || n <= 0 || n * scale > TimeSpan.FromDays(3650).TotalSeconds)
            throw new UsageException($"{option} '{text}' is not a positive duration (e.g. 30s, 10m, 1h)");
        return TimeSpan.FromSeconds(n * scale);
    }

    /// <summary><c>zerodrift agent status</c>: what the running agent has attached, receives, loses and knows.</summary>
    private static Command CreateStatus()
    {
        var statusFile = new Option<FileInfo>("--status-file") { Description = $"The running agent's status file (default {StatusFile.DefaultPath})", DefaultValueFactory = _ => new FileInfo(StatusFile.DefaultPath) };
        var output = new Option<string>("--output", "-o") { Description = "table (default) or json", DefaultValueFactory = _ => "table" };
        var command = new Command("status", "Show the running agent: how it enforces Protect (and why, when not in the kernel), programs attached, events per second, drops per type, ring-buffer use, containers known");
        command.Options.Add(statusFile);
        command.Options.Add(output);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, _ =>
        {
            var format = parse.GetValue(output)!.ToLowerInvariant();
            if (format is not ("table" or "json")) throw new UsageException($"unknown output format '{format}' (known: table, json)");
            var file = new StatusFile(parse.GetValue(statusFile)!.FullName);
            var s = file.Read();
            if (s.State != "running")
                throw new SensorException($"no agent is running: the agent (pid {s.Pid}) stopped at {s.UpdatedAt:u} (status file {file.Path})");
            if (!Directory.Exists($"/proc/{s.Pid}"))
                throw new SensorException($"no agent is running: pid {s.Pid} is gone without stopping (killed?); its last status is from {s.UpdatedAt:u}");
            var age = DateTime.UtcNow - s.UpdatedAt;
            if (format == "json")
                Console.Out.Write(File.ReadAllText(file.Path));
            else
                Console.Out.Write(AgentStatusText.Render(s, age));
            if (age > TimeSpan.FromSeconds(Math.Max(10, 5 * s.IntervalSeconds)))
                Console.Error.WriteLine($"zerodrift: agent status: the status is {age.TotalSeconds:0} s old: the agent (pid {s.Pid}) is not updating it (hung or overloaded)");
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private static int RunCheck(FileInfo? file)
    {
        var report = CapabilityProbe.Run();
        using var writer = file is null ? new StreamWriter(Console.OpenStandardOutput()) : new StreamWriter(file.FullName);
        writer.WriteLine($"kernel {report.Kernel}, BTF {(report.Btf ? "present" : "missing")}, ring buffer {(report.RingBuffer ? "supported" : "refused")}");
        writer.WriteLine("program types:");
        foreach (var p in report.ProgramTypes)
            writer.WriteLine($"  {p.Type,-17} {(p.Loads ? "loads" : "refused: " + p.Error)}");
        writer.WriteLine($"sensor: {(report.SensorLoads ? $"loads ({report.SensorPrograms.Count} programs)" : "refused: " + report.SensorError)}");
        writer.WriteLine("  " + string.Join(", ", report.SensorPrograms));
        writer.WriteLine("lost events: counted per type in the kernel (per-CPU map), reported in stats lines of the event stream and by `zerodrift agent status`");
        writer.WriteLine("plan:");
        foreach (var line in report.Plan) writer.WriteLine("  " + line);
        writer.Flush();
        if (!report.SensorLoads || !report.RingBuffer)
            throw new SensorException($"the sensor cannot run on this kernel: {report.SensorError ?? "ring buffer refused"}");
        return ExitCodes.Ok;
    }

    public static int ParseSize(string text)
    {
        var t = text.Trim();
        long multiplier = 1;
        if (t.EndsWith('K') || t.EndsWith('k')) { multiplier = 1024; t = t[..^1]; }
        else if (t.EndsWith('M') || t.EndsWith('m')) { multiplier = 1024 * 1024; t = t[..^1]; }
        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0 || n * multiplier > 1L << 30)
            throw new UsageException($"--ringbuf-size '{text}' is not a size between one page and 1G (bytes, or with K/M suffix)");
        var bytes = n * multiplier;
        if (bytes < Environment.SystemPageSize || (bytes & (bytes - 1)) != 0)
            throw new UsageException($"--ringbuf-size {bytes} must be a power of two of at least {Environment.SystemPageSize} bytes");
        return (int)bytes;
    }

    private static HashSet<EventType>? ParseEvents(string[] values)
    {
        var names = values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (names.Count == 0) return null;
        var set = new HashSet<EventType>();
        foreach (var n in names)
        {
            if (!EventLayout.TryParseName(n, out var t))
                throw new UsageException($"unknown event type '{n}' (known: {string.Join(",", Enum.GetValues<EventType>().Select(EventLayout.Name))})");
            set.Add(t);
        }
        return set;
    }
}
