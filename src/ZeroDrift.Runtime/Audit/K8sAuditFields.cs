using System.Text.Json;
using ZeroDrift.Runtime.Rules;

namespace ZeroDrift.Runtime.Audit;

/// <summary>
/// The k8saudit plugin's <c>ka.*</c> fields over <see cref="K8sAuditEvent"/>, with the plugin's semantics
/// (falcosecurity/plugins, plugins/k8saudit/pkg/k8saudit/extract.go): keys followed into the event, non-string values
/// as their JSON text (<c>ka.response.code</c> is "200"), list fields expanding arrays on the way and skipping
/// elements without the value, an optional index (<c>ka.req.pod.containers.image[0]</c>) picking one element.
/// List fields compare as Falco's lists: <c>in</c> holds when every value is in the set, <c>intersects</c> when one is.
/// </summary>
public static class K8sAuditFields
{
    private static readonly string[] Containers = ["containers", "initContainers", "ephemeralContainers"];
    private static int _slots;

    internal static int ListSlots => _slots;

    private static readonly Lazy<FieldTable<K8sAuditEvent>> Shared = new(Build);

    /// <summary>The table, built once (it holds no state per event).</summary>
    public static FieldTable<K8sAuditEvent> Table => Shared.Value;

    private static FieldTable<K8sAuditEvent> Build()
    {
        var t = new FieldTable<K8sAuditEvent>();
        var slot = 0;
        t.Add("ka.auditid", e => e.AuditId);
        t.Add("ka.stage", e => e.Stage);
        t.Add("ka.auth.decision", e => e.AuthDecision);
        t.Add("ka.auth.reason", e => e.AuthReason);
        t.Add("ka.user.name", e => e.UserName);
        Keys(t, ref slot, "ka.user.groups", "user", "groups");
        t.Add("ka.impuser.name", e => Text(e, "impersonatedUser", "username"));
        t.Add("ka.verb", e => e.Verb);
        t.Add("ka.uri", e => e.Uri);
        t.AddKeyed("ka.uri.param", (e, key) => UriParameter(e.Uri, key));
        t.Add("ka.target.name", e => e.Name);
        t.Add("ka.target.namespace", e => e.Namespace);
        t.Add("ka.target.resource", e => e.Resource);
        t.Add("ka.target.subresource", e => e.Subresource);
        Keys(t, ref slot, "ka.req.binding.subjects", "requestObject", "subjects");
        t.Add("ka.req.binding.role", e => Text(e, "requestObject", "roleRef", "name"));
        // Deprecated in the plugin, which answers "true" for any argument.
        t.AddKeyed("ka.req.binding.subject.has_name", (e, _) => "true");
        t.Add("ka.req.configmap.name", e => e.Name);
        t.Add("ka.req.configmap.obj", e => Text(e, "requestObject", "data"));
        foreach (var kind in Containers)
        {
            var prefix = kind == "containers" ? "ka.req.pod.containers" : $"ka.req.pod.{kind}";
            Indexed(t, ref slot, $"{prefix}.image", (e, i) => Images(e, kind, i, repository: false));
            Indexed(t, ref slot, $"{prefix}.image.repository", (e, i) => Images(e, kind, i, repository: true));
            Indexed(t, ref slot, $"{prefix}.privileged", (e, i) => Values(e, i, "requestObject", "spec", kind, "securityContext", "privileged"));
            Indexed(t, ref slot, $"{prefix}.host_port", (e, i) => HostPorts(e, kind, i));
            Indexed(t, ref slot, $"{prefix}.allow_privilege_escalation", (e, i) => Values(e, i, "requestObject", "spec", kind, "securityContext", "allowPrivilegeEscalation"));
            Indexed(t, ref slot, $"{prefix}.read_only_fs", (e, i) => Values(e, i, "requestObject", "spec", kind, "securityContext", "readOnlyRootFilesystem"));
            Indexed(t, ref slot, $"{prefix}.run_as_user", (e, i) => Values(e, i, "requestObject", "spec", kind, "securityContext", "runAsUser"));
            Indexed(t, ref slot, $"{prefix}.run_as_group", (e, i) => Values(e, i, "requestObject", "spec", kind, "securityContext", "runAsGroup"));
            Indexed(t, ref slot, $"{prefix}.eff_run_as_user", (e, i) => Effective(e, kind, i, "runAsUser"));
            Indexed(t, ref slot, $"{prefix}.eff_run_as_group", (e, i) => Effective(e, kind, i, "runAsGroup"));
            Indexed(t, ref slot, $"{prefix}.proc_mount", (e, i) => Values(e, i, "requestObject", "spec", kind, "securityContext", "procMount"));
            Indexed(t, ref slot, $"{prefix}.add_capabilities", (e, i) => Values(e, i, "requestObject", "spec", kind, "securityContext", "capabilities", "add"));
        }
        t.Add("ka.req.container.image", e => Images(e, "containers", 0, repository: false) is [var first, ..] ? first : null);
        t.Add("ka.req.container.image.repository", e => Images(e, "containers", 0, repository: true) is [var first, ..] ? first : null);
        t.Add("ka.req.container.privileged", e => JsonValues.Collect(e.Root, -1, "requestObject", "spec", "containers", "securityContext", "privileged") is { } v
            ? v.Any(p => p.ValueKind == JsonValueKind.True) ? "true" : "false"
            : null);
        t.Add("ka.req.pod.host_ipc", e => Text(e, "requestObject", "spec", "hostIPC"));
        t.Add("ka.req.pod.host_network", e => Text(e, "requestObject", "spec", "hostNetwork"));
        t.Add("ka.req.container.host_network", e => Text(e, "requestObject", "spec", "hostNetwork"));
        t.Add("ka.req.pod.host_pid", e => Text(e, "requestObject", "spec", "hostPID"));
        t.Add("ka.req.pod.run_as_user", e => Text(e, "requestObject", "spec", "securityContext", "runAsUser"));
        t.Add("ka.req.pod.run_as_group", e => Text(e, "requestObject", "spec", "securityContext", "runAsGroup"));
        t.Add("ka.req.pod.fs_group", e => Text(e, "requestObject", "spec", "securityContext", "fsGroup"));
        Keys(t, ref slot, "ka.req.pod.supplemental_groups", "requestObject", "spec", "securityContext", "supplementalGroups");
        Keys(t, ref slot, "ka.req.role.rules", "requestObject", "rules");
        foreach (var part in new[] { "apiGroups", "nonResourceURLs", "verbs", "resources" })
            Indexed(t, ref slot, $"ka.req.role.rules.{part}", (e, i) => RuleValues(e, i, part));
        t.Add("ka.req.service.type", e => Text(e, "requestObject", "spec", "type"));
        Indexed(t, ref slot, "ka.req.service.ports", (e, i) => Values(e, i, "requestObject", "spec", "ports"));
        Indexed(t, ref slot, "ka.req.pod.volumes.hostpath", (e, i) => Values(e, i, "requestObject", "spec", "volumes", "hostPath", "path"));
        Indexed(t, ref slot, "ka.req.pod.volumes.flexvolume_driver", (e, i) => Values(e, i, "requestObject", "spec", "volumes", "flexVolume", "driver"));
        Indexed(t, ref slot, "ka.req.pod.volumes.volume_type", (e, i) => VolumeTypes(e, i));
        t.AddKeyed("ka.req.volume.hostpath", (e, key) => VolumeHostPath(e, key));
        t.Add("ka.resp.name", e => Text(e, "responseObject", "metadata", "name"));
        t.Add("ka.response.code", e => e.ResponseCode);
        t.Add("ka.response.reason", e => Text(e, "responseStatus", "reason"));
        t.Add("ka.useragent", e => Text(e, "userAgent"));
        Indexed(t, ref slot, "ka.sourceips", (e, i) => Values(e, i, "sourceIPs"));
        JsonFields.AddTo(t, e => e.Root, e => e.Json, e => e.Number, e => e.TimeNs);
        // Every rule of the file starts with jevt.value[/stage] (macro kevt): answer it from the stage read once,
        // not with a pointer walk and a new string per rule.
        var pointer = JsonFields.PointerText<K8sAuditEvent>(e => e.Root);
        foreach (var name in new[] { "jevt.value", "json.value" })
            t.AddKeyed(name, (e, p) => p == "/stage" ? e.Stage : pointer(e, p), description: "the value at a JSON pointer (json plugin)");
        _slots = slot;
        return t;
    }

