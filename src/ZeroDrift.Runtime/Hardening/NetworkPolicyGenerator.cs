using System.Net;
using YamlDotNet.Serialization;
using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.Runtime.Hardening;

/// <summary>
/// A Kubernetes <c>networking.k8s.io/v1</c> NetworkPolicy from a profile's network model: ingress only on the ports
/// the workload was seen serving (from the peers seen, or from anywhere with <c>openIngress</c>), egress only to the
/// peers and ports it was seen reaching, DNS to the cluster resolver when it resolved names.
/// </summary>
public static class NetworkPolicyGenerator
{
    private static readonly ISerializer Serializer = new SerializerBuilder().DisableAliases().Build();

    /// <param name="podLabels">The labels selecting the workload's pods (the policy's <c>podSelector</c>).</param>
    /// <param name="openIngress">Allow ingress on the served ports from any peer rather than only the ones seen.</param>
    public static string Generate(BehaviourProfile profile, string name, string? @namespace, IReadOnlyDictionary<string, string> podLabels, bool openIngress = false)
    {
        var egress = new List<object>();
        var resolvedNames = false;
        foreach (var group in profile.Network.Where(n => n.Direction == NetworkDirection.Egress).GroupBy(n => (n.Protocol, n.Port)).OrderBy(g => g.Key.Port))
        {
            if (group.Key.Port == 53) resolvedNames = true;
            egress.Add(new Dictionary<string, object>
            {
                ["to"] = group.Select(n => Cidr(n.Peer)).Distinct().Order(StringComparer.Ordinal).Select(c => new Dictionary<string, object> { ["ipBlock"] = new Dictionary<string, object> { ["cidr"] = c } }).ToList(),
                ["ports"] = new List<object> { Port(group.Key.Protocol, group.Key.Port) },
            });
        }
        if (resolvedNames || profile.Network.Any(n => n.DnsName is not null))
        {
            egress.Add(new Dictionary<string, object>
            {
                ["to"] = new List<object>
                {
                    new Dictionary<string, object>
                    {
                        ["namespaceSelector"] = new Dictionary<string, object> { ["matchLabels"] = new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = "kube-system" } },
                        ["podSelector"] = new Dictionary<string, object> { ["matchLabels"] = new Dictionary<string, string> { ["k8s-app"] = "kube-dns" } },
                    },
                },
                ["ports"] = new List<object> { Port("udp", 53), Port("tcp", 53) },
            });
        }
        var ingress = new List<object>();
        foreach (var group in profile.Network.Where(n => n.Direction == NetworkDirection.Ingress).GroupBy(n => (n.Protocol, n.Port)).OrderBy(g => g.Key.Port))
        {
            var rule = new Dictionary<string, object> { ["ports"] = new List<object> { Port(group.Key.Protocol, group.Key.Port) } };
            if (!openIngress)
                rule["from"] = group.Select(n => Cidr(n.Peer)).Distinct().Order(StringComparer.Ordinal).Select(c => new Dictionary<string, object> { ["ipBlock"] = new Dictionary<string, object> { ["cidr"] = c } }).ToList();
            ingress.Add(rule);
        }
        var metadata = new Dictionary<string, object> { ["name"] = name };
        if (@namespace is not null) metadata["namespace"] = @namespace;
        metadata["annotations"] = new Dictionary<string, string>
        {
            ["zerodrift.dev/workload"] = profile.Identity.Workload,
            ["zerodrift.dev/image-digest"] = profile.Identity.ImageDigest,
        };
        var policy = new Dictionary<string, object>
        {
            ["apiVersion"] = "networking.k8s.io/v1",
            ["kind"] = "NetworkPolicy",
            ["metadata"] = metadata,
            ["spec"] = new Dictionary<string, object>
            {
                ["podSelector"] = new Dictionary<string, object> { ["matchLabels"] = podLabels.OrderBy(l => l.Key, StringComparer.Ordinal).ToDictionary() },
                ["policyTypes"] = new List<string> { "Ingress", "Egress" },
                ["ingress"] = ingress,
                ["egress"] = egress,
            },
        };
        return Serializer.Serialize(policy);
    }

    private static Dictionary<string, object> Port(string protocol, int port) => new() { ["protocol"] = protocol.ToUpperInvariant(), ["port"] = port };

    /// <summary>A single address becomes a /32 (or /128) block, as ipBlock requires a CIDR.</summary>
    private static string Cidr(string peer) =>
        peer.Contains('/') ? peer : IPAddress.Parse(peer).AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? peer + "/128" : peer + "/32";
}
