using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests;

public class DbCommandTests
{
    private static string Osv => Path.Combine(RepoPaths.SharedData, "osv");

    [Fact]
    public void Import_then_info_reports_ecosystems_and_sources()
    {
        using var dir = new TempDir();
        var db = dir.Combine("v.db");
        var import = ZeroDriftRunner.Run("db", "import", Path.Combine(Osv, "crates.io", "all.zip"), Path.Combine(Osv, "Debian"), "--db", db);
        Assert.True(import.ExitCode == 0, import.Stderr);
        Assert.Matches(@"imported into .* \d+ added, 0 updated, 0 unchanged, 1 invalid", import.Stderr);
        Assert.Contains("ELA-669-1.json: not a valid OSV record", import.Stderr);

        var info = ZeroDriftRunner.Run("db", "info", "--json", "--db", db);
        Assert.Equal(0, info.ExitCode);
        using var json = JsonDocument.Parse(info.Stdout);
        var ecosystems = json.RootElement.GetProperty("ecosystems").EnumerateArray().Select(e => e.GetProperty("ecosystem").GetString()!).ToArray();
        Assert.Equal(["Debian", "crates.io"], ecosystems);
        Assert.Equal(["Debian", "crates.io"], json.RootElement.GetProperty("sources").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToArray());

        var again = ZeroDriftRunner.Run("db", "import", Path.Combine(Osv, "crates.io", "all.zip"), "--db", db);
        Assert.Matches(@"0 added, 0 updated, \d+ unchanged", again.Stderr);
    }

