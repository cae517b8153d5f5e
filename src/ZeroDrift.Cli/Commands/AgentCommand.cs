using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ZeroDrift.Sensor;
using ZeroDrift.Sensor.Attribution;
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
        var output = new Option<string>("--output", "-o") { Description = "Event format: json (JSON lines; the default)", DefaultValueFactory = _ => "json" };
        var outputFile = new Option<FileInfo?>("--output-file", "-f") { Description = "Write events to this file instead of standard output" };
        var ringSize = new Option<string>("--ringbuf-size") { Description = "Ring buffer size (bytes, or with K/M suffix; a power of two; default 16M)", DefaultValueFactory = _ => "16M" };
        var duration = new Option<double?>("--duration") { Description = "Stop after this many seconds (default: until SIGTERM or Ctrl-C)" };
        var events = new Option<string[]>("--events") { Description = "Event types to stream, comma-separated: exec,exit,open,connect,accept,bind,listen,dns,syscall (default all)", AllowMultipleArgumentsPerToken = true };
        var sensitive = new Option<string[]>("--sensitive-path") { Description = "Path prefix whose opens are reported even read-only (repeatable; replaces the default list)", AllowMultipleArgumentsPerToken = false };
        var statsInterval = new Option<double>("--stats-interval") { Description = "Seconds between stats lines (received, lost, latency; default 10)", DefaultValueFactory = _ => 10 };
        var statusFile = new Option<FileInfo>("--status-file") { Description = $"Where the running agent writes its status every 2 s, for `zerodrift agent status` (default {StatusFile.DefaultPath})", DefaultValueFactory = _ => new FileInfo(StatusFile.DefaultPath) };

        var command = new Command("agent", "Run the eBPF sensor: process, file, network, DNS and syscall events attributed to containers");
        foreach (var o in new Option[] { check, output, outputFile, ringSize, duration, events, sensitive, statsInterval, statusFile })
            command.Options.Add(o);
        command.Subcommands.Add(CreateStatus());
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var format = parse.GetValue(output)!;
            if (!string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
                throw new UsageException($"unknown output format '{format}' (known: json)");
            if (parse.GetValue(check))
                return RunCheck(parse.GetValue(outputFile));
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
            await RunAgentAsync(options, parse.GetValue(outputFile), new StatusFile(parse.GetValue(statusFile)!.FullName), seconds, TimeSpan.FromSeconds(interval), parse.GetValue(GlobalOptions.Quiet), token).ConfigureAwait(false);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static async Task RunAgentAsync(SensorOptions options, FileInfo? file, StatusFile status, double? seconds, TimeSpan statsInterval, bool quiet, CancellationToken token)
    {
        KernelSensor.EnsureSupported();
        options.Validate();
        await using var stream = file is null ? Console.OpenStandardOutput() : new FileStream(file.FullName, FileMode.Create, FileAccess.Write, FileShare.Read);
        var processes = new ProcessTable();
        processes.SeedFromProc();
        var attributor = new Attributor(new CgroupPaths(), new ContainerMetadata());
        using var writer = new JsonEventWriter(stream, attributor, processes) { StatsInterval = statsInterval, Status = status };
        var sensor = KernelSensor.Start(options, writer);
        writer.Sensor = sensor;
        try
        {
            if (!quiet)
                Console.Error.WriteLine($"zerodrift: agent: {sensor.AttachedPrograms.Count} programs attached, ring buffer {options.RingBufferBytes / 1024} KiB, {processes.Count} processes known; syscall results: {sensor.SyscallExitHook}; status in {status.Path}");
            try
            {
                await Task.Delay(seconds is { } s ? TimeSpan.FromSeconds(s) : Timeout.InfiniteTimeSpan, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM or Ctrl-C: a normal stop, everything is detached below.
            }
        }
        finally
        {
            // Detach first (the polling thread stops), then the last lines are written from this thread alone.
            var syscalls = sensor.ReadSyscallSets();
            var lost = sensor.ReadLost();
            sensor.Dispose();
            writer.Flush(); // the event lines the output thread still holds go first
            WriteSyscallSets(stream, syscalls, attributor);
            writer.WriteStats(lost);
            writer.Flush();
            writer.WriteStatus("stopped", lost: lost);
        }
        if (!quiet)
            Console.Error.WriteLine($"zerodrift: agent: detached, {writer.Written} events written"
                + (sensor.Malformed > 0 ? $", {sensor.Malformed} records rejected (last: {sensor.LastMalformed})" : "")
                + (writer.OutputError is { } error ? $"; writing the events failed: {error}" : ""));
    }

    /// <summary><c>zerodrift agent status</c>: what the running agent has attached, receives, loses and knows.</summary>
    private static Command CreateStatus()
    {
        var statusFile = new Option<FileInfo>("--status-file") { Description = $"The running agent's status file (default {StatusFile.DefaultPath})", DefaultValueFactory = _ => new FileInfo(StatusFile.DefaultPath) };
        var output = new Option<string>("--output", "-o") { Description = "table (default) or json", DefaultValueFactory = _ => "table" };
        var command = new Command("status", "Show the running agent: programs attached, events per second, drops per type, ring-buffer use, containers known");
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

    /// <summary>One <c>syscalls</c> line per cgroup seen: the syscall numbers its processes used (seccomp material).</summary>
    private static void WriteSyscallSets(Stream stream, IReadOnlyDictionary<ulong, int[]> sets, Attributor attributor)
    {
        using var json = new Utf8JsonWriter(stream);
        foreach (var (cgroup, numbers) in sets)
        {
            json.Reset(stream);
            json.WriteStartObject();
            json.WriteNumber("v", EventLayout.Version);
            json.WriteString("type", "syscalls");
            json.WriteString("time", DateTime.UtcNow);
            json.WriteNumber("cgroupId", cgroup);
            var c = attributor.Resolve(cgroup, 0);
            if (c is null) json.WriteNull("container");
            else if (c.IsHost) json.WriteString("container", "host");
            else json.WriteString("containerId", c.Id);
            json.WriteString("arch", "x86_64");
            json.WriteStartArray("syscalls");
            foreach (var n in numbers) json.WriteNumberValue(n);
            json.WriteEndArray();
            json.WriteEndObject();
            json.Flush();
            stream.WriteByte((byte)'\n');
        }
        stream.Flush();
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
