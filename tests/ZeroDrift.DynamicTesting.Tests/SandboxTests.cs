using System.Text.Json;

namespace ZeroDrift.DynamicTesting.Tests;

/// <summary>
/// <c>zerodrift test</c> end to end as root: real images built here FROM scratch (no pulls), run under the real agent
/// with eBPF in a podman sandbox. A busybox httpd with an exercise passes with exactly the HTTP baseline findings a
/// bare busybox httpd earns; an image whose entrypoint is a miner-like program fails with the rules' names.
/// </summary>
public sealed class SandboxTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..10];
    private readonly List<string> _images = [];

    [RootFact]
    public void A_web_server_with_an_exercise_passes_with_only_the_HTTP_baseline_findings_it_earns()
    {
        var image = BuildHttpd();
        var exercise = _dir.File("exercise.sh", "#!/bin/sh\nset -e\nfor i in 1 2 3; do wget -q -O - \"$ZERODRIFT_TARGET_URL/index.html\" | grep -q hello; done\necho exercised $ZERODRIFT_TARGET_HOST\n");
        File.SetUnixFileMode(exercise, (UnixFileMode)0x1ED);
        var report = _dir.Combine("report.json");
        var profile = _dir.Combine("profile.yaml");
        var (code, _, stderr) = Cli.Zerodrift("test", image, "--port", "8080", "--exercise", exercise, "--probe", "/index.html", "--duration", "40s",
            "--format", "json", "--output", report, "--profile-out", profile);

        Assert.True(code == 0, $"exit {code}: {stderr}\n{(File.Exists(report) ? File.ReadAllText(report) : "")}");
        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var root = json.RootElement;
        Assert.True(root.GetProperty("passed").GetBoolean());
        Assert.True(root.GetProperty("sandbox").GetProperty("networkInternal").GetBoolean());
        Assert.Equal(0, root.GetProperty("exercise").GetProperty("exitCode").GetInt32());
        Assert.Contains("exercised 10.", root.GetProperty("exercise").GetProperty("output").GetString(), StringComparison.Ordinal);
        // busybox httpd sends no security headers and no Server header: exactly these three, nothing from the rules.
        var findings = root.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("id").GetString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["ZD-HTTP-001", "ZD-HTTP-002", "ZD-HTTP-003"], findings);
        // The behaviour seen: httpd from the image's busybox, started by the runtime, serving on 8080.
        var behaviour = root.GetProperty("behaviour");
        Assert.Contains(behaviour.GetProperty("processes").EnumerateArray(), p => p.GetProperty("executable").GetString() == "/bin/busybox" && p.GetProperty("name").GetString() == "httpd");
        Assert.Contains(behaviour.GetProperty("connections").EnumerateArray(), c => c.GetProperty("direction").GetString() == "ingress" && c.GetProperty("port").GetInt32() == 8080);
        Assert.Contains("accept", behaviour.GetProperty("syscalls").EnumerateArray().Select(s => s.GetString()));
        Assert.Contains("name: httpd", File.ReadAllText(profile), StringComparison.Ordinal);
        AssertCleanedUp(root.GetProperty("sandbox").GetProperty("container").GetString()!, root.GetProperty("sandbox").GetProperty("network").GetString()!);
    }

    [RootFact]
    public void An_image_whose_entrypoint_starts_a_miner_fails_with_the_rules_named()
    {
        var image = BuildMiner();
        var sarif = _dir.Combine("report.sarif");
        var (code, stdout, stderr) = Cli.Zerodrift("test", image, "--duration", "6s");
        Assert.True(code == 1, $"exit {code}: {stdout}\n{stderr}");
        Assert.Contains("FAILED", stdout, StringComparison.Ordinal);
        Assert.Contains("CRITICAL rule    ZeroDrift Crypto Miner Launched", stdout, StringComparison.Ordinal);
        Assert.Contains("CRITICAL rule    ZeroDrift Connection to Mining Pool", stdout, StringComparison.Ordinal);
        Assert.Contains("process=xmrig cmdline=xmrig -o stratum+tcp://127.0.0.1:3333", stdout, StringComparison.Ordinal);

        // The same image, SARIF: the rules as results at level error.
        (code, _, stderr) = Cli.Zerodrift("test", image, "--duration", "4s", "--format", "sarif", "--output", sarif, "--exit-code", "7");
        Assert.True(code == 7, $"exit {code}: {stderr}");
        using var json = JsonDocument.Parse(File.ReadAllText(sarif));
        var results = json.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray().ToList();
        Assert.Contains(results, r => r.GetProperty("ruleId").GetString() == "ZeroDrift Connection to Mining Pool" && r.GetProperty("level").GetString() == "error");
        var sandbox = System.Text.RegularExpressions.Regex.Match(stdout, @"sandbox  (zdtest-\w+-sandbox) at \S+, internal network (zdtest-\w+-net)");
        Assert.True(sandbox.Success, stdout);
        AssertCleanedUp(sandbox.Groups[1].Value, sandbox.Groups[2].Value);
    }

    [RootFact]
    public void An_image_that_is_not_there_is_one_error_line_and_exit_2()
    {
        var (code, stdout, stderr) = Cli.Zerodrift("test", $"localhost/zd-no-such-image-{_suffix}:1", "--duration", "5s");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal($"zerodrift: error: localhost/zd-no-such-image-{_suffix}:1: no such local image (zerodrift test runs images from podman's storage and pulls nothing)", stderr.Trim());
    }

    /// <summary>No sandbox container or network outlives the test that made it.</summary>
    private static void AssertCleanedUp(string container, string network)
    {
        Assert.DoesNotContain(container, Cli.Podman("ps", "-a", "--format", "{{.Names}}").Split('\n'));
        Assert.DoesNotContain(network, Cli.Podman("network", "ls", "--format", "{{.Name}}").Split('\n'));
    }

    /// <summary>FROM scratch: busybox-static's httpd serving one page.</summary>
    private string BuildHttpd()
    {
        var root = _dir.Combine("httpd/root");
        foreach (var d in new[] { "bin", "www", "etc", "tmp" }) Directory.CreateDirectory(Path.Combine(root, d));
        File.Copy("/bin/busybox", Path.Combine(root, "bin/busybox"));
        foreach (var applet in new[] { "sh", "httpd" }) File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
        File.WriteAllText(Path.Combine(root, "www/index.html"), "<html><body>hello</body></html>\n");
        File.WriteAllText(Path.Combine(root, "etc/passwd"), "root:x:0:0:root:/:/bin/sh\n");
        File.WriteAllText(Path.Combine(root, "etc/zerodrift-test-image"), _suffix + "\n");
        File.WriteAllText(_dir.Combine("httpd/Containerfile"), "FROM scratch\nCOPY root/ /\nCMD [\"/bin/httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n");
        return Build("httpd");
    }

    /// <summary>
    /// FROM scratch: a static C program named xmrig whose entrypoint gives it a stratum URL; it listens on
    /// 127.0.0.1:3333 itself and connects there once a second sending a mining.subscribe, as a miner talks to its pool.
    /// </summary>
    private string BuildMiner()
    {
        var root = _dir.Combine("miner/root");
        Directory.CreateDirectory(Path.Combine(root, "usr/bin"));
        var source = _dir.File("miner/xmrig.c", """
            #include <arpa/inet.h>
            #include <string.h>
            #include <sys/socket.h>
            #include <unistd.h>
            int main(void) {
                struct sockaddr_in a = {0};
                a.sin_family = AF_INET; a.sin_port = htons(3333); a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
                setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
                if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 4)) return 1;
                const char *msg = "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"xmrig/6.21\"]}\n";
                for (int i = 0; i < 60; i++) {
                    int s = socket(AF_INET, SOCK_STREAM, 0);
                    if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) write(s, msg, strlen(msg));
                    close(s);
                    int c = accept(l, 0, 0); if (c >= 0) close(c);
                    sleep(1);
                }
                return 0;
            }
            """);
        var cc = Cli.Run("clang", ["-static", "-O2", "-o", Path.Combine(root, "usr/bin/xmrig"), source]);
        Assert.True(cc.ExitCode == 0, cc.Stderr);
        File.WriteAllText(_dir.Combine("miner/Containerfile"), "FROM scratch\nCOPY root/ /\nENTRYPOINT [\"/usr/bin/xmrig\", \"-o\", \"stratum+tcp://127.0.0.1:3333\"]\n");
        return Build("miner");
    }

    private string Build(string name)
    {
        var image = $"localhost/zd-dyntest-{name}-{_suffix}:1";
        Cli.Podman("build", "-q", "-t", image, _dir.Combine(name));
        _images.Add(image);
        return image;
    }

    public void Dispose()
    {
        if (_images.Count > 0) Cli.Run("podman", ["rmi", "-f", .. _images]);
        _dir.Dispose();
    }
}
