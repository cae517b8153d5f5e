using System.Globalization;
using ZeroDrift.Misconfig.Documents;
using ZeroDrift.Misconfig.Kubernetes;

namespace ZeroDrift.Misconfig.Compose;

/// <summary>The checks over a Compose file (the compose specification: <c>services:</c> with their settings).</summary>
internal static class ComposeChecks
{
    private static readonly HashSet<string> DangerousCapabilities = new(StringComparer.OrdinalIgnoreCase)
    {
        "ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO", "DAC_READ_SEARCH", "SYS_BOOT", "SYS_TIME",
        "BPF", "PERFMON", "MAC_ADMIN", "MAC_OVERRIDE", "SYSLOG", "LINUX_IMMUTABLE", "SYS_RESOURCE", "NET_RAW",
    };

    private static readonly Dictionary<int, string> DatabasePorts = new()
    {
        [5432] = "PostgreSQL", [3306] = "MySQL/MariaDB", [6379] = "Redis", [27017] = "MongoDB", [9200] = "Elasticsearch",
        [9300] = "Elasticsearch transport", [1433] = "SQL Server", [1521] = "Oracle", [5984] = "CouchDB", [9042] = "Cassandra",
        [8086] = "InfluxDB", [11211] = "Memcached", [7687] = "Neo4j", [26257] = "CockroachDB", [2379] = "etcd", [8123] = "ClickHouse",
        [5433] = "PostgreSQL", [33060] = "MySQL X", [6380] = "Redis", [28015] = "RethinkDB",
    };

    private static readonly string[] Sockets =
    [
        "/var/run/docker.sock", "/run/docker.sock", "/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock",
        "/var/run/crio/crio.sock", "/run/crio/crio.sock", "/var/run/podman/podman.sock", "/run/podman/podman.sock",
        "/run/user/1000/podman/podman.sock", "/var/run", "/run",
    ];

    public static bool IsCompose(DocNode? doc) => doc?["services"] is MapNode && !KubernetesChecks.IsResource(doc);

    public static IEnumerable<Issue> Check(DocNode doc)
    {
        foreach (var (name, service) in doc["services"]!.Entries)
        {
            var key = $"services.{name}";
            if (service["privileged"] is { Bool: true } privileged)
                yield return At("ZD-DC-001", privileged, $"service {name} is privileged", $"{key}.privileged");

            foreach (var ns in new[] { "network_mode", "pid", "ipc" })
            {
                if (service[ns] is { Str: "host" } node)
                    yield return At("ZD-DC-002", node, $"service {name} shares the host's {(ns == "network_mode" ? "network" : ns.ToUpperInvariant())} namespace", $"{key}.{ns}");
            }

            var volumes = service["volumes"]?.Items ?? [];
            for (var i = 0; i < volumes.Count; i++)
            {
                var source = volumes[i] is ScalarNode s ? ShortVolumeSource(s.Value) : volumes[i]["source"]?.Str;
                if (source is null) continue;
                var normalized = KubernetesChecks.NormalizePath(source);
                if (Sockets.Contains(normalized))
                    yield return At("ZD-DC-003", volumes[i] is ScalarNode ? volumes[i] : volumes[i]["source"]!, $"service {name} mounts the container runtime socket ({normalized})", $"{key}.volumes[{i}]");
            }

            foreach (var cap in service["cap_add"]?.Items ?? [])
            {
                var c = cap.Str ?? "";
                if (c.StartsWith("CAP_", StringComparison.OrdinalIgnoreCase)) c = c[4..];
                if (DangerousCapabilities.Contains(c))
                    yield return At("ZD-DC-004", cap, $"service {name} adds capability {cap.Str}", $"{key}.cap_add.{c}");
            }

            var env = service["environment"];
            if (env is MapNode envMap)
            {
                foreach (var entry in envMap.Pairs)
                {
                    if (SecretNames.LooksSecret(entry.Key) && entry.Value is ScalarNode { Type: not ScalarType.Null } v && SecretNames.IsLiteral(v.Value))
                        yield return At("ZD-DC-005", v, $"service {name} sets {entry.Key} to a literal value", $"{key}.environment.{entry.Key}");
                }
            }
            else
            {
                foreach (var item in env?.Items ?? [])
                {
                    var text = item.Str ?? "";
                    var eq = text.IndexOf('=', StringComparison.Ordinal);
                    if (eq > 0 && SecretNames.LooksSecret(text[..eq]) && SecretNames.IsLiteral(text[(eq + 1)..]))
                        yield return At("ZD-DC-005", item, $"service {name} sets {text[..eq]} to a literal value", $"{key}.environment.{text[..eq]}");
                }
            }

            var ports = service["ports"]?.Items ?? [];
            for (var i = 0; i < ports.Count; i++)
            {
                var (hostIp, containerFrom, containerTo) = ports[i] is ScalarNode p ? ShortPort(p.Value) : LongPort(ports[i]);
                if (containerFrom is null || hostIp is not (null or "" or "0.0.0.0" or "::" or "[::]")) continue;
                for (var port = containerFrom.Value; port <= containerTo!.Value && port - containerFrom.Value < 65536; port++)
                {
                    if (DatabasePorts.TryGetValue(port, out var db))
                    {
                        yield return At("ZD-DC-006", ports[i], $"service {name} publishes {db} port {port} on all interfaces", $"{key}.ports.{port}");
                        break;
                    }
                }
            }
        }
    }

    /// <summary>The host side of a short volume (<c>/var/run/docker.sock:/var/run/docker.sock:ro</c>); null for named volumes and anonymous ones.</summary>
    internal static string? ShortVolumeSource(string spec)
    {
        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0) return null;
        var source = spec[..colon];
        return source.StartsWith('/') || source.StartsWith('.') || source.StartsWith('~') ? source : null;
    }

    /// <summary>Host IP and container port range of a short port (<c>[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]</c>).</summary>
    internal static (string? HostIp, int? From, int? To) ShortPort(string spec)
    {
        var s = spec.Split('/')[0];
        string? ip = null;
        if (s.StartsWith('['))
        {
            var close = s.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) return (null, null, null);
            ip = s[..(close + 1)];
            s = s[(close + 1)..].TrimStart(':');
        }
        var parts = s.Split(':');
        if (parts.Length == 3) ip = parts[0];
        if (parts.Length > 3) return (null, null, null);
        var (from, to) = Range(parts[^1]);
        return (ip, from, to);
    }

    private static (string? HostIp, int? From, int? To) LongPort(DocNode port)
    {
        var target = port["target"];
        var (from, to) = target is null ? (null, null) : Range(target.Str ?? "");
        return (port["host_ip"]?.Str, from, to);
    }

    private static (int? From, int? To) Range(string s)
    {
        var r = s.Split('-');
        if (r.Length is < 1 or > 2) return (null, null);
        if (!int.TryParse(r[0], NumberStyles.None, CultureInfo.InvariantCulture, out var lo)) return (null, null);
        if (!int.TryParse(r[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var hi) || hi < lo || hi > 65535) return (null, null);
        return (lo, hi);
    }

    private static Issue At(string checkId, DocNode node, string message, string key) =>
        new(checkId, node.Start?.Line ?? 0, node.Start?.Column ?? 0, message, key);
}
