using System.Net;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Runtime.Rules.Reference;

namespace ZeroDrift.Runtime.Tests;

/// <summary>Builders of reference events for the tests: a process in a container and what it does.</summary>
internal static class Events
{
    public static readonly FieldTable<SyscallEvent> Fields = SyscallFields.Create();

    public static readonly ContainerInfo Container = new()
    {
        Id = "3ad7b26ded6d", Name = "web", Image = "docker.io/library/nginx:1.27", ImageRepository = "docker.io/library/nginx",
        ImageTag = "1.27", ImageDigest = "sha256:" + new string('a', 64),
    };

    public static ProcessInfo Process(string name, string exePath, params string[] args) => new()
    {
        Name = name, Exe = exePath, ExePath = exePath, Args = args, Pid = 4242, Vpid = 42, Uid = 33, UserName = "www-data", LoginUid = -1,
    };

    public static readonly ProcessInfo Nginx = Process("nginx", "/usr/sbin/nginx", "-g", "daemon off;") with { Pid = 100, Vpid = 1 };
    public static readonly ProcessInfo Containerd = Process("containerd-shim", "/usr/bin/containerd-shim-runc-v2") with { Pid = 90, Uid = 0, UserName = "root" };

    public static SyscallEvent Exec(ProcessInfo process, ContainerInfo? container = null, params ProcessInfo[] ancestors) => new()
    {
        Type = "execve", Number = 1, Result = 0, Process = process, Ancestors = ancestors.Length > 0 ? ancestors : [Nginx, Containerd],
        Container = container ?? Container, TimeNanoseconds = 1_764_393_136_123_456_789, Hostname = "node-1",
    };

    public static SyscallEvent Open(string path, string flags, ProcessInfo? process = null, ContainerInfo? container = null) => new()
    {
        Type = "openat", Number = 2, Result = 3, Process = process ?? Process("cat", "/bin/cat", path), Ancestors = [Nginx, Containerd],
        Container = container ?? Container, Args = new Dictionary<string, string> { ["flags"] = flags, ["name"] = path },
        Fd = new FileDescriptorInfo { Number = 3, Type = "file", Name = path },
    };

    public static SyscallEvent Connect(string ip, int port, ProcessInfo? process = null, string? serverName = null) => new()
    {
        Type = "connect", Number = 3, Result = 0, Process = process ?? Process("curl", "/usr/bin/curl"), Ancestors = [Nginx, Containerd], Container = Container,
        Fd = new FileDescriptorInfo
        {
            Number = 5, Type = IPAddress.Parse(ip).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? "ipv4" : "ipv6",
            Name = $"172.17.0.2:40000->{ip}:{port}", L4Protocol = "tcp", ClientIp = IPAddress.Parse("172.17.0.2"), ClientPort = 40000,
            ServerIp = IPAddress.Parse(ip), ServerPort = port, Connected = true, NameChanged = true, ServerName = serverName,
        },
    };

    public static SyscallEvent Syscall(string type, Dictionary<string, string> args, long result = 0, ProcessInfo? process = null) => new()
    {
        Type = type, Number = 4, Result = result, Args = args, Process = process ?? Process("exploit", "/tmp/exploit"), Ancestors = [Nginx, Containerd], Container = Container,
    };

    /// <summary>Compiles rule text against the reference binding.</summary>
    public static RuleEngine<SyscallEvent> Engine(string yaml, RuleSet? set = null)
    {
        set ??= new RuleSet();
        RuleLoader.LoadText(set, yaml, "test.yaml");
        return RuleEngine<SyscallEvent>.Compile(set, Fields);
    }

    /// <summary>One condition as a rule; the compiled condition.</summary>
    public static Func<SyscallEvent, bool> Condition(string condition, string prelude = "")
    {
        var engine = Engine(prelude + $"""

            - rule: r
              desc: d
              condition: {Quote(condition)}
              output: o
              priority: INFO
            """);
        var status = engine.Statuses.Single(s => s.Name == "r");
        Assert.True(status.IsEvaluated, status.Reason);
        return engine.Rules.Single(r => r.Name == "r").Condition;
    }

    public static string Quote(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
}
