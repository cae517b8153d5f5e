using System.Diagnostics;

namespace ZeroDrift.TestSupport;

/// <summary>
/// A throwaway PostgreSQL cluster from Debian's binaries: initdb into a temporary folder, started on 127.0.0.1 and
/// a free port, trust authentication for one superuser, fsync off; stopped and removed on dispose. PostgreSQL
/// refuses to run as root, so as root the cluster runs as the <c>postgres</c> system user (setpriv).
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string User = "zerodrift";

    private readonly string _bin;
    private readonly TempDir _dir;
    private bool _stopped;

    public int Port { get; }
    private string DataDir => _dir.Combine("data");

    private PostgresServer(string bin, TempDir dir, int port)
    {
        _bin = bin;
        _dir = dir;
        Port = port;
    }

    public static string? FindBinaries() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending(StringComparer.Ordinal).FirstOrDefault()
            : null;

    public static async Task<PostgresServer> StartAsync()
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException("PostgreSQL is not installed (apt-get install postgresql): no /usr/lib/postgresql/*/bin/initdb");
        var dir = new TempDir();
        var server = new PostgresServer(bin, dir, RegistryServer.FreePort());
        try
        {
            if (Environment.UserName == "root" && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
                await RunAsync("/usr/bin/chown", ["postgres:postgres", dir.Path], asPostgres: false).ConfigureAwait(false);
            }
            await server.RunToolAsync("initdb", ["-D", server.DataDir, "-U", User, "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"]).ConfigureAwait(false);
            await server.RunToolAsync("pg_ctl", ["-D", server.DataDir, "-l", dir.Combine("server.log"), "-w", "-t", "60",
                "-o", $"-p {server.Port} -k {dir.Path} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start"]).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return server;
    }

    /// <summary>A fresh, empty database in this cluster; returns its Npgsql connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string? name = null)
    {
        name ??= "t" + Guid.NewGuid().ToString("N")[..16];
        await RunToolAsync("createdb", ["-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", User, name]).ConfigureAwait(false);
        return ConnectionString(name);
    }

    public string ConnectionString(string database) => $"Host=127.0.0.1;Port={Port};Username={User};Database={database};Pooling=true;Maximum Pool Size=50";

    private Task RunToolAsync(string tool, string[] args) => RunAsync(Path.Combine(_bin, tool), args, asPostgres: Environment.UserName == "root");

    private static async Task RunAsync(string file, string[] args, bool asPostgres)
    {
        var start = new ProcessStartInfo(asPostgres ? "/usr/bin/setpriv" : file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (asPostgres)
        {
            foreach (var a in new[] { "--reuid=postgres", "--regid=postgres", "--init-groups", "--", file }) start.ArgumentList.Add(a);
        }
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        // pg_ctl leaves the server holding our pipes; read only until the tool itself exits.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} failed ({process.ExitCode}): {await stderr.ConfigureAwait(false)} {await stdout.ConfigureAwait(false)}");
    }

    /// <summary>Stops the postmaster at once (mode immediate): the test data is thrown away anyway.</summary>
    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        try { await RunToolAsync("pg_ctl", ["-D", DataDir, "-m", "immediate", "-w", "stop"]).ConfigureAwait(false); }
        catch (InvalidOperationException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _dir.Dispose();
    }
}
