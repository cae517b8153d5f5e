using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.Runtime.Tests.Profiles;

public sealed class PathFolderTests
{
    [Theory]
    [InlineData("/proc/1234/stat", "/proc/*/stat")]
    [InlineData("/proc/self/fd/17", "/proc/self/fd/*")]
    [InlineData("/var/lib/app/3f2504e0-4f89-11d3-9a0c-0305e82c3301.lock", "/var/lib/app/3f2504e0-4f89-11d3-9a0c-0305e82c3301.lock")]
    [InlineData("/run/containers/3f2504e0-4f89-11d3-9a0c-0305e82c3301/config", "/run/containers/*/config")]
    [InlineData("/var/cache/app/9f86d081884c7d659a2feaa0c55ad015", "/var/cache/app/*")]
    [InlineData("/tmp/tmpa8Xk2q", "/tmp/tmp*")]
    [InlineData("/tmp/sess_Ab3dEf9x", "/tmp/sess_*")]
    [InlineData("/tmp/ansible-tmp-1700000000.12-AbC123", "/tmp/ansible-tmp-*.12-*")]
    [InlineData("/tmp/go-build123456789/b001/exe", "/tmp/go-build*/b001/exe")]
    // mktemp (tmp.XXXXXXXXXX) and mkstemp (XXXXXX) whatever classes the random part happens to draw.
    [InlineData("/tmp/tmp.a8Xk2qLmZ0", "/tmp/tmp.*")]
    [InlineData("/tmp/tmp.xq7mnb2c9r", "/tmp/tmp.*")]
    [InlineData("/tmp/tmp.xqLmNbVcTr", "/tmp/tmp.*")]
    [InlineData("/tmp/tmp.xqlmnBVCTR", "/tmp/tmp.*")]
    [InlineData("/tmp/tmp.QWERTY7ZX1", "/tmp/tmp.*")]
    [InlineData("/var/tmp/upload-8ZxQ2p", "/var/tmp/upload-*")]
    // PostgreSQL's WAL segments: hex in upper case.
    [InlineData("/var/lib/postgresql/data/pg_wal/00000001000000000000000A", "/var/lib/postgresql/data/pg_wal/*")]
    public void Folds_the_variable_parts(string path, string folded) => Assert.Equal(folded, PathFolder.Fold(path));

    [Theory]
    [InlineData("/etc/nginx/nginx.conf")]
    [InlineData("/usr/lib/x86_64-linux-gnu/libQt5Core.so.5")]
    [InlineData("/usr/bin/python3")]
    [InlineData("/var/www/index.html")]
    [InlineData("/opt/app/deadbeef")]
    [InlineData("/srv/Makefile2X")]
    [InlineData("/usr/share/dotnet/shared/Microsoft.AspNetCore")]
    [InlineData("/usr/share/fonts/truetype/font-DejaVuSans")]
    [InlineData("/var/lib/dpkg/info/nginx.md5sums")]
    [InlineData("/data/temp-23.rdb")]
    [InlineData("/usr/lib/x86_64-linux-gnu/libicuuc.so.72")]
    [InlineData("/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1")]
    [InlineData("/etc/ssl/certs/ca-certificates.crt")]
    public void Leaves_real_names_alone(string path) => Assert.Equal(path, PathFolder.Fold(path));

    /// <summary>The shape folds what may vary inside a name, to be confirmed by a second instance; real names keep theirs.</summary>
    [Theory]
    [InlineData("/data/temp-23.rdb", "/data/temp-*.rdb")]
    [InlineData("/pgdata/base/pgsql_tmp/pgsql_tmp61.0", "/pgdata/base/pgsql_tmp/pgsql_tmp*.*")]
    [InlineData("/tmp/tmp.abcdEfghij", "/tmp/tmp.*")]
    [InlineData("/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x*_*-linux-gnu/libc.so.*")]
    [InlineData("/etc/nginx/nginx.conf", "/etc/nginx/nginx.conf")]
    [InlineData("/usr/share/dotnet/shared/Microsoft.AspNetCore", "/usr/share/dotnet/shared/Microsoft.AspNetCore")]
    public void The_shape_of_a_name_folds_what_may_vary(string path, string shape) => Assert.Equal(shape, PathFolder.Shape(path));

    [Theory]
    [InlineData("/proc/*/stat", "/proc/42/stat", true)]
    [InlineData("/proc/*/stat", "/proc/42/task/43/stat", false)]
    [InlineData("/tmp/**", "/tmp/a/b/c", true)]
    [InlineData("/tmp/tmp*", "/tmp/tmpXYZ", true)]
    [InlineData("/tmp/tmp*", "/tmp/other", false)]
    [InlineData("/etc/passwd", "/etc/passwd", true)]
    [InlineData("/etc/passwd", "/etc/shadow", false)]
    [InlineData("/var/log/*.log", "/var/log/app.log", true)]
    [InlineData("/var/log/*.log", "/var/log/app/x.log", false)]
    public void Patterns_match_within_one_component_or_across_with_two_stars(string pattern, string path, bool expected) =>
        Assert.Equal(expected, PathFolder.Matches(pattern, path));

    [Fact]
    public void A_hostile_pattern_costs_bounded_time()
    {
        var pattern = string.Concat(Enumerable.Repeat("*a", 12)) + "b";
        var path = "/" + new string('a', 40);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(PathFolder.Matches(pattern, path));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }
}
