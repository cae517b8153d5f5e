using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Engine;

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
        for (var i = 0; i <= ProfileBuilder.FolderFanOut; i++) b.ObserveFile($"/var/cache/app/item-{(char)('a' + i % 26)}{(char)('a' + i / 26)}x.bin", FileAccessKind.Write, T0);
        b.ObserveFile("/etc/app.conf", FileAccessKind.Read, T0);
        var files = b.Build(T0).Files;
        Assert.Equal([new FileAccessEntry("/etc/app.conf", FileAccessKind.Read), new FileAccessEntry("/var/cache/app/*", FileAccessKind.Write)], files);
        Assert.False(b.ObserveFile("/var/cache/app/another.bin", FileAccessKind.Write, T0));
    }

    /// <summary>
    /// Names that embed a process id or a counter, as redis and PostgreSQL write them, learned from two instances and
    /// matched for the next; names seen once (a library's version) and names of another shape stay as they are.
    /// </summary>
    [Theory]
    [InlineData("/data/temp-23.rdb", "/data/temp-31.rdb", "/data/temp-*.rdb", "/data/temp-402.rdb")]
    [InlineData("/data/temp-rewriteaof-bg-7.aof", "/data/temp-rewriteaof-bg-88.aof", "/data/temp-rewriteaof-bg-*.aof", "/data/temp-rewriteaof-bg-1234.aof")]
    [InlineData("/data/appendonlydir/appendonly.aof.1.incr.aof", "/data/appendonlydir/appendonly.aof.2.incr.aof", "/data/appendonlydir/appendonly.aof.*.incr.aof", "/data/appendonlydir/appendonly.aof.17.incr.aof")]
    [InlineData("/pgdata/base/pgsql_tmp/pgsql_tmp61.0", "/pgdata/base/pgsql_tmp/pgsql_tmp75.0", "/pgdata/base/pgsql_tmp/pgsql_tmp*.*", "/pgdata/base/pgsql_tmp/pgsql_tmp102.3")]
    [InlineData("/pgdata/pg_stat_tmp/db_16384.tmp", "/pgdata/pg_stat_tmp/db_0.tmp", "/pgdata/pg_stat_tmp/db_*.tmp", "/pgdata/pg_stat_tmp/db_5.tmp")]
    [InlineData("/pgdata/base/16384/16390_fsm", "/pgdata/base/16384/16402_fsm", "/pgdata/base/*/*_fsm", "/pgdata/base/16384/24576_fsm")]
    [InlineData("/pgdata/global/pg_internal.init.88", "/pgdata/global/pg_internal.init.133", "/pgdata/global/pg_internal.init.*", "/pgdata/global/pg_internal.init.7")]
    // mktemp's random part that does not read as random on its own (camel case by chance): folded from two instances.
    [InlineData("/tmp/tmp.abcdEfghij", "/tmp/tmp.qwertYuiop", "/tmp/tmp.*", "/tmp/tmp.zzzYYYxxxW")]
    public void Names_with_a_process_id_or_a_counter_generalise_from_two_instances(string first, string second, string pattern, string next)
    {
        var b = ProfileBuilder.New(new WorkloadIdentity("db", ProfileFixtures.DigestV1), T0);
        Assert.True(b.ObserveFile(first, FileAccessKind.Write, T0));
        Assert.True(b.ObserveFile(second, FileAccessKind.Write, T0));
        Assert.Equal([new FileAccessEntry(pattern, FileAccessKind.Write)], b.Build(T0).Files);
        Assert.False(b.ObserveFile(next, FileAccessKind.Write, T0.AddMinutes(1)));
        Assert.True(new ProfileMatcher(b.Build(T0) with { Mode = ProfileMode.Protect }).Knows(new FileObservation(b.Build(T0).Identity, T0, next, FileAccessKind.Write, null, 1)));
    }

    [Fact]
    public void Real_names_are_not_generalised()
    {
        var b = ProfileBuilder.New(new WorkloadIdentity("db", ProfileFixtures.DigestV1), T0);
        string[] paths = ["/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libicuuc.so.72",
            "/usr/bin/python3.11", "/etc/nginx/nginx.conf", "/data/dump.rdb", "/data/appendonlydir/appendonly.aof.manifest"];
        foreach (var path in paths) b.ObserveFile(path, FileAccessKind.Read, T0);
        Assert.Equal(paths.Order(StringComparer.Ordinal), b.Build(T0).Files.Select(f => f.Path));
        // Learned as they are: a name of another version is not known.
        Assert.True(b.ObserveFile("/usr/lib/x86_64-linux-gnu/libc.so.7", FileAccessKind.Read, T0));
    }

    [Fact]
    public void A_stored_profile_generalises_with_the_next_instance()
    {
        var stored = ProfileBuilder.New(new WorkloadIdentity("db", ProfileFixtures.DigestV1), T0);
        stored.ObserveFile("/data/temp-23.rdb", FileAccessKind.Write, T0);
        var resumed = new ProfileBuilder(stored.Build(T0));
        Assert.True(resumed.ObserveFile("/data/temp-41.rdb", FileAccessKind.Write, T0));
        Assert.Equal([new FileAccessEntry("/data/temp-*.rdb", FileAccessKind.Write)], resumed.Build(T0).Files);
    }

    [Fact]
    public void Lists_are_sorted_so_exports_are_stable()
    {
        var a = ProfileFixtures.Web();
        Assert.Equal(a.Syscalls.Order(StringComparer.Ordinal), a.Syscalls);
        Assert.Equal(a.Processes.Select(p => p.Executable).Order(StringComparer.Ordinal), a.Processes.Select(p => p.Executable));
    }
}
