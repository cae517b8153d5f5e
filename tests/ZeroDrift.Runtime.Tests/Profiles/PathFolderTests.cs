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
    public void Folds_the_variable_parts(string path, string folded) => Assert.Equal(folded, PathFolder.Fold(path));

    [Theory]
    [InlineData("/etc/nginx/nginx.conf")]
    [InlineData("/usr/lib/x86_64-linux-gnu/libQt5Core.so.5")]
    [InlineData("/usr/bin/python3")]
    [InlineData("/var/www/index.html")]
    [InlineData("/opt/app/deadbeef")]
    [InlineData("/srv/Makefile2X")]
    public void Leaves_real_names_alone(string path) => Assert.Equal(path, PathFolder.Fold(path));

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
