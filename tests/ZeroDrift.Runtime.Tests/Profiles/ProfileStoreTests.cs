using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.Runtime.Tests.Profiles;

public sealed class ProfileStoreTests
{
    [Fact]
    public void Keeps_profiles_and_finds_them_by_what_users_know()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "state", "profiles.db");
        using (var store = ProfileStore.Open(path))
        {
            store.Save(ProfileFixtures.Web());
            store.Save(ProfileFixtures.Web(ProfileFixtures.DigestV2, "localhost/web:2"));
        }
        using var reopened = ProfileStore.Open(path);
        Assert.Equal(2, reopened.List().Count);
        Assert.Equal(ProfileFixtures.DigestV2, Assert.Single(reopened.Find("localhost/web:2")).Identity.ImageDigest);
        Assert.Equal(ProfileFixtures.DigestV1, Assert.Single(reopened.Find(ProfileFixtures.DigestV1)).Identity.ImageDigest);
        Assert.Equal(ProfileFixtures.DigestV1, Assert.Single(reopened.Find("111111111111")).Identity.ImageDigest);
        Assert.Empty(reopened.Find("11111"));
        Assert.Equal(2, reopened.Find("web").Count);
        var stored = reopened.Get("web@" + ProfileFixtures.DigestV1)!;
        Assert.Equal(ProfileFixtures.Web().Network, stored.Network);
        Assert.Equal(ProfileFixtures.Web().Files, stored.Files);
    }

    [Fact]
    public void Saving_again_replaces_the_profile()
    {
        using var dir = new TempDir();
        using var store = ProfileStore.Open(Path.Combine(dir.Path, "p.db"));
        var web = ProfileFixtures.Web();
        store.Save(web);
        store.Save(web with { Mode = ProfileMode.Protect, Syscalls = ["read"] });
        var stored = Assert.Single(store.List());
        Assert.Equal(ProfileMode.Protect, stored.Mode);
        Assert.Equal(["read"], stored.Syscalls);
    }

    [Fact]
    public void A_file_that_is_not_a_store_is_refused_clearly()
    {
        using var dir = new TempDir();
        var path = dir.File("p.db", "this is not sqlite, just text that is long enough to look like a header ......");
        var e = Assert.Throws<ProfileStoreException>(() => ProfileStore.Open(path));
        Assert.Contains("not a usable profile store", e.Message);
    }
}
