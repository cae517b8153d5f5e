using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;
using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.DynamicTesting;

/// <summary>
/// A behaviour profile as an in-toto predicate (type <see cref="Type"/>): the profile's YAML document
/// (apiVersion, kind, metadata, spec) as JSON, so that policies query it like any predicate. JSON is YAML, so the
/// predicate reads back through <see cref="ProfileYaml.Parse"/> with the same checks and limits as an imported file.
/// </summary>
public static class ProfilePredicate
{
    public const string Type = ZeroDrift.Supply.Signing.PredicateTypes.BehaviourProfile;

    public static JsonNode ToPredicate(BehaviourProfile profile)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(ProfileYaml.Export(profile)));
        return OpenApiOperations.ToJson(stream.Documents[0].RootNode) ?? throw new InvalidOperationException("empty profile document");
    }

    /// <summary>The profile an attestation carries, as the image at <paramref name="imageDigest"/> runs it under
    /// <paramref name="workload"/> in <paramref name="mode"/>: the identity is the deployment's, not the test sandbox's.</summary>
    public static BehaviourProfile FromPredicate(JsonNode predicate, string source, string workload, string imageDigest, string? imageName, ProfileMode mode)
    {
        var profile = ProfileYaml.Parse(predicate.ToJsonString(), source);
        return profile with { Identity = new WorkloadIdentity(workload, imageDigest, imageName ?? profile.Identity.ImageName), Mode = mode };
    }
}
