using System.Globalization;
using Microsoft.Extensions.Logging;
using ZeroDrift.Agent;
using ZeroDrift.Runtime.Alerts;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Response;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Runtime.Rules.Reference;
using ZeroDrift.Sensor;
using ZeroDrift.Sensor.Attribution;
using ZeroDrift.Sensor.Enforcement;
using ZeroDrift.Sensor.Output;
using ZeroDrift.Server.Client;

namespace ZeroDrift.Cli.Commands;

/// <summary>What <c>zerodrift agent</c> was asked to do, validated.</summary>
public sealed record AgentSettings(
    bool EventStream,
    FileInfo? OutputFile,
    TimeSpan StatsInterval,
    AgentOptions Agent,
    IReadOnlyList<string> Alerts,
    IReadOnlyList<string> RuleFiles,
    bool DefaultRules,
    string Enforcement,
    string EnforcementPins,
    string ProfilesPath,
    ServerConnection? Server,
    StatusFile? Status = null,
    AttestedProfileSettings? Attested = null)
{
    /// <summary>Where the running agent's status is written: always, with or without an event stream (default <see cref="StatusFile.DefaultPath"/>).</summary>
    public StatusFile StatusOrDefault => Status ?? new StatusFile(StatusFile.DefaultPath);
}

/// <summary>What <c>--attested-profiles</c> asks: the keys an image's profile attestation must verify with, the mode an
/// imported profile starts in, and registries reached over plain HTTP.</summary>
public sealed record AttestedProfileSettings(IReadOnlyList<ZeroDrift.Supply.Signing.TrustedKey> Keys, ProfileMode Mode, IReadOnlyList<string> InsecureRegistries);

