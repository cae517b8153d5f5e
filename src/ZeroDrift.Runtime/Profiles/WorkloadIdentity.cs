namespace ZeroDrift.Runtime.Profiles;

/// <summary>
/// Who a profile belongs to: the image (by digest, so a new image version gets a new profile) and the workload
/// running it (its Kubernetes owner such as <c>shop/Deployment/cart</c> when known, else the container-name
/// pattern with replica suffixes folded), so that replicas share one profile.
/// </summary>
public sealed record WorkloadIdentity(string Workload, string ImageDigest, string? ImageName = null)
{
    /// <summary>The stable key profiles are stored under.</summary>
    public string Key => $"{Workload}@{ImageDigest}";

    /// <summary>
    /// The workload name of a container outside Kubernetes: replica suffixes (<c>-1</c>, <c>_2</c>, a trailing
    /// hash such as <c>-7f9c4d</c>) are folded so that <c>web-1</c> and <c>web-2</c> share a profile.
    /// </summary>
    public static string FromContainerName(string name)
    {
        var parts = name.Split(['-', '_', '.'], StringSplitOptions.None);
        var keep = parts.Length;
        while (keep > 1 && IsReplicaSuffix(parts[keep - 1])) keep--;
        return string.Join('-', parts[..keep]);
    }

    /// <summary>
    /// The workload of containers whose names the runtime generated (<see cref="GeneratedContainerName"/>): the image's
    /// name, its repository's last component without registry, tag or digest (<c>localhost/shop/web:1.4</c> → <c>web</c>),
    /// so that every <c>podman run IMAGE</c> without <c>--name</c> is the same workload. An image given by id (or no
    /// reference) gives its first 12 hex digits. Null when there is nothing to name it by.
    /// </summary>
    public static string? FromImageReference(string? image)
    {
        if (string.IsNullOrEmpty(image)) return null;
        var at = image.IndexOf('@');
        var name = at >= 0 ? image[..at] : image;
        if (name.StartsWith("sha256:", StringComparison.Ordinal)) name = name["sha256:".Length..];
        var slash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        if (colon > slash) name = name[..colon];
        name = name[(slash + 1)..];
        if (name.Length == 0) return at >= 0 ? FromImageReference(image[(at + 1)..]) : null;
        return name.Length == 64 && name.All(char.IsAsciiHexDigitLower) ? name[..12] : name;
    }

    /// <summary>The workload of a Kubernetes pod: its controller (ReplicaSet hashes folded into the Deployment).</summary>
    public static string FromKubernetes(string @namespace, string ownerKind, string ownerName)
    {
        if (ownerKind == "ReplicaSet" && ownerName.LastIndexOf('-') is var dash and > 0 && IsReplicaSuffix(ownerName[(dash + 1)..]))
            return $"{@namespace}/Deployment/{ownerName[..dash]}";
        return $"{@namespace}/{ownerKind}/{ownerName}";
    }

    /// <summary>A replica number, or a generated hash such as Kubernetes' pod-template-hash (lowercase letters and
    /// digits, with at least one digit so that words like "server" stay).</summary>
    private static bool IsReplicaSuffix(string part) =>
        part.Length > 0 && (part.All(char.IsAsciiDigit)
            || (part.Length is >= 5 and <= 10 && part.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c)) && part.Any(char.IsAsciiDigit)));
}
