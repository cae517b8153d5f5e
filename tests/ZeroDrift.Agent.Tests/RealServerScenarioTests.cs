using System.Collections.Concurrent;
using Xunit.Abstractions;

using static ZeroDrift.Agent.Tests.AgentScenario;

namespace ZeroDrift.Agent.Tests;

/// <summary>
/// Issue 14's real-software scenario: nginx, redis-server and PostgreSQL 15 from Debian's packages, in images built
/// here, learned by the real agent with their own work and a restart, then protected and replayed.
/// </summary>
public sealed class RealServerScenarioTests(RealServerImages images, ITestOutputHelper output) : IClassFixture<RealServerImages>, IDisposable
{
    private readonly ConcurrentBag<string> _containers = [];

    /// <summary>
    /// The baseline the scenario's assertions stand on: without any agent, each image starts, answers its health
    /// check, does every step of its work, and comes back after a restart. (A step that fails here would count as
    /// "learned behaviour killed" there.)
    /// </summary>
    [RootFact]
    public void Each_server_does_its_work_and_restarts_without_the_agent()
    {
        var results = new ConcurrentBag<WorkResult>();
        Parallel.ForEach(images.Servers, new ParallelOptions { MaxDegreeOfParallelism = 3 }, server =>
        {
            var container = Start(server);
            server.WaitReady(container);
            foreach (var r in Enumerable.Range(0, 2).SelectMany(n => server.Round(container, "baseline", n))) results.Add(r);
            Podman("restart", "-t", "10", container);
            server.WaitReady(container);
            foreach (var r in server.Round(container, "baseline", 2)) results.Add(r);
        });
        output.WriteLine($"images built in {images.BuildTime.TotalSeconds:0.0} s; {results.Count} steps");
        var failed = results.Where(r => !r.Ok).ToList();
        Assert.True(failed.Count == 0, "work failed without the agent:\n" + string.Join('\n', failed.Select(f => $"{f.Server} {f.Step}: {f.Detail}")));
    }

    /// <summary>Starts a container of the server's image as users often do: without <c>--name</c> (podman generates one).</summary>
    private string Start(RealServer server)
    {
        var id = Podman("run", "-d", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", images.ImageOf(server)).Trim();
        _containers.Add(id);
        return id;
    }

    public void Dispose()
    {
        if (new RootFactAttribute().Skip is null && !_containers.IsEmpty) Run("podman", ["rm", "-f", "-t", "0", .. _containers]);
    }
}
