using System.Security.Cryptography;
using System.Text;
using ZeroDrift.Runtime.Engine;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Rules;
using ZeroDrift.Sensor.Enforcement;

namespace ZeroDrift.Agent.Tests;

/// <summary>User names from the container's files, executables' hashes off the hot path, and the exec record's new fields.</summary>
public sealed class ExecFactsTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void Names_come_from_the_containers_own_passwd_and_group_and_hostile_lines_are_skipped()
    {
        var reads = 0;
        var names = new UserNames((pid, path) =>
        {
            reads++;
            return path == "/etc/passwd"
                ? Bytes("# comment\n+nis\nbroken line\n:x:5:5::/:/bin/sh\nroot:x:0:0:root:/root:/bin/ash\nnobody:x:65534:65534:nobody:/:/sbin/nologin\nbig:x:99999999999:1::/:/bin/sh\n")
                : path == "/etc/group" ? Bytes("root:x:0:\nnogroup:x:65534:\n") : null;
        });
        var (user, group) = names.Resolve(1602, 4026532249, 42, 65534, 65534);
        Assert.Equal(new UserEntry("nobody", "/", "/sbin/nologin"), user);
        Assert.Equal("nogroup", group);
        Assert.Equal(("root", "root"), (names.Resolve(1602, 4026532249, 42, 0, 0).User!.Name, names.Resolve(1602, 4026532249, 42, 0, 0).Group));
        Assert.Equal(2, reads); // one table per mount namespace: read once
        Assert.Null(names.Resolve(1602, 4026532249, 42, 5, 5).User); // an empty name names no one; and no re-read within 10 s
        Assert.Equal(2, reads);
        names.Resolve(1602, 4026532250, 43, 0, 0); // another namespace: its own files
        Assert.Equal(4, reads);
        names.Forget(1602);
        names.Resolve(1602, 4026532250, 43, 0, 0); // the cgroup was gone: its names are read again
        Assert.Equal(6, reads);
    }

    [Fact]
    public void A_uid_missing_from_the_table_reads_the_files_again_after_ten_seconds_not_before()
    {
        var clock = new ManualClock();
        var passwd = "root:x:0:0:root:/root:/bin/sh\n";
        var reads = 0;
        var names = new UserNames((_, path) =>
        {
            reads++;
            return path == "/etc/passwd" ? Bytes(passwd) : null;
        }, clock);
        Assert.Null(names.Resolve(1602, 7, 42, 1000, 0).User);
        Assert.Equal(2, reads);
        passwd += "app:x:1000:1000::/app:/bin/sh\n"; // a user added at run time
        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Null(names.Resolve(1602, 7, 42, 1000, 0).User);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("app", names.Resolve(1602, 7, 42, 1000, 0).User?.Name);
        Assert.Equal(4, reads);
    }

    [Fact]
    public void When_the_process_has_exited_another_of_its_container_is_read_and_an_unreadable_table_is_retried()
    {
        var live = new HashSet<int> { 7 };
        var names = new UserNames((pid, path) => live.Contains(pid) && path == "/etc/passwd" ? Bytes("nobody:x:65534:65534::/:/bin/false\n") : null);
        Assert.Equal("nobody", names.Resolve(1, 2, 42, 65534, 65534, () => 7).User?.Name); // pid 42 is gone: pid 7 is read
        var unread = new UserNames((_, _) => null);
        Assert.Null(unread.Resolve(1, 2, 42, 65534, 65534).User);
    }

    [Fact]
    public void A_file_over_the_limit_or_not_regular_is_not_read_through_a_containers_root()
    {
        using var dir = new TempDir();
        var big = dir.File("big", new string('x', 100));
        Assert.Null(ContainerFiles.ReadSmall(0, big, 50));
        Assert.Equal(100, ContainerFiles.ReadSmall(0, big, 200)!.Length);
        Assert.Null(ContainerFiles.ReadSmall(0, dir.Path, 200)); // a directory
        Assert.Null(ContainerFiles.ReadSmall(Environment.ProcessId, "/nonexistent/zd", 200));
    }

    [Fact]
    public async Task An_executable_is_hashed_once_in_the_background_and_only_if_it_is_the_file_the_kernel_reported()
    {
        using var dir = new TempDir();
        var path = dir.File("bin/app", "#!/bin/sh\necho app\n");
        using var hashes = new ExecutableHashes((_, p) => File.OpenHandle(p));
        using var handle = File.OpenHandle(path);
        var facts = RootedPath.Stat(handle)!.Value;
        var key = new ExecutableKey(41, facts.Inode, (ulong)facts.Size, facts.MtimeNs);
        var ready = new TaskCompletionSource<string>();
        Assert.Null(hashes.Get(key));
        Assert.True(hashes.Request(key, path, () => [1234], ready.SetResult));
        var sha = await ready.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), sha);
        Assert.Equal(sha, hashes.Get(key));
        Assert.Equal(1, hashes.Hashed);

        // The same path with another size or mtime is another file (rewritten since): not hashed under that key.
        var stale = key with { Size = key.Size + 1 };
        Assert.True(hashes.Request(stale, path, () => [1234], _ => Assert.Fail("a file that is not the one reported was hashed")));
        await hashes.IdleAsync(TimeSpan.FromSeconds(10));
        Assert.Null(hashes.Get(stale));
        Assert.Equal(1, hashes.Failed);
    }

    [Fact]
    public void Capability_sets_read_as_falco_prints_them()
    {
        Assert.Equal("CAP_CHOWN CAP_NET_BIND_SERVICE CAP_SYS_ADMIN", CapabilityNames.Text((1UL << 0) | (1UL << 10) | (1UL << 21)));
        Assert.Equal("", CapabilityNames.Text(0));
        Assert.Equal("CAP_CHECKPOINT_RESTORE CAP_63", CapabilityNames.Text((1UL << 40) | (1UL << 63)));
    }

    [Fact]
    public void The_environment_is_parsed_and_a_truncated_last_entry_dropped()
    {
        var env = EventMapper.Env("PATH=/bin\0HOME=/root\0EMPTY=\0noequals\0PART=abc"u8, truncated: true);
        Assert.Equal(new Dictionary<string, string> { ["PATH"] = "/bin", ["HOME"] = "/root", ["EMPTY"] = "" }, env);
        Assert.Equal("abc", EventMapper.Env("PART=abc"u8, truncated: false)["PART"]);
    }

    [Fact]
    public void A_falco_rule_on_vpid_sid_tty_caps_env_and_user_name_fires_with_the_values_from_the_exec_record()
    {
        var set = new RuleSet();
        var report = RuleLoader.LoadText(set, """
            - rule: Interactive Root Shell In Container
              desc: test
              condition: evt.type = execve and proc.vpid = 7 and proc.vpgid = 7 and proc.sid = 1 and proc.tty != 0 and proc.is_sid_leader = false
                and thread.cap_effective contains CAP_NET_RAW and proc.env[TERM] = xterm and user.name = nobody and group.name = nogroup
              output: shell (vpid=%proc.vpid tty=%proc.tty sid=%proc.sid user=%user.name caps=%thread.cap_permitted env=%proc.env[TERM] home=%user.homedir)
              priority: WARNING
            """, "test.yaml");
        Assert.Empty(report.Warnings);
        var status = Assert.Single(RuleEngine<Runtime.Rules.Reference.SyscallEvent>.Compile(set, Runtime.Rules.Reference.SyscallFields.Create()).Statuses);
        Assert.True(status.State == RuleState.Evaluated, status.Reason);
        Assert.Empty(status.OutputWarnings);
        using var h = new Harness(ProfileMode.Monitor, ruleSet: set);
        h.Feed(h.Exec(Harness.P + 100, 1, "/bin/busybox", ["sh"], uid: 65534, extra: new ExecExtra
        {
            Gid = 65534, Vpid = 7, Vpgid = 7, Vsid = 1, Tty = 34816, CapPermitted = 1UL << 13, CapEffective = 1UL << 13, Env = ["TERM=xterm", "HOME=/"],
        }));
        var alert = h.Sink.Alerts.SingleOrDefault(a => a.GetProperty("rule").GetString() == "Interactive Root Shell In Container");
        Assert.True(alert.ValueKind == System.Text.Json.JsonValueKind.Object, string.Join("\n", h.Sink.Lines) + string.Join("\n", report.Warnings) + h.Loop.Errors);
        var fields = alert.GetProperty("output_fields");
        Assert.Equal(7, fields.GetProperty("proc.vpid").GetInt64());
        Assert.Equal(34816, fields.GetProperty("proc.tty").GetInt64());
        Assert.Equal(1, fields.GetProperty("proc.sid").GetInt64());
        Assert.Equal("nobody", fields.GetProperty("user.name").GetString());
        Assert.Equal("/nonexistent", fields.GetProperty("user.homedir").GetString());
        Assert.Equal("CAP_NET_RAW", fields.GetProperty("thread.cap_permitted").GetString());
        Assert.Equal("xterm", fields.GetProperty("proc.env[TERM]").GetString());
        // The profile's deviation alert names the user too, and the profile would record the name with the uid.
        var deviation = h.Sink.Alerts.Single(a => a.GetProperty("rule").GetString() == "ZeroDrift Process Outside the Profile");
        Assert.Equal("nobody", deviation.GetProperty("output_fields").GetProperty("user.name").GetString());
    }

    [Fact]
    public async Task A_learned_process_records_the_user_name_and_uid_and_its_hash_when_ready()
    {
        using var dir = new TempDir();
        var content = dir.File("busybox", "not really busybox");
        using var handle = File.OpenHandle(content);
        var facts = RootedPath.Stat(handle)!.Value;
        using var hashes = new ExecutableHashes((_, _) => File.OpenHandle(content));
        using var h = new Harness(hashes: hashes);
        var extra = new ExecExtra { Gid = 65534, Inode = facts.Inode, Size = (ulong)facts.Size, MtimeNs = facts.MtimeNs };
        h.Feed(h.Exec(Harness.P + 100, 1, "/bin/busybox", ["sh"], uid: 65534, extra: extra));
        await hashes.IdleAsync(TimeSpan.FromSeconds(10));
        // The hash came back to the loop as a message; the process and the learned entry get it when it drains (on the
        // thread this test goes on after its await).
        h.Loop.Adopt();
        h.Loop.Drain();
        h.Tick();
        var entry = Assert.Single(h.Store.Get(Harness.Identity.Key)!.Processes);
        Assert.Equal(("nobody", 65534L), (entry.User, entry.Uid!.Value));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(content))), entry.Sha256);
        // The next exec of the file carries the hash at once; a file with other content under the same path is not known.
        h.Feed(h.Exec(Harness.P + 101, 1, "/bin/busybox", ["sh"], uid: 65534, extra: extra));
        h.Tick();
        Assert.Single(h.Store.Get(Harness.Identity.Key)!.Processes);
    }
}