    private static string? Text(K8sAuditEvent e, params string[] keys) => JsonValues.AsText(JsonValues.Get(e.Root, keys));

    /// <summary>A list read at fixed keys (the plugin's extractFromKeys on a list field): null unless an array.</summary>
    private static void Keys(FieldTable<K8sAuditEvent> t, ref int slot, string name, params string[] keys)
    {
        var mine = slot++;
        t.AddList(name, e => e.List(mine, ev => JsonValues.Get(ev.Root, keys) is { ValueKind: JsonValueKind.Array } a
            ? JsonValues.Texts([.. a.EnumerateArray()])
            : null), ListMatch.Set);
    }

    /// <summary>
    /// A list field that also takes an index: bare it is every value (read once per event), <c>[N]</c> the value of
    /// element N only (the plugin's index filter).
    /// </summary>
    private static void Indexed(FieldTable<K8sAuditEvent> t, ref int slot, string name, Func<K8sAuditEvent, int, IReadOnlyList<string>?> read)
    {
        var mine = slot++;
        t.AddIndexed(name, (e, i) => read(e, i) is [var one, ..] ? one : null, e => e.List(mine, ev => read(ev, -1)), match: ListMatch.Set);
    }

    private static IReadOnlyList<string>? Values(K8sAuditEvent e, int index, params string[] keys) =>
        JsonValues.Collect(e.Root, index, keys) is { } found ? JsonValues.Texts(found) : null;

