using System.Text.Json;

namespace ZeroDrift.Sensor.Attribution;

/// <summary>
/// Whether a container is privileged and what it mounts, from the runtime's own records, as Falco's container
/// engines report them (<c>container.privileged</c>, <c>container.mounts</c>): podman's and docker's inspect
/// (<c>HostConfig.Privileged</c>, <c>Mounts</c>), which is what Falco asks their APIs for; docker's files
/// (<c>hostconfig.json</c>, <c>config.v2.json</c>'s <c>MountPoints</c>); and the OCI runtime spec the runtime hands to
/// runc (<c>config.json</c>), read before the container's first instruction runs.
/// </summary>
public static class RuntimeSecurity
{
    /// <summary>podman's annotation in the OCI spec; its inspect derives <c>HostConfig.Privileged</c> from it.</summary>
    public const string PodmanPrivileged = "io.podman.annotations.privileged";

    private static readonly string[] Propagations = ["rprivate", "private", "rshared", "shared", "rslave", "slave"];

    /// <summary>
    /// Capabilities only a privileged container gets in its bounding set by default (no runtime's default set has
    /// them); with no seccomp filter and no masked paths they say <c>--privileged</c> for a spec without podman's
    /// annotation (containerd, CRI-O).
    /// </summary>
    private static readonly string[] PrivilegedOnly = ["CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_PTRACE", "CAP_NET_ADMIN", "CAP_MAC_ADMIN"];

    /// <summary>
    /// From an OCI runtime spec: privileged (podman's annotation, else the spec's shape) and the bind mounts whose
    /// source lies outside <paramref name="runtimeDirs"/> (the runtime's own per-container files: hosts, resolv.conf,
    /// hostname, .containerenv, shm, which podman's and docker's inspect do not list either).
    /// </summary>
    public static ContainerInfo FromOciSpec(JsonElement spec, ContainerInfo info, IReadOnlyList<string> runtimeDirs)
    {
        if (spec.ValueKind != JsonValueKind.Object) return info;
        bool? privileged = null;
        if (spec.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object
            && a.TryGetProperty(PodmanPrivileged, out var p) && p.ValueKind == JsonValueKind.String)
            privileged = string.Equals(p.GetString(), "TRUE", StringComparison.OrdinalIgnoreCase);
        // A spec without a process or a mount list says nothing about them: left unknown.
        if (privileged is null && spec.TryGetProperty("process", out var process) && process.ValueKind == JsonValueKind.Object)
            privileged = SpecLooksPrivileged(spec);
        List<ContainerMount>? mounts = null;
        if (spec.TryGetProperty("mounts", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            mounts = [];
            foreach (var m in list.EnumerateArray())
            {
                if (mounts.Count >= 256) break;
                var options = Strings(m, "options");
                var isBind = Str(m, "type") == "bind" || options.Contains("bind") || options.Contains("rbind");
                if (!isBind || Str(m, "source") is not { Length: > 0 } source || Str(m, "destination") is not { Length: > 0 } dest) continue;
                if (runtimeDirs.Any(d => source == d || source.StartsWith(d.TrimEnd('/') + "/", StringComparison.Ordinal))) continue;
                mounts.Add(new ContainerMount(source, dest, "", !options.Contains("ro"), Propagations.FirstOrDefault(options.Contains) ?? ""));
            }
        }
        return info with { Privileged = privileged ?? info.Privileged, Mounts = mounts ?? info.Mounts };
    }

    private static bool SpecLooksPrivileged(JsonElement spec)
    {
        if (!spec.TryGetProperty("process", out var process) || !process.TryGetProperty("capabilities", out var caps)) return false;
        var bounding = Strings(caps, "bounding");
        if (!PrivilegedOnly.All(bounding.Contains)) return false;
        if (!spec.TryGetProperty("linux", out var linux) || linux.ValueKind != JsonValueKind.Object) return true;
        if (linux.TryGetProperty("seccomp", out var seccomp) && seccomp.ValueKind == JsonValueKind.Object) return false;
        return Strings(linux, "maskedPaths").Count == 0;
    }

    /// <summary>
    /// From a docker-style inspect (podman's inspect and docker's Engine API: <c>HostConfig.Privileged</c>, a
    /// <c>Mounts</c> array) or docker's <c>config.v2.json</c> (<c>MountPoints</c>, keyed by destination). What the record
    /// does not say is left as it was.
    /// </summary>
    public static ContainerInfo FromInspect(JsonElement c, ContainerInfo info)
    {
        if (c.ValueKind != JsonValueKind.Object) return info;
        if (c.TryGetProperty("HostConfig", out var host) && host.ValueKind == JsonValueKind.Object
            && host.TryGetProperty("Privileged", out var p) && p.ValueKind is JsonValueKind.True or JsonValueKind.False)
            info = info with { Privileged = p.GetBoolean() };
        var mounts = new List<ContainerMount>();
        if (c.TryGetProperty("Mounts", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var m in list.EnumerateArray().Take(256))
                if (Mount(m) is { } mount) mounts.Add(mount);
        }
        else if (c.TryGetProperty("MountPoints", out var points) && points.ValueKind == JsonValueKind.Object)
        {
            foreach (var m in points.EnumerateObject().Take(256))
                if (Mount(m.Value) is { } mount) mounts.Add(mount);
        }
        else
        {
            return info;
        }
        return info with { Mounts = mounts };
    }

    /// <summary>docker's <c>hostconfig.json</c>: <c>{"Privileged": true, …}</c>.</summary>
    public static ContainerInfo FromDockerHostConfig(JsonElement hostConfig, ContainerInfo info) =>
        hostConfig.ValueKind == JsonValueKind.Object && hostConfig.TryGetProperty("Privileged", out var p) && p.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? info with { Privileged = p.GetBoolean() }
            : info;

    private static ContainerMount? Mount(JsonElement m)
    {
        if (m.ValueKind != JsonValueKind.Object || Str(m, "Destination") is not { Length: > 0 } dest) return null;
        var rw = !m.TryGetProperty("RW", out var r) || r.ValueKind != JsonValueKind.False;
        return new ContainerMount(Str(m, "Source") ?? "", dest, Str(m, "Mode") ?? "", rw, Str(m, "Propagation") ?? "");
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static List<string> Strings(JsonElement e, string name)
    {
        var values = new List<string>();
        if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array)
            foreach (var item in v.EnumerateArray().Take(512))
                if (item.ValueKind == JsonValueKind.String) values.Add(item.GetString()!);
        return values;
    }
}