/// <summary>
/// Composes the agent: profile store, rules, alert sinks, optional server uplink, the sensor and the loop; runs
/// until SIGTERM/Ctrl-C or the duration; then detaches and reports the seed's numbers on stderr.
/// </summary>
public static class AgentRunner
{
    public static async Task RunAsync(SensorOptions options, AgentSettings settings, double? seconds, LogLevel logLevel, CancellationToken token)
    {
        KernelSensor.EnsureSupported();
        options.Validate();
        NativeHeap.LimitArenas(2);
        using var heapTrim = NativeHeap.TrimEvery(TimeSpan.FromSeconds(30));
        using var logs = new AgentLoggerProvider(Console.Error, logLevel);
        var log = logs.CreateLogger("zerodrift.agent");

        var rules = LoadRules(settings, log);
        using var store = ProfileStore.Open(settings.ProfilesPath);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var sinks = settings.Alerts.Select(spec => AlertSinkSpec.Open(spec, () => http)).ToList();
        var alerts = new AlertPublisher(sinks);
        AgentChannel? channel = null;
        AgentUplink? uplink = null;
        ServerCommands? commands = null;
        AgentLoop? running = null;
        if (settings.Server is { } server)
        {
            channel = new AgentChannel(server, settings.Agent.Hostname);
            uplink = new AgentUplink(r => channel.TryEnqueue(r), settings.Agent.Hostname);
            // A mode set by the server is in the store: the loop syncs at once rather than at its next tick.
            commands = new ServerCommands(server, settings.ProfilesPath, new Responder(), log, () => running?.Post(new StoreChanged()));
            channel.CommandReceived += commands.OnCommand;
            alerts.Uplink = uplink.Alert;
        }

        Stream? stream = null;
        if (settings.EventStream)
            stream = settings.OutputFile is { } file ? new FileStream(file.FullName, FileMode.Create, FileAccess.Write, FileShare.Read) : Console.OpenStandardOutput();
        await using var streamOwner = stream;
        // One process table for the loop and the event output, both on the sensor's thread.
        var processes = TrackedProcess.Table();
        processes.SeedFromProc();
        var known = processes.Count;
        var attributor = new Attributor(new CgroupPaths(), new ContainerMetadata());
        using var writer = stream is null ? null : new JsonEventWriter(stream, attributor, processes) { StatsInterval = settings.StatsInterval };
        var status = new AgentStatusWriter(settings.StatusOrDefault, attributor, writer);
        var enforcement = OpenEnforcement(settings, log);
        // The registration says how this node enforces Protect; it goes again whenever that changes.
        var registration = channel is null ? null : new HostRegistration(settings.Agent.Hostname, enforcement, channel.TryEnqueue);
        registration?.SendIfChanged(DateTimeOffset.UtcNow);
        var trust = new ImageTrustCache(ImageTrustCache.FromPodman, log);
        using var loop = new AgentLoop(settings.Agent, new AgentParts
        {
            Attributor = attributor,
            Processes = processes,
            Alerts = alerts,
            Enforcement = enforcement,
            Store = store,
            Rules = rules,
            Trust = trust,
            Inner = status,
            GoneSyscalls = writer is null ? null : writer.WriteSyscalls,
            Uplink = uplink,
        }, log);
        running = loop;
        var drift = settings.Agent.DriftPrevention;
        status.Enforcement = () => EnforcementReport.Status(enforcement, loop.KernelBlocks, alerts.Count(AlertAction.Killed), drift);
        // The status is written on the sensor's thread, the loop's: it may read the loop's sizes.
        status.Structures = () => loop.Sizes().ByName();
        var sensor = KernelSensor.Start(options, loop);
        if (writer is not null) writer.Sensor = sensor;
        status.Sensor = sensor;
        loop.AttachSensor(sensor);
        loop.Start();
        using var registry = settings.Attested is null ? null : new ZeroDrift.Artifacts.Registry.RegistryClient(ZeroDrift.Artifacts.Registry.RegistryClientOptions.FromEnvironment(settings.Attested.InsecureRegistries));
        using var importer = settings.Attested is not { } attested || registry is null ? null
            : new AttestedProfileImporter(new ZeroDrift.DynamicTesting.RegistryAttestedProfiles(new ZeroDrift.Supply.Signing.ImageSigning(registry), attested.Keys),
                attested.Mode, settings.ProfilesPath, enforcement, log, () => loop.Post(new StoreChanged()));
        importer?.Start();
        using var registrationTimer = registration is null ? null : new Timer(_ => registration.SendIfChanged(DateTimeOffset.UtcNow), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        using var stopBlocked = new CancellationTokenSource();
        var blocked = enforcement is KernelEnforcement kernel ? ForwardBlocksAsync(kernel.Enforcer, loop, stopBlocked.Token) : Task.CompletedTask;
        try
        {
            log.Note($"{sensor.AttachedPrograms.Count} programs attached, ring buffer {options.RingBufferBytes / 1024} KiB, {known} processes known; syscall results: {sensor.SyscallExitHook}; "
                + $"status in {status.File.Path}; "
                + $"new workloads start in {settings.Agent.DefaultMode.ToString().ToLowerInvariant()}; {rules?.Rules.Count ?? 0} rules; alerts to {string.Join(", ", sinks.Select(s => s.Name).Concat(channel is null ? [] : ["the server"]))}; "
                + $"profiles in {store.Path}; enforcement: {enforcement.Description}; drift prevention: {drift.Describe(enforcement)}"
                + (importer is null ? "" : $"; attested profiles: {importer.Description}"));
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
            // The loop's thread runs the last round (learning saved, the kernel's last syscall sets read, held verdicts
            // settled) while the sensor is still loaded; then detach (the polling thread stops) and write the last
            // lines from this thread alone.
            if (registrationTimer is not null) await registrationTimer.DisposeAsync().ConfigureAwait(false);
            importer?.Dispose(); // before the enforcer closes: it maps images into the kernel
            await loop.StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            status.Structures = null; // the last status is written from this thread, not the loop's
            await stopBlocked.CancelAsync().ConfigureAwait(false);
            await blocked.ConfigureAwait(false);
            var syscalls = sensor.ReadSyscallSets();
            var lost = sensor.ReadLost();
            sensor.Dispose();
            // Kernel enforcement stays pinned while some policy is in Protect or Monitor (or prevents drift), so
            // blocking goes on while the agent restarts; with none, nothing of ours is left behind.
            var idle = enforcement is KernelEnforcement kernelEnforcement && !kernelEnforcement.HoldsEnforcement;
            var lastEnforcement = EnforcementReport.Status(enforcement, loop.KernelBlocks, alerts.Count(AlertAction.Killed), drift);
            status.Enforcement = () => lastEnforcement; // the enforcer is closed below
            loop.Dispose();
            if (idle)
            {
                KernelEnforcer.Release(settings.EnforcementPins);
                log.Note($"no container is protected: kernel enforcement under {settings.EnforcementPins} released");
            }
            if (writer is not null && stream is not null)
            {
                foreach (var (cgroup, numbers) in syscalls) writer.WriteSyscalls(cgroup, numbers);
                writer.WriteStats(lost);
                writer.Flush();
            }
            status.Write("stopped", lost);
            foreach (var sink in sinks) await sink.DisposeAsync().ConfigureAwait(false);
            if (channel is not null)
            {
                await channel.FlushAndStopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                await channel.DisposeAsync().ConfigureAwait(false);
            }
            commands?.Dispose();
        }
        var inv = CultureInfo.InvariantCulture;
        log.Note(string.Create(inv, $"detached, {loop.Events} events, {alerts.Published} alerts ({alerts.Count(AlertAction.Detected)} detected, {alerts.Count(AlertAction.Blocked)} blocked in the kernel, ")
            + string.Create(inv, $"{alerts.Count(AlertAction.Killed)} killed from user space (best effort), {alerts.Count(AlertAction.KillFailed)} kill-failed; the kernel reported {loop.KernelBlocks} blocks), ")
            + string.Create(inv, $"detect latency p50 {alerts.DetectLatencyMs(0.5):0.###} ms, p99 {alerts.DetectLatencyMs(0.99):0.###} ms")
            + (writer is null ? "" : $", {writer.Written} events written")
            + (sensor.Malformed > 0 ? $", {sensor.Malformed} records rejected (last: {sensor.LastMalformed})" : "")
            + $", errors: {loop.Errors}"
            + (writer?.OutputError is { } outputError ? $"; writing the events failed: {outputError}" : ""));
    }

    /// <summary>The kernel enforcer's records of what it refused, read on its own thread, handed to the loop's queue.</summary>
    private static async Task ForwardBlocksAsync(KernelEnforcer enforcer, AgentLoop loop, CancellationToken token)
    {
        try
        {
            await foreach (var b in enforcer.ReadBlockedAsync(token).WithCancellation(token).ConfigureAwait(false))
                loop.Post(new KernelBlocked(b));
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Kernel enforcement where it loads (auto, kernel); the user-space fallback where it cannot (auto only: with
    /// kernel the agent refuses to start) or when asked. The start-up line says which one is active and why.
    /// </summary>
    private static IEnforcement OpenEnforcement(AgentSettings settings, ILogger log)
    {
        if (settings.Enforcement == "user-space") return new UserSpaceEnforcement("asked for with --enforcement user-space");
        try
        {
            var enforcer = KernelEnforcer.Open(settings.EnforcementPins);
            try
            {
                return new KernelEnforcement(enforcer, log, settings.Agent.DriftPrevention);
            }
            catch
            {
                enforcer.Dispose();
                throw;
            }
        }
        catch (SensorException e) when (settings.Enforcement == "auto")
        {
            return new UserSpaceEnforcement($"kernel enforcement could not load: {e.Message}");
        }
    }

    /// <summary>Built-in rules (unless switched off), then each file in order; a file that does not parse is one error line and exit 2.
    /// A rule that needs a field ZeroDrift does not provide is disabled with a warning naming the field.</summary>
    private static RuleEngine<SyscallEvent>? LoadRules(AgentSettings settings, ILogger log)
    {
        if (!settings.DefaultRules && settings.RuleFiles.Count == 0) return null;
        var set = new RuleSet();
        if (settings.DefaultRules) RuleLoader.LoadDefaults(set);
        foreach (var file in settings.RuleFiles)
        {
            if (!File.Exists(file)) throw new UsageException($"--rules {file}: no such file");
            var report = RuleLoader.LoadFile(set, file);
            if (report.Error is { } error) throw new UsageException($"--rules {file}: {error}");
            foreach (var warning in report.Warnings) log.Warn($"{file}: {warning}");
        }
        var engine = AgentCapture.Compile(set);
        foreach (var status in engine.Statuses.Where(s => s.State is RuleState.MissingField or RuleState.Invalid))
            log.Warn($"rule '{status.Name}' ({Path.GetFileName(status.File)}) disabled: {status.Reason}");
        // One summary line; what each rule lacks at debug (what `zerodrift rules check` prints).
        log.Note("rules: " + RuleCoverage.Summary(engine.Statuses));
        foreach (var line in RuleCoverage.Details(engine.Statuses.Where(s => s.State is not (RuleState.MissingField or RuleState.Invalid))))
            log.LogDebug("rule {Line}", line);
        return engine;
    }
}
