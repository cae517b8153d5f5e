using System.Net;
using System.Net.Sockets;
using System.Text;

using static ZeroDrift.Agent.Tests.AgentScenario;

namespace ZeroDrift.Agent.Tests;

/// <summary>The outcome of one piece of a server's own work (a health check, a request, a background job).</summary>
internal sealed record WorkResult(string Server, string Phase, string Step, bool Ok, string Detail);

/// <summary>
/// nginx, redis-server and PostgreSQL 15 from Debian's packages, in images built the way their official images are
/// (a shell entrypoint that prepares the container, steps down to the service's user where the official one does, and
/// <c>exec</c>s the server), each with the work a user of it does: health checks through <c>podman exec</c>, requests,
/// and the background jobs that make the server write new files (saves, checkpoints, log reopening).
/// </summary>
internal abstract class RealServer(string suffix)
{
    public abstract string Kind { get; }

    /// <summary>Unique per test run: parallel tests never share an image.</summary>
    public string Repository => $"localhost/zdl-{Kind}-{suffix}";

    /// <summary>The workload a container of this image started without <c>--name</c> belongs to: the image's name.</summary>
    public string Workload => $"zdl-{Kind}-{suffix}";

    public abstract HostPackageImage Image();

    /// <summary>Waits until the server answers its health check (after a start or restart).</summary>
    public void WaitReady(string container, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        WorkResult last;
        do
        {
            last = Ready(container);
            if (last.Ok) return;
            Thread.Sleep(500);
        }
        while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"{Kind} did not become ready in {seconds} s: {last.Detail}\n{Run("podman", ["logs", "--tail", "30", container]).Stderr}");
    }

    public abstract WorkResult HealthCheck(string container, string phase);

    /// <summary>The server that will go on serving answers (not a set-up stage of the entrypoint).</summary>
    protected virtual WorkResult Ready(string container) => HealthCheck(container, "ready");

    /// <summary>Round <paramref name="n"/> of the server's work; each step says whether it did what it does without the agent.</summary>
    public abstract IEnumerable<WorkResult> Round(string container, string phase, int n);

    /// <summary>A connect to <paramref name="address"/>:<paramref name="port"/> (a port never learned), by the server's own client where it has one.</summary>
    public abstract (int ExitCode, string Output) ConnectAttack(string container, string address, int port);

    protected WorkResult Exec(string container, string phase, string step, string expect, params string[] command) =>
        Exec(container, phase, step, [expect], command);

    /// <summary>A command run in the container with <c>podman exec</c>: it succeeds when it exits 0 saying one of <paramref name="expect"/>.</summary>
    protected WorkResult Exec(string container, string phase, string step, string[] expect, params string[] command)
    {
        var r = Run("podman", ["exec", container, .. command]);
        var ok = r.ExitCode == 0 && expect.Any(e => r.Stdout.Contains(e, StringComparison.Ordinal));
        return new WorkResult(Kind, phase, step, ok, ok ? "" : $"exit {r.ExitCode}: {Tail(r.Stdout)} {Tail(r.Stderr)}");
    }

    protected static string Tail(string text) => text.Length <= 300 ? text.Trim() : "…" + text[^300..].Trim();

    public static string Ip(string container) => Podman("inspect", container, "--format", "{{.NetworkSettings.IPAddress}}").Trim();

    /// <summary>The podman bridge's address on this machine, as a container sees it.</summary>
    public static string Gateway(string container) => Podman("inspect", container, "--format", "{{.NetworkSettings.Gateway}}").Trim();
}

internal sealed class RedisServer(string suffix) : RealServer(suffix)
{
    public override string Kind => "redis";

    // As redis's official entrypoint: the data directory handed to the redis user, then the same script as that user
    // (setpriv, from util-linux, where the official image has gosu), a tighter umask, exec.
    private const string Entrypoint = """
        #!/bin/sh
        set -e
        if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
        	set -- redis-server "$@"
        fi
        if [ "$1" = 'redis-server' ] && [ "$(id -u)" = '0' ]; then
        	find . \! -user redis -exec chown redis '{}' +
        	exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
        fi
        um="$(umask)"
        if [ "$um" = '0022' ]; then
        	umask 0077
        fi
        exec "$@"

        """;

