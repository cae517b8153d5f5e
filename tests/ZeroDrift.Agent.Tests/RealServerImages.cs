using System.Diagnostics;

using static ZeroDrift.Agent.Tests.AgentScenario;

namespace ZeroDrift.Agent.Tests;

/// <summary>
/// The three server images, built once for the test class from this machine's packages (concurrently: the tar is
/// written while podman imports another), removed when the class is done. Unique names per run.
/// </summary>
public sealed class RealServerImages : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Lazy<IReadOnlyDictionary<string, string>> _built;

    internal IReadOnlyList<RealServer> Servers { get; }

    /// <summary>How long building the three took (for the report).</summary>
    public TimeSpan BuildTime { get; private set; }

    public RealServerImages()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        Servers = [new NginxServer(suffix), new RedisServer(suffix), new PostgresImageServer(suffix)];
        _built = new Lazy<IReadOnlyDictionary<string, string>>(Build);
    }

    /// <summary>The image reference of each server, by kind; built on first use.</summary>
    internal string ImageOf(RealServer server) => _built.Value[server.Kind];

    private IReadOnlyDictionary<string, string> Build()
    {
        var clock = Stopwatch.StartNew();
        var built = Servers.AsParallel().WithDegreeOfParallelism(Servers.Count).Select(s => (s.Kind, Reference: s.Image().Build(_dir.Path))).ToDictionary(p => p.Kind, p => p.Reference);
        BuildTime = clock.Elapsed;
        return built;
    }

    public void Dispose()
    {
        // Every image this run may have imported, also when building another one failed.
        if (new RootFactAttribute().Skip is null) Run("podman", ["rmi", "-f", "-i", .. Servers.Select(s => s.Repository + ":1")]);
        _dir.Dispose();
    }
}