    /// <summary>Images: a container without one makes the whole field unavailable, as in the plugin (arrayAsStrings).</summary>
    private static IReadOnlyList<string>? Images(K8sAuditEvent e, string kind, int index, bool repository)
    {
        if (JsonValues.Collect(e.Root, index, "requestObject", "spec", kind, "image") is not { } found) return null;
        var images = new List<string>(found.Count);
        foreach (var v in found)
        {
            if (JsonValues.AsText(v) is not { } image) return null;
            // The plugin's repository: up to the first ':' (which cuts a registry's port too), then up to '@'.
            images.Add(repository ? image.Split(':')[0].Split('@')[0] : image);
        }
        return images;
    }

    private static IReadOnlyList<string>? HostPorts(K8sAuditEvent e, string kind, int index)
    {
        if (JsonValues.Collect(e.Root, index, "requestObject", "spec", kind, "ports") is not { } lists) return null;
        var ports = new List<string>();
        foreach (var list in lists)
        {
            if (list.ValueKind == JsonValueKind.Undefined) continue;
            if (list.ValueKind != JsonValueKind.Array) return null;
            foreach (var port in list.EnumerateArray())
            {
                // With hostNetwork the containerPort is the host's port.
                var value = JsonValues.Get(port, "hostPort") ?? JsonValues.Get(port, "containerPort");
                if (JsonValues.AsText(value) is { } text) ports.Add(text);
            }
        }
        return ports;
    }

    /// <summary>The uid or gid a container starts with: its own, else the pod's, else 0.</summary>
    private static IReadOnlyList<string>? Effective(K8sAuditEvent e, string kind, int index, string key)
    {
        var pod = Text(e, "requestObject", "spec", key) ?? "0";
        if (JsonValues.Collect(e.Root, index, "requestObject", "spec", kind, key) is not { } found) return null;
        return [.. found.Select(v => JsonValues.AsText(v) ?? pod)];
    }

    private static IReadOnlyList<string>? RuleValues(K8sAuditEvent e, int index, string part)
    {
        if (JsonValues.Collect(e.Root, index, "requestObject", "rules", part) is not { } found) return null;
        var values = new List<string>();
        foreach (var v in found)
            if (v.ValueKind == JsonValueKind.Array) values.AddRange(JsonValues.Texts([.. v.EnumerateArray()]));
        return values;
    }

    private static IReadOnlyList<string>? VolumeTypes(K8sAuditEvent e, int index)
    {
        if (JsonValues.Get(e.Root, "requestObject", "spec", "volumes") is not { ValueKind: JsonValueKind.Array } volumes) return null;
        var types = new List<string>();
        var i = 0;
        foreach (var volume in volumes.EnumerateArray())
        {
            if ((index < 0 || i++ == index) && volume.ValueKind == JsonValueKind.Object)
                foreach (var p in volume.EnumerateObject())
                    if (p.Name != "name") types.Add(p.Name);
        }
        return types;
    }

    /// <summary>Deprecated in the plugin: "true" when a hostPath volume has this path (a trailing '*' matches a prefix).</summary>
    private static string? VolumeHostPath(K8sAuditEvent e, string key)
    {
        if (Values(e, -1, "requestObject", "spec", "volumes", "hostPath", "path") is not { } paths) return null;
        var prefix = key.EndsWith('*') ? key[..^1] : null;
        return paths.Any(p => prefix is not null ? p.StartsWith(prefix, StringComparison.Ordinal) : p == key) ? "true" : "false";
    }

    /// <summary>The first value of a query parameter of the request URI, decoded.</summary>
    internal static string? UriParameter(string? uri, string key)
    {
        if (uri is null) return null;
        var q = uri.IndexOf('?');
        if (q < 0) return null;
        foreach (var pair in uri[(q + 1)..].Split('&'))
        {
            var eq = pair.IndexOf('=');
            var name = Decode(eq < 0 ? pair : pair[..eq]);
            if (name == key) return Decode(eq < 0 ? "" : pair[(eq + 1)..]);
        }
        return null;
    }

    private static string Decode(string s)
    {
        try
        {
            return Uri.UnescapeDataString(s.Replace('+', ' '));
        }
        catch (UriFormatException)
        {
            return s;
        }
    }
}
