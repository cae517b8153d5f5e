using System.Text.Json.Nodes;

namespace ZeroDrift.Supply.Policy;

/// <summary>One container of a pod spec, with the JSON Pointer of its <c>image</c> field for patches.</summary>
public sealed record ContainerRef(string Kind, string Name, string Image, string Pointer, JsonObject Spec);

/// <summary>A Kubernetes object with a pod spec: a Pod, or a kind with a pod template.</summary>
/// <param name="SpecPointer">JSON Pointer of the pod spec inside the object (<c>/spec</c>, <c>/spec/template/spec</c>, …).</param>
/// <param name="PodMetadata">The metadata next to the pod spec (the Pod's own, or the template's): its annotations carry
/// AppArmor profiles, which Pod Security Standards judge.</param>
public sealed record Workload(string Kind, string Name, string? Namespace, JsonObject PodSpec, string SpecPointer, JsonObject? PodMetadata = null)
{
    /// <summary>Where each kind keeps its pod spec. CronJob nests a job template.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> PodSpecPaths = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["Pod"] = ["spec"],
        ["Deployment"] = ["spec", "template", "spec"],
        ["ReplicaSet"] = ["spec", "template", "spec"],
        ["StatefulSet"] = ["spec", "template", "spec"],
        ["DaemonSet"] = ["spec", "template", "spec"],
        ["Job"] = ["spec", "template", "spec"],
        ["ReplicationController"] = ["spec", "template", "spec"],
        ["PodTemplate"] = ["template", "spec"],
        ["CronJob"] = ["spec", "jobTemplate", "spec", "template", "spec"],
    };

    private static readonly string[] ContainerLists = ["initContainers", "containers", "ephemeralContainers"];

    /// <summary>The workload in a Kubernetes object, or null when its kind carries no pod spec.</summary>
    public static Workload? From(JsonObject obj)
    {
        var kind = obj["kind"] is JsonValue k && k.TryGetValue<string>(out var s) ? s : "";
        if (!PodSpecPaths.TryGetValue(kind, out var path)) return null;
        JsonNode? node = obj;
        foreach (var step in path) node = node is JsonObject o ? o[step] : null;
        if (node is not JsonObject spec) throw new SupplyException($"{kind}: no pod spec at /{string.Join('/', path)}");
        JsonNode? podMetadata = obj;
        foreach (var step in path.AsSpan(0, path.Length - 1)) podMetadata = podMetadata is JsonObject o ? o[step] : null;
        var metadata = obj["metadata"] as JsonObject;
        return new Workload(kind, Str(metadata?["name"]) ?? Str(metadata?["generateName"]) ?? "", Str(metadata?["namespace"]), spec, "/" + string.Join('/', path),
            podMetadata?["metadata"] as JsonObject);
    }

    public IEnumerable<ContainerRef> Containers()
    {
        foreach (var list in ContainerLists)
        {
            if (PodSpec[list] is not JsonArray containers) continue;
            for (var i = 0; i < containers.Count; i++)
                if (containers[i] is JsonObject c)
                    yield return new ContainerRef(list, Str(c["name"]) ?? $"{list}[{i}]", Str(c["image"]) ?? "", $"{SpecPointer}/{list}/{i}", c);
        }
    }

    /// <summary>The string a JSON node holds, or null for anything else.</summary>
    public static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
