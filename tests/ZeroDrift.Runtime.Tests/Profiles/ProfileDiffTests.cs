using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.Runtime.Tests.Profiles;

public sealed class ProfileDiffTests
{
    [Fact]
    public void Shows_what_a_new_image_version_adds_and_drops()
    {
        var v1 = ProfileFixtures.Web();
        var v2 = ProfileFixtures.Web(ProfileFixtures.DigestV2) with
        {
            Processes = [.. v1.Processes, new ProcessEntry("/usr/bin/curl", Parent: "/bin/sh")],
            Syscalls = [.. v1.Syscalls.Where(s => s != "accept4"), "connect"],
        };
        var diff = ProfileDiff.Between(v1, v2);
        Assert.False(diff.Empty);
        var processes = diff.Sections.Single(s => s.Section == "processes");
        Assert.Equal(["/usr/bin/curl (parent /bin/sh)"], processes.Added);
        Assert.Empty(processes.Removed);
        var syscalls = diff.Sections.Single(s => s.Section == "syscalls");
        Assert.Equal(["connect"], syscalls.Added);
        Assert.Equal(["accept4"], syscalls.Removed);
        Assert.True(ProfileDiff.Between(v1, v1).Empty);
    }
}

public sealed class ProfileHashAndUserTests
{
    private const string HashA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string HashB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    [Fact]
    public void A_diff_between_image_versions_reports_an_executable_whose_hash_changed()
    {
        var v1 = ProfileFixtures.Web() with { Processes = [new ProcessEntry("/bin/httpd", HashA, "/bin/sh", "www-data", 33)] };
        var v2 = ProfileFixtures.Web(ProfileFixtures.DigestV2) with { Processes = [new ProcessEntry("/bin/httpd", HashB, "/bin/sh", "www-data", 33)] };
        var processes = ProfileDiff.Between(v1, v2).Sections.Single(s => s.Section == "processes");
        Assert.Equal([$"/bin/httpd (parent /bin/sh) as www-data: sha256 {HashA} -> {HashB}"], processes.Changed);
        Assert.Empty(processes.Added);
        Assert.Empty(processes.Removed);
        Assert.False(ProfileDiff.Between(v1, v2).Empty);
    }

    [Fact]
    public void A_hash_computed_later_refines_the_entry_learned_without_it_without_restarting_the_quiet_period()
    {
        var t0 = ProfileFixtures.T0;
        var b = ProfileBuilder.New(new WorkloadIdentity("web", ProfileFixtures.DigestV1), t0);
        Assert.True(b.ObserveProcess(new ProcessEntry("/bin/httpd", null, "/bin/sh", "www-data", 33), t0.AddMinutes(1)));
        Assert.True(b.FillHash("/bin/httpd", HashA));
        Assert.False(b.ObserveProcess(new ProcessEntry("/bin/httpd", null, "/bin/sh", "www-data", 33), t0.AddMinutes(2))); // hash not known yet: matches
        Assert.False(b.ObserveProcess(new ProcessEntry("/bin/httpd", HashA, "/bin/sh", "www-data", 33), t0.AddMinutes(3)));
        Assert.True(b.ObserveProcess(new ProcessEntry("/bin/httpd", HashB, "/bin/sh", "www-data", 33), t0.AddMinutes(4))); // other content: new
        var profile = b.Build(t0.AddMinutes(5));
        Assert.Equal([HashA, HashB], profile.Processes.Select(p => p.Sha256));
        Assert.Equal(t0.AddMinutes(4), profile.LastNewBehaviour);
    }

