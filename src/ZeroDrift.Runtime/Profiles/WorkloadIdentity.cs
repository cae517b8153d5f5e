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
