using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using ZeroDrift.Agent;
using ZeroDrift.Cli.Output;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Sensor;
using ZeroDrift.Sensor.Enforcement;
using ZeroDrift.Server.Auth;
using ZeroDrift.Server.Client;
using ZeroDrift.Server.Hosting;
using ZeroDrift.Server.Storage;
using ZeroDrift.Vulnerabilities.Database;

namespace ZeroDrift.Cli.Commands;

/// <summary>
/// <c>zerodrift up</c>: the whole platform on one machine, on the embedded SQLite default (docs/quickstart.md).
/// It composes what <c>zerodrift server</c>, <c>zerodrift db import</c> and <c>zerodrift agent --server</c> run,
/// in one process, with one data directory, until Ctrl-C or SIGTERM.
/// </summary>
public static class UpCommand
{
    private const string Creator = "zerodrift up";

    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = $"Address to serve the API and console on: https://HOST:PORT, or HOST:PORT (default {ServerOptions.DefaultListen})", DefaultValueFactory = _ => ServerOptions.DefaultListen };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Where everything is kept: server.db, tls/, profiles.db, vulnerabilities.db (default: the server's, $XDG_DATA_HOME/zerodrift/server)" };
        var osv = new Option<DirectoryInfo?>("--osv") { Description = "OSV export folder (<Ecosystem>/all.zip) to import as the vulnerability database when DATA has none yet" };
        var mode = new Option<string>("--mode") { Description = "Mode of a workload that has no profile yet: learn (default), monitor or protect", DefaultValueFactory = _ => "learn" };
        var noAgent = new Option<bool>("--no-agent") { Description = "Run the server only, even as root" };
        var pins = new Option<string>("--pin-root") { Description = $"bpffs directory for the agent's kernel enforcement (default {KernelEnforcer.DefaultPinRoot})", DefaultValueFactory = _ => KernelEnforcer.DefaultPinRoot };
        var command = new Command("up", "Start the whole platform on this machine: the server and console on SQLite, the vulnerability database, and (as root) the agent");
        foreach (var o in new Option[] { listen, data, osv, mode, noAgent, pins }) command.Options.Add(o);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, token => RunAsync(new UpSettings(
            Listen: parse.GetValue(listen)!,
            DataDirectory: StoreFactory.DataDirectory(parse.GetValue(data)?.FullName),
            Osv: parse.GetValue(osv),
            Mode: AgentCommand.ParseMode(parse.GetValue(mode)!, "--mode"),
            Agent: !parse.GetValue(noAgent),
            PinRoot: parse.GetValue(pins)!,
            Quiet: parse.GetValue(GlobalOptions.Quiet)), token), ct));
        return command;
    }

    private sealed record UpSettings(string Listen, string DataDirectory, DirectoryInfo? Osv, ProfileMode Mode, bool Agent, string PinRoot, bool Quiet)
    {
        /// <summary>A progress line on stderr (stdout stays empty); --quiet drops it.</summary>
        public void Say(string line)
        {
            if (!Quiet) Console.Error.WriteLine(line);
        }
    }

    private static async Task<int> RunAsync(UpSettings settings, CancellationToken token)
    {
        // Everything a user can get wrong is checked before anything is created, so a refused start leaves nothing.
        var listen = ParseListen(settings.Listen);
        if (settings.Osv is { Exists: false } missing) throw new UsageException($"--osv {missing.FullName}: no such folder");
        EnsurePortFree(listen);
        EnsureWritable(settings.DataDirectory);

        // The first admin's password: the operator's, else a random one this start prints once. The server keeps
        // its PBKDF2 hash only, and ignores it when an admin already exists (a second start reuses the first's).
        var fromEnvironment = Environment.GetEnvironmentVariable("ZERODRIFT_ADMIN_PASSWORD") is { Length: > 0 } p ? p : null;
        var password = fromEnvironment ?? NewPassword();
        var options = new ServerOptions(Listen: listen.ToString().TrimEnd('/'), DataDirectory: settings.DataDirectory, AdminPassword: password);
        ZeroDriftServer server;
        try
        {
            server = await ZeroDriftServer.StartAsync(options, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ServerConfigurationException or StoreException)
        {
            throw new UsageException(e.Message);
        }
        await using (server.ConfigureAwait(false))
        {
            var console = server.Addresses.FirstOrDefault() ?? listen;
            settings.Say($"zerodrift: up: server ({server.Store.Kind}) listening on {console}; console at {console} (user {options.AdminName})");
            if (server.AdminCreated && fromEnvironment is null)
                // Printed even with --quiet: it is shown this once and nowhere else.
                Console.Error.WriteLine($"zerodrift: up: first start: the {options.AdminName} password is {password} (shown this once; only its hash is stored; set ZERODRIFT_ADMIN_PASSWORD to choose it)");
            else if (server.AdminCreated)
                settings.Say($"zerodrift: up: first start: user {options.AdminName} created with ZERODRIFT_ADMIN_PASSWORD");
            else
                settings.Say($"zerodrift: up: log in as an existing admin (the password printed at the first start, or the ZERODRIFT_ADMIN_PASSWORD it was given)");
            settings.Say($"zerodrift: up: data in {settings.DataDirectory} (server.db, tls/, profiles.db, vulnerabilities.db)"
                + (server.GeneratedCertificate is { } certificate ? $"; self-signed certificate {certificate}: clients pin it with --server-ca" : ""));

            VulnerabilityDatabaseStep(settings, token);
            var agent = settings.Agent ? await StartAgentAsync(settings, server, listen, token).ConfigureAwait(false) : null;
            if (!settings.Agent) settings.Say("zerodrift: up: agent: not started (--no-agent); the server runs alone");
            settings.Say($"zerodrift: up: running (pid {Environment.ProcessId}); Ctrl-C or SIGTERM stops everything");
            try
            {
                await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                settings.Say("zerodrift: up: stopping");
            }
            // The agent first: it detaches its programs and flushes what it holds to the server, which is still up.
            if (agent is not null) await agent.StopAsync(server.Store).ConfigureAwait(false);
        }
        settings.Say("zerodrift: up: stopped");
        return ExitCodes.Ok;
    }

    /// <summary>https://HOST:PORT as <c>zerodrift server</c> takes it; a bare HOST:PORT means https.</summary>
    private static Uri ParseListen(string text)
    {
        var candidate = text.Contains("://", StringComparison.Ordinal) ? text : "https://" + text;
        try
        {
            var uri = ZeroDriftServer.ParseListen(candidate);
            // The server decides the host forms it can bind; checked here so nothing is created for a bad address.
            if (uri.Host is not ("localhost" or "0.0.0.0" or "*" or "+") && !IPAddress.TryParse(uri.Host.Trim('[', ']'), out _))
                throw new ServerConfigurationException($"--listen {text}: use an IP address, localhost or 0.0.0.0");
            return uri;
        }
        catch (ServerConfigurationException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>The data directory exists (owner-only, as the server makes it) and this user can write in it.</summary>
    private static void EnsureWritable(string directory)
    {
        try
        {
            if (!Directory.Exists(directory))
            {
                if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
                else Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            var probe = Path.Combine(directory, $".write-test-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--data {directory}: not a writable directory ({e.Message})");
        }
    }

    /// <summary>
    /// Binds the address a moment, as Kestrel will (SO_REUSEADDR), so a port in use is refused before the first
    /// start creates an admin whose generated password would then never be shown.
    /// </summary>
    private static void EnsurePortFree(Uri listen)
    {
        IPAddress[] addresses = listen.Host switch
        {
            "localhost" => [IPAddress.Loopback, IPAddress.IPv6Loopback],
            "0.0.0.0" or "*" or "+" => [IPAddress.Any],
            var host => [IPAddress.Parse(host.Trim('[', ']'))],
        };
        foreach (var address in addresses)
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            try
            {
                socket.Bind(new IPEndPoint(address, listen.Port));
            }
            catch (SocketException e) when (address.Equals(IPAddress.IPv6Loopback) && e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported)
            {
                // No IPv6 on this machine: Kestrel skips ::1 too.
            }
            catch (SocketException e)
            {
                var why = e.SocketErrorCode == SocketError.AddressAlreadyInUse ? "the port is in use (another zerodrift up or server?)" : e.Message;
                throw new UsageException($"cannot listen on {listen.Scheme}://{listen.Authority}: {why}");
            }
        }
    }

    private static string NewPassword() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');

    /// <summary>DATA/vulnerabilities.db: imported from --osv when it does not exist yet (never downloaded).</summary>
    private static void VulnerabilityDatabaseStep(UpSettings settings, CancellationToken token)
    {
        var path = Path.Combine(settings.DataDirectory, DatabaseLocation.FileName);
        if (File.Exists(path))
        {
            settings.Say($"zerodrift: up: vulnerability database {path}"
                + (settings.Osv is not null ? $" already exists: --osv ignored (refresh with zerodrift db import --db {path} FOLDER)" : "")
                + $"; scan with: zerodrift scan TARGET --db {path} --server URL --server-ca CERT");
            return;
        }
        if (settings.Osv is not { } folder)
        {
            settings.Say($"zerodrift: up: no vulnerability database yet: start with --osv FOLDER (an OSV export, <Ecosystem>/all.zip) or run zerodrift db import --db {path} FOLDER");
            return;
        }
        settings.Say($"zerodrift: up: importing {folder.FullName} into {path}");
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var database = VulnerabilityDatabase.Open(path, create: true);
        var result = database.Import(OsvSourceReader.Read(folder.FullName, Terminal.Warn), Terminal.Warn, token);
        settings.Say(string.Create(CultureInfo.InvariantCulture, $"zerodrift: up: vulnerability database {path}: {result.Added} advisories in {started.Elapsed.TotalSeconds:0.0}s"));
    }

    /// <summary>
    /// The agent, in this process, on the same path as <c>zerodrift agent --server</c>: a fresh agent token named
    /// after the host (an agent is its token's name), the server's own certificate pinned. Without root, or on a
    /// kernel the sensor cannot use, one line says so and the server runs alone.
    /// </summary>
    private static async Task<RunningAgent?> StartAgentAsync(UpSettings settings, ZeroDriftServer server, Uri listen, CancellationToken token)
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            settings.Say("zerodrift: up: agent: not started: the eBPF agent needs root (sudo zerodrift up); the server runs alone");
            return null;
        }
        try
        {
            KernelSensor.EnsureSupported();
        }
        catch (SensorException e)
        {
            settings.Say($"zerodrift: up: agent: not started: {e.Message}; the server runs alone");
            return null;
        }

        var agentOptions = new AgentOptions { DefaultMode = settings.Mode };
        var name = agentOptions.Hostname;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        // A previous `up` killed before it could revoke its token leaves it active: nobody holds it any more.
        foreach (var stale in (await server.Store.ListTokensAsync(token).ConfigureAwait(false)).Where(t => t.CreatedBy == Creator && t.Name == name && t.RevokedAt is null))
            await server.Store.RevokeTokenAsync(stale.Id, now, token).ConfigureAwait(false);
        var secret = Server.Auth.Secrets.NewToken();
        var tokenId = await server.Store.CreateTokenAsync(name, Server.Auth.Secrets.Digest(secret), Roles.Agent, Creator, now, token).ConfigureAwait(false);
        await server.Store.AuditAsync(Creator, "token.create", name, $"role agent, id {tokenId}, for the agent of this `zerodrift up`", now, token).ConfigureAwait(false);

        // The agent dials the server where it listens; an any-address listener is reached on loopback.
        var host = listen.Host is "0.0.0.0" or "*" or "+" ? "127.0.0.1" : listen.Host;
        var url = $"{listen.Scheme}://{(host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host)}:{listen.Port}";
        var connection = ServerConnection.Parse(url, secret, server.GeneratedCertificate);
        var agentSettings = new AgentSettings(
            EventStream: false,
            OutputFile: null,
            StatsInterval: TimeSpan.FromSeconds(10),
            Agent: agentOptions,
            Alerts: [],
            RuleFiles: [],
            DefaultRules: true,
            Enforcement: "auto",
            EnforcementPins: settings.PinRoot,
            ProfilesPath: Path.Combine(settings.DataDirectory, "profiles.db"),
            Server: connection);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        var run = Task.Run(async () =>
        {
            try
            {
                await AgentRunner.RunAsync(new SensorOptions(), agentSettings, null,
                    settings.Quiet ? Microsoft.Extensions.Logging.LogLevel.Warning : Microsoft.Extensions.Logging.LogLevel.Information, stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The platform is still useful without runtime protection: say why, and keep the server.
                Console.Error.WriteLine($"zerodrift: up: agent: stopped: {e.Message}; the server runs alone");
            }
        }, CancellationToken.None);
        settings.Say($"zerodrift: up: agent: starting as {name} in {settings.Mode.ToString().ToLowerInvariant()} mode, reporting to {url} with its own agent token");
        return new RunningAgent(run, stop, tokenId, name);
    }

    private sealed class RunningAgent(Task run, CancellationTokenSource stop, long tokenId, string name)
    {
        /// <summary>Detaches the agent (its own finally flushes the uplink), then revokes the token it used.</summary>
        public async Task StopAsync(IServerStore store)
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await run.ConfigureAwait(false);
            stop.Dispose();
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await store.RevokeTokenAsync(tokenId, now, CancellationToken.None).ConfigureAwait(false);
            await store.AuditAsync(Creator, "token.revoke", name, $"id {tokenId}: the agent of this `zerodrift up` stopped", now, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
