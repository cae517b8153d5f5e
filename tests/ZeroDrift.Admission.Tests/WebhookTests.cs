using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ZeroDrift.Artifacts.Registry;
using ZeroDrift.Supply.Policy;

namespace ZeroDrift.Admission.Tests;

/// <summary>AdmissionReview v1 requests as the API server sends them, over real HTTPS, against a real registry.</summary>
[Collection(WebhookCollection.Name)]
public sealed class WebhookTests(WebhookFixture fixture)
{
    /// <summary>An AdmissionReview request as kube-apiserver v1.30 sends it (fields per admission.k8s.io/v1).</summary>
    public static JsonObject Review(JsonObject obj, string operation = "CREATE", string uid = "705ab4f5-6393-11e8-b7cc-42010a800002")
    {
        var kind = obj["kind"]!.GetValue<string>();
        var group = (obj["apiVersion"]!.GetValue<string>() is var v && v.Contains('/')) ? v.Split('/')[0] : "";
        var version = obj["apiVersion"]!.GetValue<string>().Split('/')[^1];
        var resource = kind.ToLowerInvariant() + "s";
        return new JsonObject
        {
            ["kind"] = "AdmissionReview",
            ["apiVersion"] = "admission.k8s.io/v1",
            ["request"] = new JsonObject
            {
                ["uid"] = uid,
                ["kind"] = new JsonObject { ["group"] = group, ["version"] = version, ["kind"] = kind },
                ["resource"] = new JsonObject { ["group"] = group, ["version"] = version, ["resource"] = resource },
                ["requestKind"] = new JsonObject { ["group"] = group, ["version"] = version, ["kind"] = kind },
                ["requestResource"] = new JsonObject { ["group"] = group, ["version"] = version, ["resource"] = resource },
                ["name"] = obj["metadata"]?["name"]?.DeepClone(),
                ["namespace"] = "shop",
                ["operation"] = operation,
                ["userInfo"] = new JsonObject { ["username"] = "admin", ["uid"] = "014fbff9a07c", ["groups"] = new JsonArray("system:authenticated") },
                ["object"] = obj.Parent is null ? obj : obj.DeepClone(),
                ["oldObject"] = null,
                ["dryRun"] = false,
                ["options"] = new JsonObject { ["kind"] = "CreateOptions", ["apiVersion"] = "meta.k8s.io/v1" },
            },
        };
    }

