using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.Agent;

/// <summary>How the loop treats workloads: the mode of a workload without a profile, learning, host processes, timing.</summary>
public sealed record AgentOptions
{
    /// <summary>The mode given to a workload that has no profile yet.</summary>
    public ProfileMode DefaultMode { get; init; } = ProfileMode.Learn;

    public LearningPolicy Learning { get; init; } = LearningPolicy.Default;

    public HostPolicy Host { get; init; } = HostPolicy.Rules;

    /// <summary>How often mode switches made with <c>zerodrift profile mode</c> are picked up, learning is saved and
    /// quiet periods are checked: at most this long plus one poll until a switch applies (the contract is 2 s).</summary>
    public TimeSpan SyncInterval { get; init; } = TimeSpan.FromSeconds(1);

    public string Hostname { get; init; } = Environment.MachineName;

    /// <summary>Upload exec, open and network events of containers to the server (with an uplink).</summary>
    public bool UploadEvents { get; init; } = true;
}
