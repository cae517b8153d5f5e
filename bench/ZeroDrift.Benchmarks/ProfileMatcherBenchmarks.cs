using System.Net;
using BenchmarkDotNet.Attributes;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.Benchmarks;

/// <summary>
/// Profile look-ups on the agent's hot path (known behaviour, the common case): they must allocate nothing.
/// A profile of realistic size: 40 processes, 200 exact paths and 20 patterns, 30 peers.
/// </summary>
[MemoryDiagnoser]
public class ProfileMatcherBenchmarks
{
    private ProfileMatcher _matcher = null!;
    private ExecObservation _exec = null!;
    private FileObservation _exactFile = null!;
    private FileObservation _patternFile = null!;
    private NetworkObservation _connect = null!;

    [GlobalSetup]
    public void Setup()
    {
        var id = new WorkloadIdentity("web", "sha256:" + new string('1', 64));
        var at = DateTimeOffset.UnixEpoch;
        var b = ProfileBuilder.New(id, at);
        for (var i = 0; i < 40; i++) b.ObserveProcess(new ProcessEntry($"/usr/bin/tool{i}", Parent: "/bin/sh", User: "app"), at);
        for (var i = 0; i < 200; i++) b.ObserveFile($"/srv/app/static/page{(char)('a' + i % 26)}{i / 26}.html", FileAccessKind.Read, at);
        for (var i = 0; i < 20; i++) b.ObserveFile($"/var/lib/app{i}/tmp/**", FileAccessKind.ReadWrite, at);
        for (var i = 0; i < 30; i++) b.ObserveNetwork(new NetworkEntry(NetworkDirection.Egress, "tcp", $"10.0.{i}.0/24", 5432), at);
        _matcher = new ProfileMatcher(b.Build(at) with { Mode = ProfileMode.Protect });
        _exec = new ExecObservation(id, at, "/usr/bin/tool39", "/bin/sh", "app");
        _exactFile = new FileObservation(id, at, "/srv/app/static/pagea0.html", FileAccessKind.Read);
        _patternFile = new FileObservation(id, at, "/var/lib/app19/tmp/session/42", FileAccessKind.Write);
        _connect = new NetworkObservation(id, at, NetworkDirection.Egress, "tcp", IPAddress.Parse("10.0.29.17"), 5432);
    }

    [Benchmark]
    public bool KnownExec() => _matcher.Knows(_exec);

    [Benchmark]
    public bool KnownExactFile() => _matcher.Knows(_exactFile);

    [Benchmark]
    public bool KnownFileByPattern() => _matcher.Knows(_patternFile);

    [Benchmark]
    public bool KnownConnect() => _matcher.Knows(_connect);
}
