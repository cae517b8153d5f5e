using System.Text;
using System.Text.Json.Nodes;
using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Misconfig.Kubernetes;
using ZeroDrift.Supply.Policy;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Admission.Tests;

/// <summary>
/// Kubernetes' own Pod Security admission fixtures (../shared/conformance/pss) sent to the webhook as the API server sends
/// them, with the webhook judging at the policy version each is the fixture for (<c>zerodrift admission --pss-version</c>
/// composes it so): a pass fixture is admitted, a fail fixture denied by the podSecurity rule.
/// </summary>
public sealed class PodSecurityConformanceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, string> VersionsAndLevels
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var version in PssFixtures.Versions)
                foreach (var level in new[] { "baseline", "restricted" }) data.Add(version, level);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(VersionsAndLevels))]
    public async Task Every_fixture_is_admitted_or_denied_as_kubernetes_admits_it_at_its_version(string version, string level)
    {
        Assert.True(PssVersion.TryParse(version, out var pssVersion));
        var policy = _dir.File($"policy-{level}.yaml",
            $"apiVersion: zerodrift.dev/v1\nkind: ImagePolicy\nimages:\n  - name: pods\n    match: [\"registry.k8s.io/**\"]\n    podSecurity: {level}\n");
        using var client = new RegistryClient(new RegistryClientOptions());
        // No rule needs registry evidence: only the pod spec decides, and nothing is fetched.
        var handler = new AdmissionHandler(new PolicyEngine(SupplyPolicy.Load(policy), new ImageSigning(client), new MisconfigPodSecurity(pssVersion), TimeSpan.Zero),
            new AdmissionOptions());

        var disagreements = new List<string>();
        var fixtures = PssFixtures.At(version, level).ToList();
        foreach (var fixture in fixtures)
        {
            var pod = KubernetesManifests.Parse(await File.ReadAllTextAsync(fixture.Path), fixture.Id).Single();
            var answer = JsonNode.Parse(await handler.ValidateAsync(Encoding.UTF8.GetBytes(WebhookTests.Review(pod).ToJsonString()), CancellationToken.None))!["response"]!;
            var allowed = answer["allowed"]!.GetValue<bool>();
            if (allowed != fixture.Pass)
                disagreements.Add($"{version} {fixture.Id}: {(allowed ? "admitted" : "denied: " + answer["status"]?["message"])}");
            else if (!allowed)
                Assert.Contains("rule 'pods: podSecurity' failed", answer["status"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        Assert.True(disagreements.Count == 0, $"{disagreements.Count} of {fixtures.Count} fixtures disagree:\n{string.Join("\n", disagreements)}");
        Assert.NotEmpty(fixtures);
    }
}