    [Fact]
    public void The_matcher_compares_names_hashes_and_still_knows_profiles_that_recorded_numeric_uids()
    {
        var profile = ProfileFixtures.Web() with
        {
            Mode = ProfileMode.Monitor,
            Processes = [new ProcessEntry("/bin/httpd", HashA, "/bin/sh", "www-data", 33), new ProcessEntry("/bin/worker", null, "/bin/sh", "0")],
        };
        var m = new ZeroDrift.Runtime.Engine.ProfileMatcher(profile);
        var id = profile.Identity;
        var at = ProfileFixtures.T0;
        Assert.True(m.Knows(new ZeroDrift.Runtime.Engine.ExecObservation(id, at, "/bin/httpd", "/bin/sh", "www-data", Sha256: HashA, Uid: 33)));
        Assert.True(m.Knows(new ZeroDrift.Runtime.Engine.ExecObservation(id, at, "/bin/httpd", "/bin/sh", "www-data", Sha256: null, Uid: 33))); // not hashed yet
        Assert.False(m.Knows(new ZeroDrift.Runtime.Engine.ExecObservation(id, at, "/bin/httpd", "/bin/sh", "www-data", Sha256: HashB, Uid: 33))); // replaced binary
        Assert.False(m.Knows(new ZeroDrift.Runtime.Engine.ExecObservation(id, at, "/bin/httpd", "/bin/sh", "nobody", Sha256: HashA, Uid: 65534)));
        Assert.True(m.Knows(new ZeroDrift.Runtime.Engine.ExecObservation(id, at, "/bin/worker", "/bin/sh", "root", Uid: 0))); // recorded as "0" before names
        Assert.False(m.Knows(new ZeroDrift.Runtime.Engine.ExecObservation(id, at, "/bin/worker", "/bin/sh", "nobody", Uid: 65534)));
    }

    [Fact]
    public void The_runtimes_processes_are_one_parent_per_way_in_and_profiles_that_named_them_by_path_still_match()
    {
        Assert.Equal(RuntimeParent.Entry, RuntimeParent.Canonical("/usr/bin/conmon"));
        Assert.Equal(RuntimeParent.Entry, RuntimeParent.Canonical("/usr/bin/containerd-shim-runc-v2"));
        Assert.Equal(RuntimeParent.Exec, RuntimeParent.Canonical("/usr/sbin/runc"));
        Assert.Equal(RuntimeParent.Exec, RuntimeParent.Canonical("/usr/bin/crun (deleted)"));
        Assert.Equal(RuntimeParent.Exec, RuntimeParent.Canonical("memfd:runc_cloned:/proc/self/exe"));
        Assert.Equal("/bin/sh", RuntimeParent.Canonical("/bin/sh"));
        Assert.Null(RuntimeParent.Canonical(null));

        // A profile learned before the stable names: the entrypoint's shell under conmon, a health check under runc.
        var profile = ProfileFixtures.Web() with
        {
            Mode = ProfileMode.Protect,
            Processes = [new ProcessEntry("/bin/sh", Parent: "/usr/bin/conmon"), new ProcessEntry("/usr/bin/redis-cli", Parent: "/usr/sbin/runc")],
        };
        var m = new ZeroDrift.Runtime.Engine.ProfileMatcher(profile);
        ZeroDrift.Runtime.Engine.ExecObservation Exec(string exe, string parent) => new(profile.Identity, ProfileFixtures.T0, exe, parent, "root", Uid: 0);
        Assert.True(m.Knows(Exec("/bin/sh", RuntimeParent.Entry)));
        Assert.True(m.Knows(Exec("/usr/bin/redis-cli", RuntimeParent.Exec)));
        Assert.True(m.Knows(Exec("/usr/bin/redis-cli", "/usr/bin/crun")));
        // A shell entering through the exec path is not the entrypoint's shell.
        Assert.False(m.Knows(Exec("/bin/sh", RuntimeParent.Exec)));
    }

    [Fact]
    public void Yaml_carries_the_uid_and_refuses_one_out_of_range()
    {
        var profile = ProfileFixtures.Web() with { Processes = [new ProcessEntry("/bin/httpd", HashA, "/bin/sh", "www-data", 33)] };
        var yaml = ProfileYaml.Export(profile);
        Assert.Contains("uid: 33", yaml, StringComparison.Ordinal);
        Assert.Equal(profile.Processes, ProfileYaml.Parse(yaml, "web.yaml").Processes);
        var bad = Assert.Throws<ProfileFormatException>(() => ProfileYaml.Parse(yaml.Replace("uid: 33", "uid: -4", StringComparison.Ordinal), "web.yaml"));
        Assert.Contains("uid -4 is out of range", bad.Message, StringComparison.Ordinal);
    }
}
