using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Xunit.Abstractions;
using ZeroDrift.Sensor.Enforcement;

using static ZeroDrift.Agent.Tests.AgentScenario;

namespace ZeroDrift.Agent.Tests;

/// <summary>
/// A long-lived node in small (issue 14, item 8; <c>bench/scripts/agent-lifecycles.sh</c> runs 2,000): the real agent
/// with kernel enforcement and 60 container lifecycles (<c>podman run --rm</c>) of two workloads, one learning, one
/// switched to Protect, each container writing, reading, listing and connecting, then exiting. Once they are gone,
/// every structure the agent keeps is back to its size before them, no kernel map holds an entry of a cgroup that is
/// gone, and RSS has not grown beyond a generous bound.
/// </summary>
/// <remarks>
/// What trips it: any per-container state that outlives its container — one entry a lifecycle left in the container
/// table, the attributor's cache, the user-name tables, the executable hashes (each container's overlay is a device of
/// its own), the process table or the held verdicts shows as 60 more (30 for what only protected containers leave)
/// against a slack of 2; a cgroup the agent does not delete from the enforcement's <c>zde_cgroup</c> (protected
/// containers are put there, by the kernel at their first exec and by the agent) or from the sensor's
/// <c>zd_watch</c> (learning containers are watched) and <c>zd_syscalls</c> (every cgroup's) is an entry of a gone
/// cgroup in both reads; a leak of 1 MiB or more a lifecycle passes the RSS bound.
/// The machine is shared: other engineers' containers come and go meanwhile, so the sizes are compared as the smallest
/// the agent reports over a few seconds once ours are gone against the largest over a few seconds before them, and a
/// map entry counts only when its cgroup is gone in two reads three seconds apart.
/// </remarks>
[Collection("long-lived node")]
public sealed class LongLivedNodeTests(ITestOutputHelper output) : IDisposable
{
    private const int Lifecycles = 60;
    private const int Slack = 2;
    /// <summary>Host processes (other engineers' builds) come and go in the same tables.</summary>
    private const int HostSlack = 12;
    private const long RssBoundBytes = 48L << 20;