    public static JsonObject Pod(string image, JsonObject? securityContext = null) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = "web", ["namespace"] = "shop" },
        ["spec"] = new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "web", ["image"] = image, ["securityContext"] = securityContext,
            }),
        },
    };

    private async Task<JsonObject> PostAsync(string path, string body)
    {
        using var http = fixture.Https();
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(path, content);
        Assert.Equal(200, (int)response.StatusCode);
        var review = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal("AdmissionReview", review["kind"]!.GetValue<string>());
        Assert.Equal("admission.k8s.io/v1", review["apiVersion"]!.GetValue<string>());
        return review["response"]!.AsObject();
    }

    private static JsonArray Patch(JsonObject response)
    {
        Assert.Equal("JSONPatch", response["patchType"]!.GetValue<string>());
        return JsonNode.Parse(Convert.FromBase64String(response["patch"]!.GetValue<string>()))!.AsArray();
    }

    [Fact]
    public async Task A_signed_image_is_allowed_with_a_warning_about_its_tag()
    {
        var response = await PostAsync("validate", Review(Pod(fixture.SignedImage)).ToJsonString());
        Assert.Equal("705ab4f5-6393-11e8-b7cc-42010a800002", response["uid"]!.GetValue<string>());
        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Contains("referenced by tag", response["warnings"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Mutation_pins_the_verified_digest_and_adds_securityContext_defaults()
    {
        var response = await PostAsync("mutate", Review(Pod(fixture.SignedImage)).ToJsonString());
        Assert.True(response["allowed"]!.GetValue<bool>());
        var patch = Patch(response);
        Assert.Equal(
            $$$$"""[{"op":"replace","path":"/spec/containers/0/image","value":"{{{{fixture.Registry.Host}}}}/apps/web@{{{{fixture.SignedDigest}}}}"},{"op":"add","path":"/spec/securityContext","value":{"seccompProfile":{"type":"RuntimeDefault"}}},{"op":"add","path":"/spec/containers/0/securityContext","value":{"allowPrivilegeEscalation":false}}]""",
            patch.ToJsonString());
    }

    [Fact]
    public async Task An_unsigned_image_is_denied_naming_the_rule()
    {
        var deployment = new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = "rogue" },
            ["spec"] = new JsonObject { ["template"] = new JsonObject { ["spec"] = Pod(fixture.UnsignedImage)["spec"]!.DeepClone() } },
        };
        var response = await PostAsync("validate", Review(deployment).ToJsonString());
        Assert.False(response["allowed"]!.GetValue<bool>());
        var status = response["status"]!;
        Assert.Equal(403, status["code"]!.GetValue<int>());
        Assert.StartsWith($"zerodrift denied Deployment shop/rogue: rule 'apps: signatures' failed for {fixture.UnsignedImage}", status["message"]!.GetValue<string>());
        Assert.Contains("requires all of release.pub; no signatures found", status["message"]!.GetValue<string>());
        // The mutating webhook does not pin what was not verified.
        var mutate = await PostAsync("mutate", Review(deployment).ToJsonString());
        Assert.DoesNotContain(Patch(mutate), op => op!["path"]!.GetValue<string>().EndsWith("/image", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pod_security_and_registry_rules_deny_with_reasons()
    {
        var privileged = Pod(fixture.SignedImage, new JsonObject { ["privileged"] = true });
        var response = await PostAsync("validate", Review(privileged).ToJsonString());
        Assert.False(response["allowed"]!.GetValue<bool>());
        Assert.Contains("rule 'apps: podSecurity' failed for Pod web: violates Pod Security Standard 'baseline': container \"web\" is privileged", response["status"]!["message"]!.GetValue<string>());

        var elsewhere = await PostAsync("validate", Review(Pod("quay.io/evil/miner:latest")).ToJsonString());
        Assert.Contains("rule 'allowedRegistries' failed for quay.io/evil/miner:latest", elsewhere["status"]!["message"]!.GetValue<string>());
        Assert.Contains("unmatched", elsewhere["warnings"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_kind_with_a_pod_template_is_checked_at_its_own_path()
    {
        var cron = new JsonObject
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "CronJob",
            ["metadata"] = new JsonObject { ["name"] = "nightly" },
            ["spec"] = new JsonObject
            {
                ["schedule"] = "0 3 * * *",
                ["jobTemplate"] = new JsonObject { ["spec"] = new JsonObject { ["template"] = new JsonObject { ["spec"] = new JsonObject
                {
                    ["securityContext"] = new JsonObject { ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" } },
                    ["initContainers"] = new JsonArray(new JsonObject { ["name"] = "pause", ["image"] = "registry.k8s.io/pause:3.9", ["securityContext"] = new JsonObject { ["allowPrivilegeEscalation"] = false } }),
                    ["containers"] = new JsonArray(new JsonObject { ["name"] = "job", ["image"] = fixture.SignedImage }),
                } } } },
            },
        };
        var response = await PostAsync("mutate", Review(cron).ToJsonString());
        Assert.True(response["allowed"]!.GetValue<bool>());
        var patch = Patch(response).ToJsonString();
        Assert.Equal(
            $$$$"""[{"op":"replace","path":"/spec/jobTemplate/spec/template/spec/containers/0/image","value":"{{{{fixture.Registry.Host}}}}/apps/web@{{{{fixture.SignedDigest}}}}"},{"op":"add","path":"/spec/jobTemplate/spec/template/spec/containers/0/securityContext","value":{"allowPrivilegeEscalation":false}}]""",
            patch);
    }

    [Theory]
    [InlineData("{not json", "malformed AdmissionReview")]
    [InlineData("""{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1beta1","request":{"uid":"u-1"}}""", "expected kind AdmissionReview, apiVersion admission.k8s.io/v1")]
    [InlineData("""{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"u-1","operation":"CREATE"}}""", "request.object is missing")]
    [InlineData("""{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"u-1","operation":"CREATE","object":{"kind":"Pod","spec":7}}}""", "no pod spec")]
    public async Task Malformed_reviews_are_denied_with_a_clear_message(string body, string expected)
    {
        var response = await PostAsync("validate", body);
        Assert.False(response["allowed"]!.GetValue<bool>());
        Assert.Contains(expected, response["status"]!["message"]!.GetValue<string>());
        if (body.Contains("u-1", StringComparison.Ordinal)) Assert.Equal("u-1", response["uid"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_oversized_review_is_denied_with_its_uid()
    {
        var pod = Pod(fixture.SignedImage);
        pod["metadata"]!["annotations"] = new JsonObject { ["filler"] = new string('x', fixture.Handler.Options.MaxRequestBytes) };
        var response = await PostAsync("validate", Review(pod, uid: "big-1").ToJsonString());
        Assert.False(response["allowed"]!.GetValue<bool>());
        Assert.Equal("big-1", response["uid"]!.GetValue<string>());
        Assert.Contains("larger than", response["status"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Deletes_and_kinds_without_pods_pass_through()
    {
        var delete = await PostAsync("validate", Review(Pod(fixture.UnsignedImage), "DELETE").ToJsonString());
        Assert.True(delete["allowed"]!.GetValue<bool>());
        var configMap = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "c" }, ["data"] = new JsonObject() };
        Assert.True((await PostAsync("validate", Review(configMap).ToJsonString()))["allowed"]!.GetValue<bool>());
        using var http = fixture.Https();
        Assert.Equal("ok\n", await http.GetStringAsync("healthz"));
    }

    [Fact]
    public async Task Verification_is_cached_by_digest()
    {
        var handler = fixture.NewHandler();
        var body = Encoding.UTF8.GetBytes(Review(Pod(fixture.SignedImage)).ToJsonString());
        await handler.ValidateAsync(body, CancellationToken.None);
        Assert.Equal(1, handler.Engine.CachedDigests);
        // The same digest by another spelling (pinned) reuses the evidence.
        var pinned = Encoding.UTF8.GetBytes(Review(Pod($"{fixture.Registry.Host}/apps/web@{fixture.SignedDigest}")).ToJsonString());
        var answer = JsonNode.Parse(await handler.ValidateAsync(pinned, CancellationToken.None))!;
        Assert.True(answer["response"]!["allowed"]!.GetValue<bool>());
        Assert.Equal(1, handler.Engine.CachedDigests);
    }

    [Fact]
    public async Task Cached_decisions_are_byte_identical_and_follow_new_evidence_once_the_cache_is_cleared()
    {
        var handler = fixture.NewHandler();
        var marker = $"late-signed-{Guid.NewGuid():N}";
        var repo = $"apps/{marker}";
        await fixture.PushAsync($"{repo}:1", marker);
        var image = $"{fixture.Registry.Host}/{repo}:1";
        var body = Encoding.UTF8.GetBytes(Review(Pod(image)).ToJsonString());
        var first = await handler.ValidateAsync(body, CancellationToken.None);
        Assert.False(JsonNode.Parse(first)!["response"]!["allowed"]!.GetValue<bool>());
        Assert.Equal(first, await handler.ValidateAsync(body, CancellationToken.None));

        using (var client = fixture.Client())
        {
            var signing = new Supply.Signing.ImageSigning(client);
            await signing.SignAsync(await signing.ResolveAsync(ImageReference.Parse(image), CancellationToken.None), fixture.Key, Supply.Signing.SignatureFormat.Legacy, CancellationToken.None);
        }
        // Digests are immutable, so the decision stays cached until the cache is cleared (a restart in production).
        Assert.Equal(first, await handler.ValidateAsync(body, CancellationToken.None));
        handler.Engine.ClearCache();
        Assert.True(JsonNode.Parse(await handler.ValidateAsync(body, CancellationToken.None))!["response"]!["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task An_unreachable_registry_denies_instead_of_failing()
    {
        var dead = $"127.0.0.1:{RegistryServer.FreePort()}";
        using var client = new RegistryClient(new RegistryClientOptions { InsecureRegistries = [dead], ConnectTimeout = TimeSpan.FromSeconds(2) });
        var everything = fixture.Dir.File("all.yaml", "apiVersion: zerodrift.dev/v1\nkind: ImagePolicy\nimages:\n  - match: [\"**\"]\n    signatures: {keys: [release.pub]}\n");
        var handler = fixture.NewHandler(client: client, policyPath: everything);
        var review = Review(Pod(fixture.SignedImage.Replace(fixture.Registry.Host, dead, StringComparison.Ordinal)));
        var answer = JsonNode.Parse(await handler.ValidateAsync(Encoding.UTF8.GetBytes(review.ToJsonString()), CancellationToken.None))!["response"]!;
        Assert.False(answer["allowed"]!.GetValue<bool>());
        var message = answer["status"]!["message"]!.GetValue<string>();
        Assert.Contains("rule 'images[0]: verification' failed", message);
        Assert.Contains($"cannot verify: registry {dead}: cannot connect", message);
    }

    [Fact]
    public void Webhook_configurations_are_valid_and_carry_the_CA()
    {
        var yaml = WebhookManifests.Render(fixture.CaPem, new WebhookTarget("zerodrift-webhook", "zerodrift", 443, null));
        var docs = KubernetesManifests.Parse(yaml, "webhooks.yaml");
        Assert.Equal(["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"], docs.Select(d => d["kind"]!.GetValue<string>()));
        foreach (var doc in docs)
        {
            var hook = doc["webhooks"]![0]!;
            Assert.Equal("Fail", hook["failurePolicy"]!.GetValue<string>());
            Assert.Equal(fixture.CaPem.Trim() + "\n", Encoding.ASCII.GetString(Convert.FromBase64String(hook["clientConfig"]!["caBundle"]!.GetValue<string>())));
            Assert.Equal(["v1"], hook["admissionReviewVersions"]!.AsArray().Select(x => x!.GetValue<string>()));
            var resources = hook["rules"]!.AsArray().SelectMany(r => r!["resources"]!.AsArray().Select(x => x!.GetValue<string>())).ToList();
            Assert.Equal(["pods", "replicationcontrollers", "podtemplates", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs"], resources);
        }
        Assert.Equal("/mutate", docs[1]["webhooks"]![0]!["clientConfig"]!["service"]!["path"]!.GetValue<string>());
    }
}

[Collection(WebhookCollection.Name)]
public sealed class AssetObserverTests(WebhookFixture fixture)
{
    [Fact]
    public async Task Admitted_and_denied_images_land_in_the_inventory()
    {
        using var dir = new TempDir();
        using var store = new Supply.Assets.AssetStore(dir.Combine("assets.db"));
        var handler = new AdmissionHandler(fixture.NewHandler().Engine, new AdmissionOptions(), new AssetObserver(store));
        var pod = WebhookTests.Pod(fixture.SignedImage);
        pod["spec"]!["containers"]!.AsArray().Add(new JsonObject { ["name"] = "side", ["image"] = fixture.UnsignedImage });
        await handler.ValidateAsync(Encoding.UTF8.GetBytes(WebhookTests.Review(pod).ToJsonString()), CancellationToken.None);
        var assets = store.List().OrderBy(a => a.Reference, StringComparer.Ordinal).ToList();
        Assert.Equal(2, assets.Count);
        Assert.Equal(("deny", ""), (assets[0].Decision, assets[0].SignedBy));   // apps/rogue
        Assert.Equal(("allow", "release.pub"), (assets[1].Decision, assets[1].SignedBy)); // apps/web
        Assert.Equal(fixture.SignedDigest, assets[1].Digest);
        Assert.Equal("Pod shop/web", assets[1].Workload);
        Assert.All(assets, a => Assert.Equal("admission", a.Source));
    }
}
