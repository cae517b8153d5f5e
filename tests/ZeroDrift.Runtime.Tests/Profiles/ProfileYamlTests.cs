using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.Runtime.Tests.Profiles;

public sealed class ProfileYamlTests
{
    [Fact]
    public void Round_trips_every_section()
    {
        var profile = ProfileFixtures.Web() with { Mode = ProfileMode.Monitor };
        var yaml = ProfileYaml.Export(profile);
        Assert.StartsWith("apiVersion: zerodrift.dev/v1\nkind: BehaviourProfile\n", yaml.ReplaceLineEndings("\n"));
        var back = ProfileYaml.Parse(yaml, "web.yaml");
        Assert.Equal(profile.Identity, back.Identity);
        Assert.Equal(profile.Mode, back.Mode);
        Assert.Equal(profile.Processes, back.Processes);
        Assert.Equal(profile.Files, back.Files);
        Assert.Equal(profile.Network, back.Network);
        Assert.Equal(profile.Syscalls, back.Syscalls);
        Assert.Equal(profile.Capabilities, back.Capabilities);
        Assert.Equal(profile.LastNewBehaviour, back.LastNewBehaviour);
        Assert.Equal(yaml, ProfileYaml.Export(back));
    }

    private const string Valid = """
        apiVersion: zerodrift.dev/v1
        kind: BehaviourProfile
        metadata:
          workload: web
          imageDigest: sha256:1111111111111111111111111111111111111111111111111111111111111111
        spec:
          mode: protect
          processes:
          - executable: /bin/httpd
          network:
          - direction: egress
            protocol: tcp
            peer: 10.1.2.3
            port: 5432
          syscalls: [read, write]
        """;

    [Fact]
    public void Reads_a_hand_written_profile()
    {
        var profile = ProfileYaml.Parse(Valid, "web.yaml");
        Assert.Equal(ProfileMode.Protect, profile.Mode);
        Assert.Equal(["read", "write"], profile.Syscalls);
        Assert.Equal(new NetworkEntry(NetworkDirection.Egress, "tcp", "10.1.2.3", 5432), Assert.Single(profile.Network));
    }

    [Theory]
    [InlineData("mode: protect", "mode: lockdown", "spec.mode 'lockdown'")]
    [InlineData("syscalls: [read, write]", "syscalls: [read, frobnicate]", "unknown system call 'frobnicate'")]
    [InlineData("port: 5432", "port: 70000", "port 70000 out of range")]
    [InlineData("peer: 10.1.2.3", "peer: db.example", "network peer 'db.example'")]
    [InlineData("protocol: tcp", "protocol: sctp", "network protocol 'sctp'")]
    [InlineData("executable: /bin/httpd", "executable: httpd", "'httpd' is not an absolute path")]
    [InlineData("imageDigest: sha256:1111111111111111111111111111111111111111111111111111111111111111", "imageDigest: latest", "metadata.imageDigest")]
    [InlineData("kind: BehaviourProfile", "kind: Pod", "expected apiVersion zerodrift.dev/v1 and kind BehaviourProfile")]
    [InlineData("  - executable: /bin/httpd", "  - executable: [/bin/httpd", "line ")]
    public void Refuses_a_bad_profile_with_one_line_that_says_why(string from, string to, string reason)
    {
        var e = Assert.Throws<ProfileFormatException>(() => ProfileYaml.Parse(Valid.Replace(from, to, StringComparison.Ordinal), "web.yaml"));
        Assert.Contains(reason, e.Message);
        Assert.StartsWith("web.yaml: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Refuses_an_oversized_file_before_reading_it()
    {
        using var dir = new TempDir();
        var path = dir.File("big.yaml", new string('#', (8 << 20) + 1));
        Assert.Equal($"profile {path} is larger than 8 MiB", Assert.Throws<ProfileFormatException>(() => ProfileYaml.Import(path)).Message);
        Assert.Equal("profile /dev/zero is not a regular file", Assert.Throws<ProfileFormatException>(() => ProfileYaml.Import("/dev/zero")).Message);
    }
}