    private readonly TempDir _dir = new();
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..10];
    private string Image => $"localhost/zdag-longlived-{_suffix}:1";
    private string Learning => $"zdll-{_suffix}-la";
    private string Protected => $"zdll-{_suffix}-pa";
    private string Pins => _dir.Combine("pins");
    private string StatusFile => _dir.Combine("status.json");
    private string Profiles => _dir.Combine("profiles.db");

    [RootFact]
    public void Container_lifecycles_leave_every_structure_at_its_baseline_no_map_entry_of_a_gone_cgroup_and_RSS_bounded()
    {
        BuildImage();
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start(512);
        var accepting = Task.Run(async () =>
        {
            try { while (true) (await listener.AcceptTcpClientAsync().ConfigureAwait(false)).Dispose(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        });
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var gateway = Podman("network", "inspect", "podman", "--format", "{{range .Subnets}}{{.Gateway}}{{end}}").Trim();
        var work = $"echo $$ > /tmp/state; cat /tmp/state /image-id >/dev/null; ls /bin >/dev/null; nc -w 1 {gateway} {port} </dev/null; echo done";

        var stderr = new ConcurrentQueue<(DateTime At, string Line)>();
        using var agent = StartAgent(stderr, null, "--output", "none", "--mode", "learn", "--learn-quiet", "1h", "--auto-advance", "none",
            "--enforcement", "kernel", "--pin-root", Pins, "--profiles", Profiles, "--alerts", "file:" + _dir.Combine("alerts.jsonl"),
            "--host-processes", "skip", "--status-file", StatusFile);
        try
        {
            // Both workloads learned from three containers each; one switched to Protect by a user, and one container
            // of it run so that its kernel sets are filled before the baseline.
            foreach (var workload in new[] { Learning, Protected })
                for (var i = 1; i <= 3; i++) Assert.Equal("done", RunContainer($"{workload}-{i}", work));
            SwitchToProtect(stderr);
            Assert.Equal("done", RunContainer($"{Protected}-4", work));
            Thread.Sleep(3000);
            var before = Samples(TimeSpan.FromSeconds(5));
            var baseline = Largest(before);

            // The lifecycles, four at a time; RSS sampled throughout. Every container's learned work runs to its end,
            // protected ones included.
            var rss = new ConcurrentQueue<long>();
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    if (ReadStatus() is { } s) rss.Enqueue(s.GetProperty("rssBytes").GetInt64());
                    try { await Task.Delay(1000, sampling.Token).ConfigureAwait(false); }
                    catch (OperationCanceledException) { }
                }
            });
            var outcomes = new ConcurrentBag<string>();
            Parallel.For(0, Lifecycles, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
                outcomes.Add(RunContainer($"{(i % 2 == 0 ? Learning : Protected)}-{i + 10}", work)));
            sampling.Cancel();
            sampler.Wait();
            Assert.All(outcomes, o => Assert.Equal("done", o));

            // Ours are gone (podman run --rm returned; the runtime removes the cgroup just after): the agent forgets
            // each at the housekeeping round after its cgroup went, and the status shows it within one more write.
            var ours = WaitForOursGone(TimeSpan.FromSeconds(30));
            Assert.True(ours.Count == 0, $"the agent still lists containers that are gone: {string.Join(", ", ours)}");
            // Every structure comes back to its size before them.
            var settled = WaitForBaseline(baseline, TimeSpan.FromSeconds(40));
            output.WriteLine("structures, baseline (largest before) -> end (smallest after): " + string.Join(", ",
                baseline.Select(b => $"{b.Key} {b.Value} -> {settled.GetValueOrDefault(b.Key)}")));
            var over = baseline.Where(b => settled.GetValueOrDefault(b.Key) > b.Value + SlackOf(b.Key)).Select(b => $"{b.Key} {b.Value} -> {settled[b.Key]}").ToList();
            Assert.True(over.Count == 0, $"after {Lifecycles} container lifecycles, structures did not come back to their baseline: {string.Join(", ", over)}");

            // No kernel map keeps an entry of a cgroup that is gone (in two reads three seconds apart).
            var programs = ReadStatus()!.Value.GetProperty("programIds").EnumerateArray().Select(p => p.GetUInt32()).ToList();
            var first = GoneEntries(programs);
            Thread.Sleep(3000);
            var second = GoneEntries(programs);
            foreach (var (map, gone) in first)
            {
                gone.IntersectWith(second[map]);
                output.WriteLine($"{map}: {gone.Count} entries of gone cgroups");
                Assert.True(gone.Count == 0, $"{map} keeps {gone.Count} entries of cgroups that are gone: {string.Join(' ', gone.Take(10))}");
            }

            // RSS: the last samples of the run against the first, within a generous bound.
            var samples = rss.ToList();
            Assert.True(samples.Count >= 4, $"{samples.Count} RSS samples");
            var tenth = Math.Max(1, samples.Count / 10);
            var (head, tail) = (samples.Take(tenth).Average(), samples.TakeLast(tenth).Average());
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RSS first tenth {head / (1 << 20):0.0} MiB, last tenth {tail / (1 << 20):0.0} MiB ({samples.Count} samples)"));
            Assert.True(tail <= head + RssBoundBytes, string.Create(CultureInfo.InvariantCulture, $"RSS grew from {head / (1 << 20):0.0} to {tail / (1 << 20):0.0} MiB over {Lifecycles} lifecycles"));
        }
        finally
        {
            StopAgent(agent);
            listener.Stop();
            accepting.Wait(TimeSpan.FromSeconds(5));
            output.WriteLine(string.Join('\n', stderr.Select(l => l.Line).Where(l => !l.Contains("disabled", StringComparison.Ordinal)).TakeLast(20)));
        }
    }

    private static int SlackOf(string structure) => structure is "processes" or "executables" or "cgroupPaths" ? HostSlack : Slack;

    /// <summary>One lifecycle: the container runs the work and exits; its last line ("done" when the work ran to its end).</summary>
    private string RunContainer(string name, string work)
    {
        var r = Run("podman", ["run", "--rm", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--name", name, Image, "/bin/sh", "-c", work]);
        return r.ExitCode == 0 ? r.Stdout.Trim() : $"{name}: exit {r.ExitCode}: {r.Stderr.Trim()}";
    }

    /// <summary>The user's switch, once the agent saved what it learned (every second); the agent applies it.</summary>
    private void SwitchToProtect(ConcurrentQueue<(DateTime At, string Line)> stderr)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Run("dotnet", [Dll, "profile", "mode", Protected, "protect", "--profiles", Profiles]).ExitCode != 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no profile of {Protected} was stored");
            Thread.Sleep(200);
        }
        WaitFor(stderr, l => l.Contains($"{Protected} (", StringComparison.Ordinal) && l.Contains("-> protect", StringComparison.Ordinal), 15, "the switch to protect");
    }

    private JsonElement? ReadStatus()
    {
        try { return JsonDocument.Parse(File.ReadAllText(StatusFile)).RootElement.Clone(); }
        catch (Exception e) when (e is IOException or JsonException) { return null; }
    }

    private static IReadOnlyDictionary<string, long> Structures(JsonElement status) =>
        status.GetProperty("structures").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64(), StringComparer.Ordinal);

    private static IEnumerable<string> Containers(JsonElement status) =>
        status.GetProperty("containers").EnumerateArray().Select(c => c.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "");

    /// <summary>This test's containers the status still lists, once none is (or the time is up).</summary>
    private List<string> WaitForOursGone(TimeSpan limit)
    {
        var ours = new List<string>();
        for (var until = DateTime.UtcNow + limit; DateTime.UtcNow < until; Thread.Sleep(1000))
        {
            if (ReadStatus() is not { } status) continue;
            ours = [.. Containers(status).Where(n => n.StartsWith($"zdll-{_suffix}-", StringComparison.Ordinal))];
            if (ours.Count == 0) break;
        }
        return ours;
    }

    /// <summary>The status's structures once a second for <paramref name="span"/>.</summary>
    private List<IReadOnlyDictionary<string, long>> Samples(TimeSpan span)
    {
        var samples = new List<IReadOnlyDictionary<string, long>>();
        for (var until = DateTime.UtcNow + span; DateTime.UtcNow < until; Thread.Sleep(1000))
            if (ReadStatus() is { } s) samples.Add(Structures(s));
        Assert.NotEmpty(samples);
        return samples;
    }

    private static Dictionary<string, long> Largest(List<IReadOnlyDictionary<string, long>> samples) =>
        samples[0].Keys.ToDictionary(k => k, k => samples.Max(s => s[k]), StringComparer.Ordinal);

    /// <summary>The smallest size of each structure seen since the wait began, once all are within the slack of the
    /// baseline (or the time is up).</summary>
    private Dictionary<string, long> WaitForBaseline(Dictionary<string, long> baseline, TimeSpan limit)
    {
        var smallest = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var until = DateTime.UtcNow + limit; DateTime.UtcNow < until; Thread.Sleep(1000))
        {
            if (ReadStatus() is not { } status) continue;
            foreach (var (name, size) in Structures(status))
                smallest[name] = Math.Min(smallest.GetValueOrDefault(name, long.MaxValue), size);
            if (baseline.All(b => smallest.GetValueOrDefault(b.Key, long.MaxValue) <= b.Value + SlackOf(b.Key))) break;
        }
        return smallest;
    }

    /// <summary>
    /// Per map, the keys whose cgroup is gone: the enforcement's cgroup map through its pins, the sensor's per-cgroup
    /// maps of this agent (its programs' maps, never another agent's of the same name) through bpftool. The cgroup
    /// hierarchy is listed before and after, so a cgroup made or removed meanwhile is not miscounted.
    /// </summary>
    private Dictionary<string, HashSet<ulong>> GoneEntries(IReadOnlyList<uint> programs)
    {
        var alive = CgroupIds();
        var maps = new Dictionary<string, List<ulong>>(StringComparer.Ordinal);
        using (var enforcer = KernelEnforcer.Open(Pins)) maps["zde_cgroup"] = [.. enforcer.Cgroups().Keys];
        var ids = programs.SelectMany(p => Bpftool("prog", "show", "id", p.ToString(CultureInfo.InvariantCulture)).GetProperty("map_ids").EnumerateArray().Select(m => m.GetUInt32())).Distinct();
        foreach (var id in ids)
        {
            var name = Bpftool("map", "show", "id", id.ToString(CultureInfo.InvariantCulture)).GetProperty("name").GetString();
            if (name is "zd_watch" or "zd_syscalls")
                maps[name] = [.. Bpftool("map", "dump", "id", id.ToString(CultureInfo.InvariantCulture)).EnumerateArray().Select(Key)];
        }
        Assert.Equal(3, maps.Count);
        alive.UnionWith(CgroupIds());
        return maps.ToDictionary(m => m.Key, m => m.Value.Where(k => !alive.Contains(k)).ToHashSet(), StringComparer.Ordinal);
    }

    /// <summary>A u64 key of a map dump: its bytes (little-endian, as hex strings), or BTF's formatted number.</summary>
    private static ulong Key(JsonElement entry)
    {
        if (entry.TryGetProperty("key", out var key) && key.ValueKind == JsonValueKind.Array)
            return BitConverter.ToUInt64([.. key.EnumerateArray().Take(8).Select(b => Convert.ToByte(b.GetString()!, 16))]);
        return entry.GetProperty("formatted").GetProperty("key").GetUInt64();
    }

    private static JsonElement Bpftool(params string[] args)
    {
        var r = Run("bpftool", ["-j", .. args]);
        Assert.True(r.ExitCode == 0, $"bpftool {string.Join(' ', args)}: {r.Stderr}");
        return JsonDocument.Parse(r.Stdout).RootElement.Clone();
    }

    /// <summary>The ids of the cgroups that exist: a cgroup v2 directory's inode number is its id.</summary>
    private static HashSet<ulong> CgroupIds()
    {
        // A cgroup removed while find walks is an error for find, not for the ids it printed.
        var r = Run("find", ["/sys/fs/cgroup", "-type", "d", "-printf", "%i\\n"]);
        return [.. r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => ulong.Parse(l, CultureInfo.InvariantCulture))];
    }

    /// <summary>FROM scratch: busybox-static and its applets, and a file holding a fresh GUID (an image of this test's own).</summary>
    private void BuildImage()
    {
        var root = _dir.Combine("ctx/root");
        foreach (var d in new[] { "bin", "tmp" }) Directory.CreateDirectory(Path.Combine(root, d));
        File.Copy("/bin/busybox", Path.Combine(root, "bin/busybox"));
        foreach (var applet in new[] { "sh", "cat", "ls", "nc", "echo" })
            File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
        File.WriteAllText(Path.Combine(root, "image-id"), Guid.NewGuid().ToString());
        File.WriteAllText(_dir.Combine("ctx/Containerfile"), "FROM scratch\nCOPY root/ /\n");
        Podman("build", "-q", "-t", Image, _dir.Combine("ctx"));
    }

    public void Dispose()
    {
        if (new RootFactAttribute().Skip is null)
        {
            var names = Run("podman", ["ps", "-a", "--format", "{{.Names}}"]).Stdout.Split('\n').Where(n => n.StartsWith($"zdll-{_suffix}-", StringComparison.Ordinal)).ToArray();
            if (names.Length > 0) Run("podman", ["rm", "-f", "-t", "0", .. names]);
            Run("podman", ["rmi", "-f", Image]);
            if (Directory.Exists(Pins)) Run("dotnet", [Dll, "agent", "--release-enforcement", "--pin-root", Pins]);
        }
        _dir.Dispose();
    }
}

/// <summary>The long-lived node's run alone: the other tests' containers, started and removed by the dozen meanwhile,
/// are not what it measures, and under a loaded run one of them once left this agent's watch flag for a second.</summary>
[CollectionDefinition("long-lived node", DisableParallelization = true)]
public sealed class LongLivedNodeCollection;