    public override HostPackageImage Image() => new HostPackageImage { Repository = Repository, Packages = ["redis-server"], Users = ["redis"] }
        .File("/usr/local/bin/docker-entrypoint.sh", Entrypoint, 0b111_101_101)
        .Directory("/data", 0b111_101_101, "redis")
        .Change("WORKDIR /data")
        .Change("ENTRYPOINT [\"docker-entrypoint.sh\"]")
        // Saves after 5 s with a change, and the append-only file: both write files named after the forked child's pid.
        .Change("CMD [\"redis-server\", \"--appendonly\", \"yes\", \"--save\", \"5 1\"]");

    public override WorkResult HealthCheck(string container, string phase) => Exec(container, phase, "redis-cli ping", "PONG", "redis-cli", "ping");

    public override IEnumerable<WorkResult> Round(string container, string phase, int n)
    {
        yield return HealthCheck(container, phase);
        yield return Exec(container, phase, "redis-cli incr", "", "redis-cli", "incr", "rounds");
        yield return Exec(container, phase, "redis-cli set", "OK", "redis-cli", "set", $"key:{n % 7}", new string('x', 100 + n));
        // The configured save (5 s after a change) may be running already: redis says so, and that is its answer too.
        yield return Exec(container, phase, "redis-cli bgsave", ["Background saving started", "Background save already in progress"], "redis-cli", "bgsave");
        Thread.Sleep(700); // the save's child writes temp-<pid>.rdb and renames it
        if (n % 2 == 1) yield return Exec(container, phase, "redis-cli bgrewriteaof", "rewriting", "redis-cli", "bgrewriteaof");
    }

    public override (int ExitCode, string Output) ConnectAttack(string container, string address, int port)
    {
        var r = Run("podman", ["exec", container, "redis-cli", "-h", address, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "ping"]);
        return (r.ExitCode, r.Stdout + r.Stderr);
    }
}

internal sealed class PostgresImageServer(string suffix) : RealServer(suffix)
{
    public override string Kind => "postgres";

    // As postgres's official entrypoint: directories as root, then the script again as postgres; initdb once (a new
    // data directory), a temporary server for the first set-up, then exec postgres.
    private const string Entrypoint = """
        #!/usr/bin/env bash
        set -Eeo pipefail
        if [ "$(id -u)" = '0' ]; then
        	mkdir -p "$PGDATA" /var/run/postgresql
        	chmod 00700 "$PGDATA"
        	chmod 03775 /var/run/postgresql
        	find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
        	exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
        fi
        if [ ! -s "$PGDATA/PG_VERSION" ]; then
        	initdb --username=postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA"
        	printf 'host all all all trust\n' >> "$PGDATA/pg_hba.conf"
        	pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
        	psql -v ON_ERROR_STOP=1 --username postgres --no-psqlrc -c 'CREATE DATABASE app'
        	psql -v ON_ERROR_STOP=1 --username postgres --no-psqlrc -d app -c 'CREATE TABLE items (id int PRIMARY KEY, body text)'
        	pg_ctl -D "$PGDATA" -m fast -w stop
        fi
        exec "$@"

        """;

    public override HostPackageImage Image() => new HostPackageImage { Repository = Repository, Packages = ["postgresql-15"], Users = ["postgres"] }
        .File("/usr/local/bin/docker-entrypoint.sh", Entrypoint, 0b111_101_101)
        .Directory("/var/lib/postgresql", 0b111_101_101, "postgres")
        .Directory("/var/run/postgresql", 0b1_111_111_101, "postgres")
        .Change("ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/postgresql/15/bin")
        .Change("ENV PGDATA=/var/lib/postgresql/data")
        .Change("ENTRYPOINT [\"docker-entrypoint.sh\"]")
        .Change("STOPSIGNAL SIGINT")
        // Autovacuum looks every 2 s, a timed checkpoint every 30 s: the background work happens within the test's minutes.
        .Change("CMD [\"postgres\", \"-c\", \"autovacuum_naptime=2s\", \"-c\", \"checkpoint_timeout=30s\", \"-c\", \"log_temp_files=0\"]");

