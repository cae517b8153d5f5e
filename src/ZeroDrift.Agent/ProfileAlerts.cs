using System.Globalization;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Runtime.Rules.Reference;

namespace ZeroDrift.Agent;

/// <summary>
/// The behaviour engine's deviations as Falco-shaped alerts, one rule name per kind of deviation, so that
/// Falcosidekick routes them like any rule's alert. MITRE ATT&amp;CK tags say what such a deviation usually is.
/// </summary>
public static class ProfileAlerts
{
    public static string RuleName(DeviationKind kind) => kind switch
    {
        DeviationKind.Drift => "ZeroDrift Drift: Executable Not From the Image",
        DeviationKind.Process => "ZeroDrift Process Outside the Profile",
        DeviationKind.File => "ZeroDrift File Access Outside the Profile",
        DeviationKind.Network => "ZeroDrift Connection Outside the Profile",
        DeviationKind.Syscall => "ZeroDrift System Call Outside the Profile",
        _ => "ZeroDrift Capability Outside the Profile",
    };

    private static IReadOnlyList<string> Tags(DeviationKind kind) => kind switch
    {
        DeviationKind.Drift => ["zerodrift", "profile", "drift", "mitre_execution", "mitre_defense_evasion", "T1105", "T1036"],
        DeviationKind.Process => ["zerodrift", "profile", "process", "mitre_execution", "T1059"],
        DeviationKind.File => ["zerodrift", "profile", "filesystem", "mitre_collection", "T1005"],
        DeviationKind.Network => ["zerodrift", "profile", "network", "mitre_command_and_control", "T1071"],
        DeviationKind.Syscall => ["zerodrift", "profile", "syscall", "mitre_privilege_escalation", "T1068"],
        _ => ["zerodrift", "profile", "capability", "mitre_privilege_escalation", "T1548"],
    };

    public static Alert Create(Verdict verdict, long unixTimeNs, string hostname, ProcessInfo? process, ContainerInfo? container, string? workload, string? target,
        string? exeSha256 = null)
    {
        var kind = verdict.Deviation ?? DeviationKind.Process;
        var priority = kind == DeviationKind.Drift || verdict.Action == EngineAction.Block ? Priority.Critical : Priority.Warning;
        var time = DateTimeOffset.FromUnixTimeMilliseconds(unixTimeNs / 1_000_000);
        var fields = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["container.id"] = container?.Id ?? "host",
            ["container.name"] = container?.Name ?? "host",
            ["container.image"] = container?.Image,
            ["container.image.digest"] = container?.ImageDigest,
            ["proc.name"] = process?.Name,
            ["proc.exepath"] = process?.ExePath,
            ["proc.pid"] = process?.Pid,
            ["proc.cmdline"] = process?.CommandLine,
            ["user.uid"] = process?.Uid,
            ["user.name"] = process?.UserName,
            ["zerodrift.exe_sha256"] = exeSha256,
            ["fd.name"] = target,
            ["zerodrift.workload"] = workload,
            ["zerodrift.mode"] = verdict.Mode.ToString().ToLowerInvariant(),
        };
        var output = string.Create(CultureInfo.InvariantCulture,
            $"{time:HH:mm:ss}.{unixTimeNs % 1_000_000_000:D9}: {priority} {verdict.Reason} (workload={workload ?? "<NA>"} mode={verdict.Mode.ToString().ToLowerInvariant()} container={container?.Name ?? "host"} image={container?.Image ?? "<NA>"} proc={process?.Name ?? "<NA>"} pid={process?.Pid.ToString(CultureInfo.InvariantCulture) ?? "<NA>"})");
        return new Alert(unixTimeNs, RuleName(kind), priority, output, fields, "syscall", Tags(kind), hostname);
    }
}
