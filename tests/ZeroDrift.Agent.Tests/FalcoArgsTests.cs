namespace ZeroDrift.Agent.Tests;

public sealed class FalcoArgsTests
{
    private static uint Octal(string digits) => Convert.ToUInt32(digits, 8);

    [Theory]
    [InlineData("/etc/shadow", "", "/etc/shadow")]
    [InlineData("shadow", "/etc", "/etc/shadow")]
    [InlineData("../bin/./zd", "/usr/lib", "/usr/bin/zd")]
    [InlineData("a/b/", "/", "/a/b")]
    [InlineData("//usr//bin/", "/ignored", "/usr/bin")]
    [InlineData("../../..", "/tmp", "/")]
    [InlineData("rel", "", "rel")] // a dirfd whose path is unknown: as given
    public void Paths_are_absolute_and_normalised_as_libsinsp_concatenates_them(string path, string baseDir, string expected) =>
        Assert.Equal(expected, FalcoArgs.Path(path, baseDir));

    [Fact]
    public void Modes_read_as_libsinsps_chmod_mode_names()
    {
        Assert.Equal("S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID", FalcoArgs.Mode(Octal("4755")));
        Assert.Equal("S_IXGRP|S_ISGID", FalcoArgs.Mode(Octal("2010")));
        Assert.Equal("04755(S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID)", FalcoArgs.ModeWithValue(Octal("4755")));
    }

    [Fact]
    public void Families_flags_and_ids_read_as_falco_shows_them()
    {
        Assert.Equal("AF_PACKET", FalcoArgs.Family(17));
        Assert.Equal("99", FalcoArgs.Family(99));
        Assert.Equal("CLONE_NEWNS|CLONE_NEWUSER", FalcoArgs.CloneFlags(0x10020000));
        Assert.Equal("-1", FalcoArgs.Id(0xffffffff));
        Assert.Equal("AT_FDCWD", FalcoArgs.Fd(unchecked((ulong)-100L)));
    }
}