    public override WorkResult HealthCheck(string container, string phase) =>
        Exec(container, phase, "psql select 1", "1 row", "psql", "-U", "postgres", "--no-psqlrc", "-c", "select 1");

    // The entrypoint's temporary set-up server answers on the same socket, with no TCP listener: the real one listens on localhost.
    protected override WorkResult Ready(string container) =>
        Exec(container, "ready", "psql show listen_addresses", "localhost", "psql", "-U", "postgres", "--no-psqlrc", "-tAc", "show listen_addresses");

    public override IEnumerable<WorkResult> Round(string container, string phase, int n)
    {
        yield return HealthCheck(container, phase);
        // Rows inserted and most of them deleted: dead tuples for autovacuum to clean.
        yield return Exec(container, phase, "psql insert/delete", "DELETE", "psql", "-U", "postgres", "--no-psqlrc", "-d", "app", "-c",
            "INSERT INTO items SELECT m + g, md5(g::text) FROM (SELECT coalesce(max(id), 0) AS m FROM items) s, generate_series(1, 1000) g; DELETE FROM items WHERE id % 3 <> 0");
        // A sort larger than work_mem spills to base/pgsql_tmp/pgsql_tmp<pid>.<n>.
        yield return Exec(container, phase, "psql sort to disk", "1 row", "psql", "-U", "postgres", "--no-psqlrc", "-d", "app", "-c",
            "SET work_mem = '64kB'; SELECT count(*) FROM (SELECT md5(g::text) AS h FROM generate_series(1, 20000) g ORDER BY 1) s");
        yield return Exec(container, phase, "psql checkpoint", "CHECKPOINT", "psql", "-U", "postgres", "--no-psqlrc", "-c", "CHECKPOINT");
    }

