using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.Runtime.Tests.Profiles;

public sealed class ProfileBuilderTests
{
    private static readonly DateTimeOffset T0 = ProfileFixtures.T0;

    [Fact]
    public void Says_when_behaviour_is_new_and_remembers_when_it_last_was()
    {
        var b = ProfileBuilder.New(new WorkloadIdentity("web", ProfileFixtures.DigestV1), T0);
        Assert.True(b.ObserveProcess(new ProcessEntry("/bin/httpd", Parent: "/bin/sh"), T0.AddMinutes(1)));
        Assert.False(b.ObserveProcess(new ProcessEntry("/bin/httpd", Parent: "/bin/sh"), T0.AddMinutes(5)));
        Assert.True(b.ObserveSyscall("accept4", T0.AddMinutes(6)));
        Assert.False(b.ObserveSyscall("accept4", T0.AddMinutes(9)));
        var profile = b.Build(T0.AddMinutes(10));
        Assert.Equal(T0.AddMinutes(6), profile.LastNewBehaviour);
        Assert.Equal(T0.AddMinutes(10), profile.Updated);
        Assert.Equal(ProfileMode.Learn, profile.Mode);
    }

    [Fact]
    public void Learns_the_shape_of_variable_paths()
    {
        var b = ProfileBuilder.New(new WorkloadIdentity("web", ProfileFixtures.DigestV1), T0);
        Assert.True(b.ObserveFile("/proc/101/stat", FileAccessKind.Read, T0));
        Assert.False(b.ObserveFile("/proc/202/stat", FileAccessKind.Read, T0));
        // A write where only reads were seen is new behaviour.
        Assert.True(b.ObserveFile("/proc/303/stat", FileAccessKind.Write, T0));
        Assert.Equal([new FileAccessEntry("/proc/*/stat", FileAccessKind.ReadWrite)], b.Build(T0).Files);
    }

    [Fact]
    public void Folds_a_folder_of_many_names_into_one_pattern()
    {
        var b = ProfileBuilder.New(new WorkloadIdentity("cache", ProfileFixtures.DigestV1), T0);
        for (var i = 0; i <= ProfileBuilder.FolderFanOut; i++) b.ObserveFile($"/var/cache/app/item-{(char)('a' + i % 26)}{i / 26}x.bin", FileAccessKind.Write, T0);
        b.ObserveFile("/etc/app.conf", FileAccessKind.Read, T0);
        var files = b.Build(T0).Files;
        Assert.Equal([new FileAccessEntry("/etc/app.conf", FileAccessKind.Read), new FileAccessEntry("/var/cache/app/*", FileAccessKind.Write)], files);
        Assert.False(b.ObserveFile("/var/cache/app/another.bin", FileAccessKind.Write, T0));
    }

    [Fact]
    public void Lists_are_sorted_so_exports_are_stable()
    {
        var a = ProfileFixtures.Web();
        Assert.Equal(a.Syscalls.Order(StringComparer.Ordinal), a.Syscalls);
        Assert.Equal(a.Processes.Select(p => p.Executable).Order(StringComparer.Ordinal), a.Processes.Select(p => p.Executable));
    }
}
