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
