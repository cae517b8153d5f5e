using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.Runtime.Tests.Profiles;

public sealed class WorkloadIdentityTests
{
    [Theory]
    [InlineData("web-1", "web")]
    [InlineData("web_2", "web")]
    [InlineData("shop-cart-7f9c4d8b5-x2k9p", "shop-cart")]
    [InlineData("api-server", "api-server")]
    [InlineData("redis", "redis")]
    [InlineData("7", "7")]
    public void Replicas_of_a_container_share_a_workload(string container, string workload) =>
        Assert.Equal(workload, WorkloadIdentity.FromContainerName(container));

    [Fact]
    public void A_replica_set_belongs_to_its_deployment()
    {
        Assert.Equal("shop/Deployment/cart", WorkloadIdentity.FromKubernetes("shop", "ReplicaSet", "cart-7f9c4d8b5"));
        Assert.Equal("shop/StatefulSet/db", WorkloadIdentity.FromKubernetes("shop", "StatefulSet", "db"));
    }

    [Fact]
    public void A_new_image_version_is_a_new_profile()
    {
        Assert.NotEqual(new WorkloadIdentity("web", ProfileFixtures.DigestV1).Key, new WorkloadIdentity("web", ProfileFixtures.DigestV2).Key);
        Assert.Equal("web@" + ProfileFixtures.DigestV1, new WorkloadIdentity("web", ProfileFixtures.DigestV1, "localhost/web:1").Key);
    }
}

public sealed class GeneratedContainerNameTests
{
    // Names podman generated on this machine for containers started without --name, and docker's clash suffix.
    [Theory]
    [InlineData("focused_mclaren")]
    [InlineData("kind_shamir")]
    [InlineData("blissful_thompson")]
    [InlineData("xenodochial_zhukovsky")]
    [InlineData("admiring_turing3")]
    [InlineData("zen_tu")]
    public void Names_the_runtime_made_up_are_generated(string name) => Assert.True(GeneratedContainerName.IsGenerated(name));

    // Names people and tools choose, including ones made of the same words in another shape.
    [Theory]
    [InlineData("my_app")]
    [InlineData("web-1")]
    [InlineData("web_2")]
    [InlineData("redis")]
    [InlineData("happy_path")]
    [InlineData("focused-mclaren")]
    [InlineData("focused_mclaren_2")]
    [InlineData("focused_mclaren42")]
    [InlineData("Focused_McLaren")]
    [InlineData("turing_focused")]
    [InlineData("focused_")]
    [InlineData("_mclaren")]
    [InlineData("boring_wozniak")]
    public void Chosen_names_are_not(string name) => Assert.False(GeneratedContainerName.IsGenerated(name));

    [Theory]
    [InlineData("localhost/shop/web:1.4", "web")]
    [InlineData("docker.io/library/nginx:latest", "nginx")]
    [InlineData("registry.local:5000/team/api", "api")]
    [InlineData("registry.local:5000/team/api@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "api")]
    [InlineData("redis", "redis")]
    [InlineData("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "9f86d081884c")]
    [InlineData("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "9f86d081884c")]
    public void The_image_names_the_workload_of_unnamed_containers(string image, string workload) =>
        Assert.Equal(workload, WorkloadIdentity.FromImageReference(image));

    [Fact]
    public void No_image_reference_names_nothing()
    {
        Assert.Null(WorkloadIdentity.FromImageReference(null));
        Assert.Null(WorkloadIdentity.FromImageReference(""));
    }
}
