using ZeroDrift.Runtime.Rules;
using ZeroDrift.Runtime.Rules.Reference;
using static ZeroDrift.Runtime.Tests.Events;

namespace ZeroDrift.Runtime.Tests;

/// <summary>Each default rule fires on the attack it names and stays quiet on the nearest legitimate behaviour.</summary>
public sealed class DefaultRulesTests
{
    private static readonly RuleEngine<SyscallEvent> Engine = Compile();

    private static RuleEngine<SyscallEvent> Compile()
    {
        var set = new RuleSet();
        RuleLoader.LoadDefaults(set);
        return RuleEngine<SyscallEvent>.Compile(set, Fields);
    }

    private static List<string> Fired(SyscallEvent e)
    {
        var matches = new List<CompiledRule<SyscallEvent>>();
        Engine.AllMatches(e, matches);
        return [.. matches.Select(m => m.Name)];
    }

    private static readonly ProcessInfo Root = Process("x", "/x") with { Uid = 0, UserName = "root" };

    public static TheoryData<string, SyscallEvent, SyscallEvent> Cases() => new()
    {
        {
            "ZeroDrift Shell Spawned in Container",
            Exec(Process("sh", "/bin/sh", "-c", "id")),
            Exec(Process("sh", "/bin/sh", "-c", "id")) with { Container = null }
        },
        {
            "ZeroDrift Sensitive File Read",
            Open("/etc/shadow", "O_RDONLY|O_CLOEXEC"),
            Open("/etc/passwd", "O_RDONLY|O_CLOEXEC")
        },
        {
            "ZeroDrift SSH Private Key Read",
            Open("/root/.ssh/id_ed25519", "O_RDONLY"),
            Open("/root/.ssh/id_ed25519", "O_RDONLY", Process("ssh", "/usr/bin/ssh"))
        },
        {
            "ZeroDrift Cloud Credentials Read",
            Open("/home/app/.aws/credentials", "O_RDONLY"),
            Open("/home/app/.aws/credentials", "O_RDONLY", Process("aws", "/usr/local/bin/aws"))
        },
        {
            "ZeroDrift Reverse Shell",
            Exec(Process("bash", "/bin/bash", "-i") with { StdinType = "ipv4", StdoutType = "ipv4" }, null, Process("nc", "/bin/nc"), Containerd),
            Exec(Process("bash", "/bin/bash", "-i") with { StdinType = "pipe", StdoutType = "file" }, null, Process("nc", "/bin/nc"), Containerd)
        },
        {
            "ZeroDrift Standard Stream Redirected to Network",
            Syscall("dup2", [], result: 1, process: Process("python3", "/usr/bin/python3")) with { Fd = new FileDescriptorInfo { Number = 5, Type = "ipv4", Name = "10.0.0.2:4000->1.2.3.4:4444" } },
            Syscall("dup2", [], result: 7, process: Process("python3", "/usr/bin/python3")) with { Fd = new FileDescriptorInfo { Number = 5, Type = "ipv4", Name = "10.0.0.2:4000->1.2.3.4:4444" } }
        },
        {
            "ZeroDrift Crypto Miner Launched",
            Exec(Process("kworker", "/tmp/kworker", "-o", "stratum+tcp://pool.example:3333")),
            Exec(Process("kworker", "/tmp/kworker", "-o", "https://example.com"))
        },
        {
            "ZeroDrift Connection to Mining Pool",
            Connect("51.15.1.2", 443, serverName: "pool.supportxmr.com"),
            Connect("51.15.1.2", 443, serverName: "example.com")
        },
        {
            "ZeroDrift Package Manager at Run Time",
            Exec(Process("apt-get", "/usr/bin/apt-get", "install", "-y", "nmap")),
            Exec(Process("apt-get", "/usr/bin/apt-get", "install", "-y", "nmap")) with { Container = null }
        },
        {
            "ZeroDrift Privilege Escalation via setuid",
            Syscall("setuid", new() { ["uid"] = "0" }),
            Syscall("setuid", new() { ["uid"] = "0" }, result: -1)
        },
        {
            "ZeroDrift Capabilities Raised in Container",
            Syscall("capset", []) with { Process = Root with { CapEffective = "CAP_CHOWN CAP_SYS_ADMIN" } },
            Syscall("capset", []) with { Process = Root with { CapEffective = "CAP_CHOWN CAP_NET_BIND_SERVICE" } }
        },
        {
            "ZeroDrift Host Filesystem Mounted in Container",
            Syscall("mount", new() { ["dev"] = "/dev/sda1", ["dir"] = "/mnt", ["type"] = "ext4" }),
            Syscall("mount", new() { ["dev"] = "tmpfs", ["dir"] = "/mnt", ["type"] = "tmpfs" })
        },
        {
            "ZeroDrift Namespace Change in Container",
            Syscall("setns", new() { ["fd"] = "3", ["nstype"] = "CLONE_NEWNS" }),
            Syscall("unshare", new() { ["flags"] = "CLONE_NEWNS" })
        },
        {
            "ZeroDrift Write to Kernel Parameters or release_agent",
            Open("/sys/fs/cgroup/rdma/release_agent", "O_WRONLY|O_TRUNC"),
            Open("/sys/fs/cgroup/rdma/release_agent", "O_RDONLY")
        },
        {
            "ZeroDrift Container Runtime Socket Access",
            Open("/var/run/docker.sock", "O_RDWR"),
            Open("/var/run/docker.sock.bak", "O_RDWR")
        },
        {
            "ZeroDrift Fileless Execution",
            Exec(Process("x", "memfd:x (deleted)") with { IsExeFromMemfd = true }),
            Exec(Process("x", "/usr/bin/x"))
        },
        {
            "ZeroDrift Drifted Executable",
            Exec(Process("payload", "/tmp/payload") with { IsExeUpperLayer = true }),
            Exec(Process("nginx", "/usr/sbin/nginx")) with { ZeroDrift = new ZeroDriftInfo { ExeFromImage = true } }
        },
        {
            "ZeroDrift Kernel Module Loaded from Container",
            Syscall("finit_module", new() { ["fd"] = "3" }),
            Syscall("finit_module", new() { ["fd"] = "3" }) with { Container = null }
        },
        {
            "ZeroDrift Ptrace Attach in Container",
            Syscall("ptrace", new() { ["request"] = "PTRACE_ATTACH" }),
            Syscall("ptrace", new() { ["request"] = "PTRACE_PEEKUSR" })
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rule_fires_on_the_attack_and_not_on_the_near_miss(string rule, SyscallEvent attack, SyscallEvent nearMiss)
    {
        Assert.Contains(rule, Fired(attack));
        Assert.DoesNotContain(rule, Fired(nearMiss));
    }

    [Fact]
    public void Every_default_rule_is_evaluated_tested_and_tagged_with_mitre_attack()
    {
        Assert.All(Engine.Statuses, s => Assert.True(s.IsEvaluated, $"{s.Name}: {s.Reason}"));
        Assert.All(Engine.Statuses, s => Assert.Empty(s.OutputWarnings));
        var tested = Cases().Select(c => (string)c[0]).ToHashSet();
        Assert.All(Engine.Rules, r =>
        {
            Assert.Contains(r.Name, tested);
            Assert.Contains(r.Definition.Tags, t => t.StartsWith("mitre_", StringComparison.Ordinal));
            Assert.Contains(r.Definition.Tags, t => t.Length > 1 && t[0] == 'T' && char.IsAsciiDigit(t[1]));
        });
    }

    [Fact]
    public void Alert_is_falco_json_with_formatted_output_and_fields()
    {
        var e = Open("/etc/shadow", "O_RDONLY", Process("cat", "/bin/cat", "/etc/shadow")) with { TimeNanoseconds = 1_764_393_136_123_456_789 };
        var rule = Engine.FirstMatch(e)!;
        var alert = rule.CreateAlert(e, e.TimeNanoseconds, "node-1");
        var json = System.Text.Json.JsonDocument.Parse(AlertJsonWriter.ToJson(alert)).RootElement;
        Assert.Equal(["hostname", "output", "output_fields", "priority", "rule", "source", "tags", "time"], json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("2025-11-29T05:12:16.123456789Z", json.GetProperty("time").GetString());
        Assert.Equal("Warning", json.GetProperty("priority").GetString());
        Assert.Equal("ZeroDrift Sensitive File Read", json.GetProperty("rule").GetString());
        Assert.Equal("syscall", json.GetProperty("source").GetString());
        Assert.Equal("node-1", json.GetProperty("hostname").GetString());
        Assert.Contains("T1003", json.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        var output = json.GetProperty("output").GetString()!;
        Assert.StartsWith("05:12:16.123456789: Warning Sensitive file opened for reading (file=/etc/shadow process=cat cmdline=cat /etc/shadow user=www-data", output);
        var fields = json.GetProperty("output_fields");
        Assert.Equal("/etc/shadow", fields.GetProperty("fd.name").GetString());
        Assert.Equal("3ad7b26ded6d", fields.GetProperty("container.id").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, fields.GetProperty("k8s.pod.name").ValueKind);
        Assert.Equal(1_764_393_136_123_456_789, fields.GetProperty("evt.time").GetInt64());
    }

    [Fact]
    public void Output_templates_take_indexed_fields()
    {
        var engine = Events.Engine("""
            - rule: r
              desc: d
              condition: evt.type = execve
              output: "%proc.name under %proc.aname[2] (%proc.aname[1]); flags=%evt.arg.flags."
              priority: NOTICE
            """);
        var e = Exec(Process("sh", "/bin/sh"));
        var alert = engine.FirstMatch(e)!.CreateAlert(e, 0, "h");
        Assert.EndsWith("Notice sh under containerd-shim (nginx); flags=<NA>.", alert.Output);
        Assert.Equal("containerd-shim", alert.OutputFields["proc.aname[2]"]);
        Assert.Null(alert.OutputFields["evt.arg.flags"]);
    }
}