    [Fact]
    public void Info_without_a_database_says_how_to_get_one()
    {
        using var dir = new TempDir();
        var r = ZeroDriftRunner.Run("db", "info", "--db", dir.Combine("missing.db"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("zerodrift db import", r.Stderr);
        Assert.False(File.Exists(dir.Combine("missing.db")));
    }

    [Fact]
    public void An_import_killed_midway_leaves_the_previous_data_and_says_so()
    {
        using var dir = new TempDir();
        var db = dir.Combine("v.db");
        Assert.Equal(0, ZeroDriftRunner.Run("db", "import", Path.Combine(Osv, "crates.io", "all.zip"), "--db", db).ExitCode);
        var before = JsonDocument.Parse(ZeroDriftRunner.Run("db", "info", "--json", "--db", db).Stdout).RootElement.GetProperty("advisories").GetInt32();

        // A large import (every ecosystem here), killed as soon as its marker is in the database: mid-transaction.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "zerodrift.dll"), "db", "import", Osv, "--db", db }) start.ArgumentList.Add(a);
        using (var process = Process.Start(start)!)
        {
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!Marker(db) && !process.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(2);
            Assert.False(process.HasExited, "the import ended before it could be killed mid-way");
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        var info = ZeroDriftRunner.Run("db", "info", "--db", db);
        Assert.Equal(0, info.ExitCode);
        Assert.Contains("did not finish; the database holds the data from before it", info.Stderr);
        var after = JsonDocument.Parse(ZeroDriftRunner.Run("db", "info", "--json", "--db", db).Stdout).RootElement.GetProperty("advisories").GetInt32();
        Assert.Equal(before, after);
    }

    /// <summary>The import's marker, read straight from the database file (a command per look would be too slow to
    /// catch the import mid-way).</summary>
    private static bool Marker(string db)
    {
        if (!File.Exists(db)) return false;
        try
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM meta WHERE key = 'import_started'";
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return false; // busy, or the schema not there yet
        }
    }

    [Fact]
    public async Task Update_fetches_the_export_layout_from_a_url()
    {
        using var dir = new TempDir();
        using var server = new OsvMirror(Osv);
        var db = dir.Combine("v.db");
        var r = await Task.Run(() => ZeroDriftRunner.Run("db", "update", "--source", server.BaseUrl, "--ecosystems", "Go,crates.io,NoSuchEcosystem", "--insecure-skip-verify", "--db", db));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("NoSuchEcosystem/all.zip: not found; NoSuchEcosystem skipped", r.Stderr);
        using var json = JsonDocument.Parse(ZeroDriftRunner.Run("db", "info", "--json", "--db", db).Stdout);
        Assert.Equal(["Go", "crates.io"], json.RootElement.GetProperty("ecosystems").EnumerateArray().Select(e => e.GetProperty("ecosystem").GetString()!).ToArray());
        Assert.Equal(["/Go/all.zip", "/NoSuchEcosystem/all.zip", "/crates.io/all.zip"], server.Requests.Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void Update_from_a_folder_imports_every_ecosystem_in_it()
    {
        using var dir = new TempDir();
        var r = ZeroDriftRunner.Run("db", "update", "--source", Osv, "--insecure-skip-verify", "--db", dir.Combine("v.db"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(ZeroDriftRunner.Run("db", "info", "--json", "--db", dir.Combine("v.db")).Stdout);
        Assert.Equal(["AlmaLinux", "Debian", "Go", "PyPI", "crates.io"], json.RootElement.GetProperty("ecosystems").EnumerateArray().Select(e => e.GetProperty("ecosystem").GetString()!).ToArray());
    }

    [Fact]
    public void A_mirror_must_be_signed_and_a_tampered_export_is_refused()
    {
        using var dir = new TempDir();
        var mirror = Directory.CreateDirectory(Path.Combine(dir.Path, "mirror", "Go")).FullName;
        File.Copy(Path.Combine(Osv, "Go", "all.zip"), Path.Combine(mirror, "all.zip"));
        var source = dir.Combine("mirror");
        var db = dir.Combine("v.db");
        var password = new Dictionary<string, string> { ["ZERODRIFT_PASSWORD"] = "mirror" };
        Assert.Equal(0, ZeroDriftRunner.Run(password, null, "key", "generate", "--output-prefix", dir.Combine("mirror-key")).ExitCode);

        var unconfigured = ZeroDriftRunner.Run("db", "update", "--source", source, "--db", db);
        Assert.Equal(2, unconfigured.ExitCode);
        Assert.Contains("is a mirror: give --key", unconfigured.Stderr, StringComparison.Ordinal);

        var unsigned = ZeroDriftRunner.Run("db", "update", "--source", source, "--key", dir.Combine("mirror-key.pub"), "--db", db);
        Assert.Equal(1, unsigned.ExitCode);
        Assert.Equal($"zerodrift: db update refused: Go/all.zip from {source}: unsigned: no all.zip.sigstore.json beside it", unsigned.Stderr.Trim());

        var sign = ZeroDriftRunner.Run(password, null, "db", "sign", source, "--key", dir.Combine("mirror-key.key"));
        Assert.True(sign.ExitCode == 0, sign.Stderr);
        var ok = ZeroDriftRunner.Run("db", "update", "--source", source, "--key", dir.Combine("mirror-key.pub"), "--db", db);
        Assert.True(ok.ExitCode == 0, ok.Stderr);

        Assert.Equal(0, ZeroDriftRunner.Run(password, null, "key", "generate", "--output-prefix", dir.Combine("other")).ExitCode);
        var otherKey = ZeroDriftRunner.Run("db", "update", "--source", source, "--key", dir.Combine("other.pub"), "--db", db);
        Assert.Equal(1, otherKey.ExitCode);
        Assert.Contains("signature: it does not verify", otherKey.Stderr, StringComparison.Ordinal);

        using (var zip = File.OpenWrite(Path.Combine(mirror, "all.zip")))
        {
            zip.Seek(100, SeekOrigin.Begin);
            zip.WriteByte(0x42);
        }
        var tampered = ZeroDriftRunner.Run("db", "update", "--source", source, "--key", dir.Combine("mirror-key.pub"), "--db", db);
        Assert.Equal(1, tampered.ExitCode);
        Assert.Contains("bundle: the message digest is not the artifact's", tampered.Stderr, StringComparison.Ordinal);
        Assert.Single(tampered.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        // Keyless: a private Sigstore signs the export; the identity and its trusted root verify it.
        using var sigstore = new TestSigstore();
        File.Copy(Path.Combine(Osv, "Go", "all.zip"), Path.Combine(mirror, "all.zip"), overwrite: true);
        File.WriteAllBytes(Path.Combine(mirror, "all.zip.sigstore.json"), sigstore.SignMessage(File.ReadAllBytes(Path.Combine(mirror, "all.zip")), new TestIdentity("mirror@example.com", "https://accounts.example.com")));
        var root = sigstore.WriteTrustedRoot(dir.Path);
        var keyless = ZeroDriftRunner.Run("db", "update", "--source", source, "--certificate-identity", "mirror@example.com", "--certificate-oidc-issuer", "https://accounts.example.com", "--trusted-root", root, "--db", db);
        Assert.True(keyless.ExitCode == 0, keyless.Stderr);
        var wrongIdentity = ZeroDriftRunner.Run("db", "update", "--source", source, "--certificate-identity", "attacker@example.com", "--certificate-oidc-issuer", "https://accounts.example.com", "--trusted-root", root, "--db", db);
        Assert.Equal(1, wrongIdentity.ExitCode);
        Assert.Contains("identity: the certificate names mirror@example.com", wrongIdentity.Stderr, StringComparison.Ordinal);

        var skipped = ZeroDriftRunner.Run("db", "update", "--source", source, "--insecure-skip-verify", "--db", db);
        Assert.True(skipped.ExitCode == 0, skipped.Stderr);
        Assert.Contains("signatures not verified (--insecure-skip-verify)", skipped.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_export_updates_an_empty_database_to_the_same_findings_and_a_tampered_export_is_refused()
    {
        using var dir = new TempDir();
        var db = dir.Combine("source.db");
        Assert.Equal(0, ZeroDriftRunner.Run("db", "import", Path.Combine(RepoPaths.Root, "tests", "ZeroDrift.EndToEnd.Tests", "Fixtures", "osv"), "--db", db).ExitCode);
        dir.File("p/etc/os-release", "ID=alpine\nVERSION_ID=3.18.4\n");
        dir.File("p/lib/apk/db/installed", "P:libssl3\nV:3.1.3-r0\nA:x86_64\no:openssl\n\n");
        dir.File("p/web/package-lock.json", """{"name":"web","lockfileVersion":3,"packages":{"":{"name":"web"},"node_modules/lodash":{"version":"4.17.20"}}}""");
        dir.File("p/ruby/Gemfile.lock", "GEM\n  remote: https://rubygems.example.test/\n  specs:\n    rack (2.2.3)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rack\n");
        string[] Findings(string database)
        {
            var r = ZeroDriftRunner.Run("scan", dir.Combine("p"), "--db", database, "--scanners", "vuln", "--format", "json", "--quiet");
            Assert.True(r.ExitCode == 0, r.Stderr);
            using var json = JsonDocument.Parse(r.Stdout);
            return json.RootElement.GetProperty("findings").EnumerateArray()
                .Select(f => $"{f.GetProperty("package").GetProperty("name").GetString()} {f.GetProperty("id").GetString()} fixed={f.GetProperty("fixedIn").GetString()}")
                .Order(StringComparer.Ordinal).ToArray();
        }
        var before = Findings(db);
        Assert.Equal(3, before.Length);

        var password = new Dictionary<string, string> { ["ZERODRIFT_PASSWORD"] = "export" };
        Assert.Equal(0, ZeroDriftRunner.Run(password, null, "key", "generate", "--output-prefix", dir.Combine("k")).ExitCode);
        var export = ZeroDriftRunner.Run(password, null, "db", "export", dir.Combine("mirror"), "--key", dir.Combine("k.key"), "--db", db);
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.All(Directory.GetDirectories(dir.Combine("mirror")), d => Assert.True(File.Exists(Path.Combine(d, "all.zip.sigstore.json")), d));

        var copy = dir.Combine("copy.db");
        var update = ZeroDriftRunner.Run("db", "update", "--source", dir.Combine("mirror"), "--key", dir.Combine("k.pub"), "--db", copy);
        Assert.True(update.ExitCode == 0, update.Stderr);
        Assert.Equal(before, Findings(copy));
        using (var a = JsonDocument.Parse(ZeroDriftRunner.Run("db", "info", "--json", "--db", db).Stdout))
        using (var b = JsonDocument.Parse(ZeroDriftRunner.Run("db", "info", "--json", "--db", copy).Stdout))
        {
            Assert.Equal(a.RootElement.GetProperty("advisories").GetInt32(), b.RootElement.GetProperty("advisories").GetInt32());
            Assert.Equal(a.RootElement.GetProperty("ecosystems").GetRawText(), b.RootElement.GetProperty("ecosystems").GetRawText());
        }

        var again = ZeroDriftRunner.Run(password, null, "db", "export", dir.Combine("mirror"), "--key", dir.Combine("k.key"), "--db", db);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("is not an empty folder", again.Stderr, StringComparison.Ordinal);

        var zip = Directory.GetFiles(dir.Combine("mirror"), "all.zip", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        var bytes = File.ReadAllBytes(zip);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(zip, bytes);
        var tampered = ZeroDriftRunner.Run("db", "update", "--source", dir.Combine("mirror"), "--key", dir.Combine("k.pub"), "--db", dir.Combine("third.db"));
        Assert.Equal(1, tampered.ExitCode);
        Assert.Contains("the message digest is not the artifact's", tampered.Stderr, StringComparison.Ordinal);
    }

    /// <summary>A real HTTP server on loopback serving a folder in the OSV export layout.</summary>
    private sealed class OsvMirror : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;
        public List<string> Requests { get; } = [];
        public string BaseUrl { get; }

        public OsvMirror(string root)
        {
            var port = FreePort();
            BaseUrl = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(BaseUrl + "/");
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    HttpListenerContext context;
                    try { context = await _listener.GetContextAsync(); }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                    var path = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath);
                    lock (Requests) Requests.Add(path);
                    var file = Path.Combine(root, path.TrimStart('/'));
                    if (File.Exists(file) && Path.GetFullPath(file).StartsWith(root, StringComparison.Ordinal))
                    {
                        await using var input = File.OpenRead(file);
                        context.Response.ContentLength64 = input.Length;
                        await input.CopyToAsync(context.Response.OutputStream);
                    }
                    else context.Response.StatusCode = 404;
                    context.Response.Close();
                }
            });
        }

        private static int FreePort()
        {
            var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            l.Start();
            var port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return port;
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
