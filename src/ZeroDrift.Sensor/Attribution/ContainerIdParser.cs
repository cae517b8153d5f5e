using System.Text.RegularExpressions;

namespace ZeroDrift.Sensor.Attribution;

/// <summary>The container a cgroup path names, as the runtime that made it spells it.</summary>
public sealed record CgroupContainer(string Runtime, string Id, string? PodUid);

/// <summary>
/// Reads a container id from a cgroup path. Forms recognised (the last matching segment wins, since nested
/// runtimes put the innermost container last):
/// podman <c>/libpod_parent/libpod-&lt;id&gt;</c> and <c>machine.slice/libpod-&lt;id&gt;.scope</c>;
/// docker <c>/docker/&lt;id&gt;</c> and <c>docker-&lt;id&gt;.scope</c>;
/// containerd/CRI <c>cri-containerd-&lt;id&gt;.scope</c> and cgroupfs <c>/kubepods/…/pod&lt;uid&gt;/&lt;id&gt;</c>;
/// CRI-O <c>crio-&lt;id&gt;.scope</c>; and the systemd-style cgroupsPath a runtime on the cgroupfs driver writes
/// literally (<c>/system.slice/containerd.service/kubepods-…-pod&lt;uid&gt;.slice:cri-containerd:&lt;id&gt;</c>, same with
/// <c>crio</c> and <c>docker</c>). Runtime helpers (<c>libpod-conmon-…</c>, <c>crio-conmon-…</c>) are not containers.
/// </summary>
public static partial class ContainerIdParser
{
    [GeneratedRegex("^(?:libpod-(?<libpod>[0-9a-f]{64})|docker-(?<docker>[0-9a-f]{64})|cri-containerd-(?<containerd>[0-9a-f]{64})|crio-(?<crio>[0-9a-f]{64}))(?:\\.scope)?$", RegexOptions.CultureInvariant)]
    private static partial Regex ScopeForm();

    [GeneratedRegex("^(?<slice>[^:]*):(?<prefix>cri-containerd|crio|docker):(?<id>[0-9a-f]{64})$", RegexOptions.CultureInvariant)]
    private static partial Regex SystemdPathForm();

    [GeneratedRegex("^[0-9a-f]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex BareId();

    [GeneratedRegex("pod(?<uid>[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\\.slice)?$", RegexOptions.CultureInvariant)]
    private static partial Regex PodSegment();

    public static CgroupContainer? Parse(string cgroupPath)
    {
        if (string.IsNullOrEmpty(cgroupPath) || cgroupPath.Length > 4096) return null;
        var segments = cgroupPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        string? podUid = null;
        CgroupContainer? found = null;
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var literal = SystemdPathForm().Match(segment);
            if (literal.Success)
            {
                var slicePod = PodSegment().Match(literal.Groups["slice"].Value);
                if (slicePod.Success) podUid = slicePod.Groups["uid"].Value.Replace('_', '-');
                var runtime = literal.Groups["prefix"].Value switch { "cri-containerd" => "containerd", "crio" => "cri-o", _ => "docker" };
                found = new CgroupContainer(runtime, literal.Groups["id"].Value, podUid);
                continue;
            }
            var pod = PodSegment().Match(segment);
            if (pod.Success) podUid = pod.Groups["uid"].Value.Replace('_', '-');
            var scope = ScopeForm().Match(segment);
            if (scope.Success)
            {
                var runtime = scope.Groups["libpod"].Success ? "podman"
                    : scope.Groups["docker"].Success ? "docker"
                    : scope.Groups["containerd"].Success ? "containerd" : "cri-o";
                var id = scope.Groups["libpod"].Success ? scope.Groups["libpod"].Value
                    : scope.Groups["docker"].Success ? scope.Groups["docker"].Value
                    : scope.Groups["containerd"].Success ? scope.Groups["containerd"].Value : scope.Groups["crio"].Value;
                found = new CgroupContainer(runtime, id, podUid);
                continue;
            }
            if (BareId().IsMatch(segment) && i > 0)
            {
                var parent = segments[i - 1];
                if (parent == "docker") found = new CgroupContainer("docker", segment, podUid);
                else if (podUid is not null && PodSegment().IsMatch(parent)) found = new CgroupContainer("containerd", segment, podUid);
            }
        }
        return found is null ? null : found with { PodUid = podUid };
    }
}
