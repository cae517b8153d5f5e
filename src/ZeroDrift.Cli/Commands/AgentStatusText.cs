using System.Globalization;
using System.Text;
using ZeroDrift.Agent;
using ZeroDrift.Sensor.Output;

namespace ZeroDrift.Cli.Commands;

/// <summary>The human form of <c>zerodrift agent status</c>: plain aligned text, stable enough to grep.</summary>
public static class AgentStatusText
{
    public static string Render(AgentStatus s, TimeSpan age)
    {
        var c = CultureInfo.InvariantCulture;
        var b = new StringBuilder();
        b.AppendLine(c, $"agent: running, pid {s.Pid}, up {Up(s.UpdatedAt - s.StartedAt)}, status {age.TotalSeconds:0.0} s old, RSS {s.RssBytes / (1024 * 1024)} MiB");
        b.AppendLine(c, $"attached: {s.Attached.Count} programs: {string.Join(", ", s.Attached)}");
        b.AppendLine(c, $"syscall results: {s.SyscallExitHook}");
        b.AppendLine(c, $"reader thread: {s.PollerScheduling}");
        var percent = s.RingBufferBytes > 0 ? 100.0 * s.RingBufferHighWaterBytes / s.RingBufferBytes : 0;
        b.AppendLine(c, $"ring buffer: {s.RingBufferBytes / 1024} KiB, peak use in the last interval {s.RingBufferHighWaterBytes / 1024.0:0.#} KiB ({percent:0.##}%)");
        if (s.LatencyP99Us > 0) b.AppendLine(c, $"latency kernel to user space: p99 {s.LatencyP99Us / 1000:0.##} ms (since the previous update)");
        else b.AppendLine("latency kernel to user space: no record since the previous update");
        Enforcement(b, s.Enforcement);
        b.AppendLine(c, $"{"events",-9} {"per second",12} {"received",12} {"lost",10}");
        foreach (var (type, received) in s.Received)
            b.AppendLine(c, $"{type,-9} {s.PerSecond.GetValueOrDefault(type),12:0.#} {received,12} {s.Lost.GetValueOrDefault(type),10}");
        b.AppendLine(c, $"{"total",-9} {s.PerSecond.Values.Sum(),12:0.#} {s.Received.Values.Sum(),12} {s.Lost.Values.Aggregate(0UL, (a, v) => a + v),10}");
        if (s.Malformed > 0) b.AppendLine(c, $"malformed records: {s.Malformed}");
        b.AppendLine(c, $"containers known: {s.Containers.Count} (and {s.HostCgroups} host cgroups)");
        if (s.Structures is { Count: > 0 } kept)
            b.AppendLine(c, $"agent keeps: {string.Join(", ", kept.Select(k => $"{k.Key} {k.Value}"))}");
        foreach (var k in s.Containers)
        {
            var id = k.Id.Length > 12 ? k.Id[..12] : k.Id;
            var pod = k.Pod is null ? "" : $" pod {k.Namespace}/{k.Pod}";
            b.AppendLine(c, $"  {id} {k.Runtime,-10} {k.Name ?? "-"} {k.Image ?? "-"}{pod}");
        }
        return b.ToString();
    }

    /// <summary>How Protect is carried out, said first, with why when it is not the kernel: a degraded agent is never silent.</summary>
    private static void Enforcement(StringBuilder b, StatusEnforcement? e)
    {
        var c = CultureInfo.InvariantCulture;
        if (e is null)
        {
            b.AppendLine("enforcement: not reported by this agent");
            return;
        }
        b.AppendLine(e.Mode switch
        {
            "kernel" => "enforcement: kernel (an exec outside the profile is killed before its first instruction, a connect refused)",
            "user-space" => $"enforcement: user-space response, {UserSpaceEnforcement.BestEffort}",
            "none" => "enforcement: none (Protect only alerts)",
            var other => $"enforcement: {other}",
        });
        if (e.Reason is { } why) b.AppendLine(c, $"  why: {why}");
        if (e.PinRoot is { } pins) b.AppendLine(c, $"  pin root: {pins} (BPF filesystem {(e.MountedBpfFs ? "mounted by the agent" : "mounted before the agent")})");
        else b.AppendLine(c, $"  BPF filesystem: {(e.MountedBpfFs ? "mounted by the agent" : "not used")}");
        if (e.DriftPrevention is { } drift) b.AppendLine(c, $"  drift prevention: {drift}");
        b.AppendLine(c, $"  containers protected: {e.ContainersProtected}, kernel blocks: {e.KernelBlocks}, user-space kills: {e.UserSpaceKills}");
    }

    private static string Up(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:00}s" : $"{t.TotalSeconds:0}s";
}
