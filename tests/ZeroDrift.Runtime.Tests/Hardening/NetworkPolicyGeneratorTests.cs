using YamlDotNet.RepresentationModel;
using ZeroDrift.Runtime.Hardening;
using ZeroDrift.Runtime.Tests.Profiles;

namespace ZeroDrift.Runtime.Tests.Hardening;

public sealed class NetworkPolicyGeneratorTests
{
    [Fact]
    public void Allows_only_what_the_workload_was_seen_doing()
    {
        var yaml = NetworkPolicyGenerator.Generate(ProfileFixtures.Web(), "web", "shop", new Dictionary<string, string> { ["app"] = "web" });
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        Assert.Equal("networking.k8s.io/v1", root["apiVersion"].ToString());
        Assert.Equal("NetworkPolicy", root["kind"].ToString());
        Assert.Equal("shop", root["metadata"]["namespace"].ToString());
        var spec = (YamlMappingNode)root["spec"];
        Assert.Equal("web", spec["podSelector"]["matchLabels"]["app"].ToString());
        Assert.Equal(["Ingress", "Egress"], ((YamlSequenceNode)spec["policyTypes"]).Select(n => n.ToString()));

        var ingress = Assert.Single((YamlSequenceNode)spec["ingress"]);
        Assert.Equal("8080", ingress["ports"][0]["port"].ToString());
        Assert.Equal("TCP", ingress["ports"][0]["protocol"].ToString());
        Assert.Equal("10.0.0.0/8", ingress["from"][0]["ipBlock"]["cidr"].ToString());

        var egress = ((YamlSequenceNode)spec["egress"]).ToList();
        Assert.Contains(egress, e => e["ports"][0]["port"].ToString() == "5432" && e["to"][0]["ipBlock"]["cidr"].ToString() == "10.1.2.3/32");
        // Names were resolved: the cluster DNS is reachable over UDP and TCP.
        Assert.Contains(egress, e => ((YamlMappingNode)e["to"][0]).Children.ContainsKey("namespaceSelector") && ((YamlSequenceNode)e["ports"]).Children.Count == 2);
    }

    [Fact]
    public void Open_ingress_leaves_out_the_peers()
    {
        var yaml = NetworkPolicyGenerator.Generate(ProfileFixtures.Web(), "web", null, new Dictionary<string, string> { ["app"] = "web" }, openIngress: true);
        Assert.DoesNotContain("10.0.0.0/8", yaml);
        Assert.DoesNotContain("namespace: ", yaml);
    }
}
