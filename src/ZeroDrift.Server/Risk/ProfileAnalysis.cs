using System.Text.Json;
using ZeroDrift.Server.Client;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Risk;

public sealed record WouldBlock(string Kind, string Path, long FirstSeen);
public sealed record ProfileDiff(string Workload, string Mode, string ReportedMode, IReadOnlyList<WouldBlock> WouldBlock, int AllowedExec, int AllowedFiles);
public sealed record GraphNode(string Id, string Mode, bool Exposed, bool External);
public sealed record GraphEdge(string From, string To, int? Port, string Protocol);
public sealed record ServiceGraph(IReadOnlyList<GraphNode> Nodes, IReadOnlyList<GraphEdge> Edges);

/// <summary>
/// What a workload's learned profile means (docs/server.md, "Profiles"): the <see cref="ProfileModel"/> an agent
/// reports holds <c>exec</c> (executables), <c>files</c> (path prefixes, a trailing <c>/</c> or <c>/**</c> for a tree) and
/// <c>network</c> (<c>{to, port, protocol}</c>, <c>to</c> a workload name or an address). From it: what Protect would
/// have blocked among what was observed, and the service graph.
/// </summary>
public static class ProfileAnalysis
{
    public static async Task<ProfileDiff?> DiffAsync(IServerStore store, string workload, CancellationToken ct)
    {
        var profile = (await store.ProfilesAsync(ct).ConfigureAwait(false)).FirstOrDefault(p => p.Workload == workload);
        var wanted = (await store.WorkloadsAsync(ct).ConfigureAwait(false)).FirstOrDefault(w => w.Name == workload);
        if (profile is null || wanted is null) return null;
        var model = Model(profile);
        var exec = model.Exec.ToHashSet(StringComparer.Ordinal);
        var files = model.Files;
        var result = new List<WouldBlock>();
        foreach (var (path, at) in await store.ObservedPathsAsync(workload, ["exec"], 10_000, ct).ConfigureAwait(false))
            if (!exec.Contains(path)) result.Add(new WouldBlock("exec", path, at));
        if (files.Count > 0)
            foreach (var (path, at) in await store.ObservedPathsAsync(workload, ["file"], 10_000, ct).ConfigureAwait(false))
                if (!files.Any(f => Covers(f, path))) result.Add(new WouldBlock("file", path, at));
        return new ProfileDiff(workload, wanted.Mode, profile.Mode, [.. result.OrderBy(r => r.FirstSeen).ThenBy(r => r.Path, StringComparer.Ordinal)], exec.Count, files.Count);
    }

    internal static bool Covers(string rule, string path) =>
        rule.EndsWith("/**", StringComparison.Ordinal) ? path.StartsWith(rule[..^2], StringComparison.Ordinal)
        : rule.EndsWith('/') ? path.StartsWith(rule, StringComparison.Ordinal)
        : path == rule;

    public static async Task<ServiceGraph> GraphAsync(IServerStore store, CancellationToken ct)
    {
        var workloads = (await store.WorkloadsAsync(ct).ConfigureAwait(false)).ToDictionary(w => w.Name, StringComparer.Ordinal);
        var nodes = workloads.Values.Select(w => new GraphNode(w.Name, w.Mode, w.Exposed, External: false)).ToDictionary(n => n.Id, StringComparer.Ordinal);
        var edges = new List<GraphEdge>();
        foreach (var profile in await store.ProfilesAsync(ct).ConfigureAwait(false))
        {
            foreach (var flow in Model(profile).Network.Take(1000))
            {
                if (flow.To is not { } target) continue;
                if (!nodes.ContainsKey(target)) nodes[target] = new GraphNode(target, "", false, External: true);
                if (!nodes.ContainsKey(profile.Workload)) nodes[profile.Workload] = new GraphNode(profile.Workload, profile.Mode, false, External: false);
                edges.Add(new GraphEdge(profile.Workload, target, flow.Port, flow.Protocol));
            }
        }
        return new ServiceGraph([.. nodes.Values.OrderBy(n => n.Id, StringComparer.Ordinal)], [.. edges.Distinct()]);
    }

    /// <summary>The stored profile read as the agent channel's type (it was stored through it; one stored by a server
    /// from before the type, whose members the type does not read, counts as empty).</summary>
    private static ProfileModel Model(ProfileView profile)
    {
        try
        {
            return JsonSerializer.Deserialize(profile.Body, AgentRecordJson.Default.ProfileModel) ?? new ProfileModel();
        }
        catch (JsonException)
        {
            return new ProfileModel();
        }
    }
}
