using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>The GitOps round trip a user does with <c>zerodrift profile</c>: import reviewed YAML, list, switch mode, diff versions, export, harden.</summary>
public sealed class ProfileCommandTests : IDisposable
{
    private const string V1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string V2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    private readonly TempDir _dir = new();
    private readonly Dictionary<string, string> _env;

    public ProfileCommandTests() => _env = new() { ["ZERODRIFT_PROFILES"] = Path.Combine(_dir.Path, "profiles.db") };

    public void Dispose() => _dir.Dispose();

    private static string Profile(string digest, string image, string extraSyscall, char hash = 'a') => $"""
        apiVersion: zerodrift.dev/v1
        kind: BehaviourProfile
        metadata:
          workload: web
          image: {image}
          imageDigest: {digest}
        spec:
          mode: learn
          processes:
          - executable: /bin/httpd
            sha256: {new string(hash, 64)}
            parent: /bin/sh
            user: www-data
            uid: 33
          network:
          - direction: ingress
            protocol: tcp
            peer: 0.0.0.0/0
            port: 8080
          - direction: egress
            protocol: tcp
            peer: 10.1.2.3
            port: 5432
          syscalls: [accept4, read, write, {extraSyscall}]
        """;

    private RunResult Zd(params string[] args) => ZeroDriftRunner.Run(_env, args);

    [Fact]
    public void Import_list_mode_diff_export_and_harden()
    {
        var v1 = _dir.File("web-v1.yaml", Profile(V1, "localhost/web:1", "close"));
        var v2 = _dir.File("web-v2.yaml", Profile(V2, "localhost/web:2", "connect", hash: 'b'));
        var import = Zd("profile", "import", v1, v2);
        Assert.True(import.ExitCode == 0, import.Stderr);
        Assert.Contains($"imported web@{V1} (learn)", import.Stdout);

        var list = Zd("profile", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("localhost/web:2", list.Stdout);
        Assert.Contains("2 profiles", list.Stdout);

        var mode = Zd("profile", "mode", "localhost/web:1", "protect");
        Assert.True(mode.ExitCode == 0, mode.Stderr);
        Assert.Contains("learn -> protect", mode.Stdout);
        Assert.Contains("mode: protect", Zd("profile", "show", "localhost/web:1").Stdout);
        Assert.Contains("mode: learn", Zd("profile", "show", "localhost/web:2").Stdout);

        var diff = Zd("profile", "diff", "localhost/web:1", "localhost/web:2");
        Assert.Equal(1, diff.ExitCode);
        Assert.Contains("+ connect", diff.Stdout);
        Assert.Contains("- close", diff.Stdout);
        // httpd was rebuilt in the new image: one change line with both hashes, not an addition and a removal.
        Assert.Contains($"~ /bin/httpd (parent /bin/sh) as www-data: sha256 {new string('a', 64)} -> {new string('b', 64)}", diff.Stdout);
        Assert.DoesNotContain("+ /bin/httpd", diff.Stdout);

        var exported = Path.Combine(_dir.Path, "out.yaml");
        Assert.Equal(0, Zd("profile", "export", V1[..19], "--output", exported).ExitCode);
        Assert.Contains("mode: protect", File.ReadAllText(exported));

        var seccomp = Zd("profile", "seccomp", "localhost/web:1");
        Assert.Equal(0, seccomp.ExitCode);
        using (var json = JsonDocument.Parse(seccomp.Stdout))
            Assert.Contains("accept4", json.RootElement.GetProperty("syscalls")[0].GetProperty("names").EnumerateArray().Select(n => n.GetString()));

        var policy = Zd("profile", "networkpolicy", "localhost/web:1", "--namespace", "shop");
        Assert.Equal(0, policy.ExitCode);
        Assert.Contains("kind: NetworkPolicy", policy.Stdout);
        Assert.Contains("cidr: 10.1.2.3/32", policy.Stdout);
        Assert.Contains("app: web", policy.Stdout);
    }

    [Fact]
    public void A_bad_file_is_one_line_and_nothing_is_imported()
    {
        var good = _dir.File("good.yaml", Profile(V1, "localhost/web:1", "close"));
        var bad = _dir.File("bad.yaml", Profile(V2, "localhost/web:2", "frobnicate"));
        var r = Zd("profile", "import", good, bad);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("unknown system call 'frobnicate'", r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Contains("0 profiles", Zd("profile", "list").Stdout);
    }

    [Fact]
    public void An_unknown_or_ambiguous_selector_says_so()
    {
        Zd("profile", "import", _dir.File("a.yaml", Profile(V1, "localhost/web:1", "close")), _dir.File("b.yaml", Profile(V2, "localhost/web:2", "close")));
        var missing = Zd("profile", "show", "localhost/other:1");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no profile matches 'localhost/other:1'", missing.Stderr);
        var ambiguous = Zd("profile", "show", "web");
        Assert.Equal(2, ambiguous.ExitCode);
        Assert.Contains("matches 2 profiles", ambiguous.Stderr);
    }
}