    public override (int ExitCode, string Output) ConnectAttack(string container, string address, int port)
    {
        var r = Run("podman", ["exec", container, "psql", "-h", address, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres", "--no-psqlrc", "-c", "select 1"]);
        return (r.ExitCode, r.Stdout + r.Stderr);
    }
}

internal sealed class NginxServer(string suffix) : RealServer(suffix)
{
    public override string Kind => "nginx";

    // As nginx's official entrypoint: the scripts in /docker-entrypoint.d/ (one renders the site from a template), then exec.
    private const string Entrypoint = """
        #!/bin/sh
        set -e
        if [ "$1" = "nginx" ]; then
        	if find /docker-entrypoint.d/ -mindepth 1 -maxdepth 1 -type f -print -quit 2>/dev/null | read v; then
        		echo "$0: configuring from /docker-entrypoint.d/"
        		find /docker-entrypoint.d/ -follow -type f -print | sort -V | while read -r f; do
        			case "$f" in
        				*.sh) if [ -x "$f" ]; then echo "$0: launching $f"; "$f"; fi ;;
        				*) echo "$0: ignoring $f" ;;
        			esac
        		done
        	fi
        fi
        exec "$@"

        """;

    private const string Templates = """
        #!/bin/sh
        set -e
        for template in /etc/nginx/templates/*.template; do
        	output="/etc/nginx/conf.d/$(basename "$template" .template)"
        	sed -e "s|\${NGINX_PORT}|${NGINX_PORT:-80}|g" "$template" > "$output"
        done

        """;

    private const string Config = """
        user www-data;
        worker_processes 2;
        pid /run/nginx.pid;
        error_log /var/log/nginx/error.log;
        events { worker_connections 256; }
        http {
        	include /etc/nginx/mime.types;
        	access_log /var/log/nginx/access.log;
        	include /etc/nginx/conf.d/*.conf;
        }

        """;

    private const string Site = """
        server {
        	listen ${NGINX_PORT};
        	root /usr/share/nginx/html;
        	location /uploads/ {
        		root /srv;
        		dav_methods PUT DELETE;
        		create_full_put_path on;
        		client_body_buffer_size 1k;
        	}
        }

        """;

    public override HostPackageImage Image() => new HostPackageImage { Repository = Repository, Packages = ["nginx"], Users = ["www-data"] }
        .File("/usr/local/bin/docker-entrypoint.sh", Entrypoint, 0b111_101_101)
        .File("/docker-entrypoint.d/20-envsubst-on-templates.sh", Templates, 0b111_101_101)
        .File("/etc/nginx/nginx.conf", Config)
        .File("/etc/nginx/templates/default.conf.template", Site)
        .Directory("/srv/uploads", 0b111_101_101, "www-data")
        .Change("ENTRYPOINT [\"docker-entrypoint.sh\"]")
        .Change("STOPSIGNAL SIGQUIT")
        .Change("CMD [\"nginx\", \"-g\", \"daemon off;\"]");

    public override WorkResult HealthCheck(string container, string phase) => Http(phase, "GET /", HttpMethod.Get, $"http://{Ip(container)}/", null, HttpStatusCode.OK, "Welcome to nginx");

    public override IEnumerable<WorkResult> Round(string container, string phase, int n)
    {
        var ip = Ip(container);
        yield return Http(phase, "GET /", HttpMethod.Get, $"http://{ip}/", null, HttpStatusCode.OK, "Welcome to nginx");
        yield return Http(phase, "GET missing", HttpMethod.Get, $"http://{ip}/missing-{n}.html", null, HttpStatusCode.NotFound, "");
        // An upload larger than the body buffer: nginx writes it to /var/lib/nginx/body/NNNNNNNNNN, then moves it into place.
        yield return Http(phase, "PUT upload", HttpMethod.Put, $"http://{ip}/uploads/report-{n}.txt", new string('u', 8192), HttpStatusCode.Created, "");
        yield return Http(phase, "GET upload", HttpMethod.Get, $"http://{ip}/uploads/report-{n}.txt", null, HttpStatusCode.OK, "uuuu");
        yield return Http(phase, "DELETE upload", HttpMethod.Delete, $"http://{ip}/uploads/report-{n}.txt", null, HttpStatusCode.NoContent, "");
        yield return Exec(container, phase, "nginx -s reopen", "", "nginx", "-s", "reopen");
    }

    public override (int ExitCode, string Output) ConnectAttack(string container, string address, int port)
    {
        // nginx has no client of its own: the image's perl (Debian's Essential perl-base, as in every Debian-based image).
        var r = Run("podman", ["exec", container, "perl", "-MIO::Socket::INET", "-e",
            $"IO::Socket::INET->new(PeerAddr => '{address}', PeerPort => {port}, Timeout => 5) ? print qq(CONNECTED\\n) : die qq(connect: $!\\n)"]);
        return (r.ExitCode, r.Stdout + r.Stderr);
    }

    private WorkResult Http(string phase, string step, HttpMethod method, string url, string? body, HttpStatusCode expected, string expectBody)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : new StringContent(body, Encoding.ASCII) };
            using var response = client.Send(request);
            var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            var ok = response.StatusCode == expected && text.Contains(expectBody, StringComparison.Ordinal);
            return new WorkResult(Kind, phase, step, ok, ok ? "" : $"{(int)response.StatusCode}: {Tail(text)}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new WorkResult(Kind, phase, step, false, e.Message);
        }
    }
}

/// <summary>A TCP listener on the podman bridge's address: whether anything from a container reached it.</summary>
internal sealed class ConnectProbe : IDisposable
{
    private readonly TcpListener _listener;
    private int _accepted;

    public ConnectProbe(string address)
    {
        _listener = new TcpListener(IPAddress.Parse(address), 0);
        _listener.Start();
        _ = AcceptLoop();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Accepted => Volatile.Read(ref _accepted);

    private async Task AcceptLoop()
    {
        try
        {
            while (true)
            {
                using var client = await _listener.AcceptTcpClientAsync().ConfigureAwait(false);
                Interlocked.Increment(ref _accepted);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    public void Dispose() => _listener.Stop();
}
