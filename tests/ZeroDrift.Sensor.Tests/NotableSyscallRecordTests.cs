using System.Text.Json;

namespace ZeroDrift.Sensor.Tests;

/// <summary>
/// The kernel's records of the file-system and socket calls Falco's rules read, made by a real process under a real
/// agent: each comes at the call's exit with its result, the task's comm and credentials, its path arguments as given
/// and the directory a relative one starts from (the cwd after a chdir, or the dirfd's path).
/// </summary>
[Collection("agent")]
public sealed class NotableSyscallRecordTests
{
    [RootFact]
    public void File_system_and_socket_calls_come_at_their_exit_with_the_directory_relative_paths_start_from()
    {
        using var dir = new TempDir();
        var work = dir.Combine("work");
        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, "file"), "x");
        IReadOnlyList<JsonElement> events;
        using (var agent = AgentRun.Start("--events", "syscall,exec,exit"))
        {
            // One process: a chdir after its exec (the cwd is read at each call), a dirfd, and calls that fail.
            Tool.Run("python3", "-c", string.Join('\n',
                "import os, socket, ctypes",
                $"os.chdir('{work}')",
                "os.mkdir('made')",
                "os.symlink('/etc/shadow', 'made/sym')",
                "fd = os.open('made', os.O_RDONLY)",
                "os.link('file', 'hard', dst_dir_fd=fd)",
                "os.rename('file', 'renamed')",
                "os.chmod('renamed', 0o4755)",
                "f = os.open('renamed', os.O_RDONLY); os.fchmod(f, 0o644)",
                "os.unlink('hard', dir_fd=fd)",
                "try: os.mkdir('made')",
                "except FileExistsError: pass",
                "socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()",
                "socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0).close()",
                "print(ctypes.CDLL(None).syscall(323, 0))"));
            Thread.Sleep(1500);
            events = agent.Stop();
        }
        var mine = events.Where(e => e.GetProperty("type").GetString() == "syscall" && e.TryGetProperty("comm", out var c) && c.GetString() == "python3").ToList();
        JsonElement One(string name, Func<JsonElement, bool>? also = null) =>
            Assert.Single(mine, e => e.GetProperty("name").GetString() == name && (also?.Invoke(e) ?? true));
        string S(JsonElement e, string p) => e.TryGetProperty(p, out var v) ? v.GetString()! : "";

        var mkdir = One("mkdir", e => e.GetProperty("result").GetInt64() == 0);
        Assert.Equal(("made", work), (S(mkdir, "string"), S(mkdir, "base")));
        Assert.Equal(-17, One("mkdir", e => e.GetProperty("result").GetInt64() != 0).GetProperty("result").GetInt64()); // EEXIST, at the exit
        var symlink = One("symlink");
        Assert.Equal(("made/sym", "/etc/shadow", work), (S(symlink, "string"), S(symlink, "string2"), S(symlink, "base")));
        var link = One("linkat");
        Assert.Equal(("file", work, "hard", Path.Combine(work, "made")), (S(link, "string"), S(link, "base"), S(link, "string2"), S(link, "base2")));
        var rename = One("rename");
        Assert.Equal(("file", "renamed", work, work), (S(rename, "string"), S(rename, "string2"), S(rename, "base"), S(rename, "base2")));
        var chmod = One("chmod");
        Assert.Equal(Convert.ToUInt64("4755", 8), chmod.GetProperty("args")[1].GetUInt64());
        Assert.Equal(Path.Combine(work, "renamed"), S(One("fchmod"), "base")); // the descriptor's own path
        Assert.Equal(("hard", Path.Combine(work, "made")), (S(One("unlinkat"), "string"), S(One("unlinkat"), "base")));
        // socket: AF_PACKET (17) reported, AF_INET left to connect/bind/listen/accept.
        Assert.Equal(17UL, One("socket").GetProperty("args")[0].GetUInt64());
        Assert.True(One("userfaultfd").GetProperty("result").GetInt64() >= 0);
        Assert.All(mine, e => Assert.Equal(0, e.GetProperty("euid").GetInt32()));
    }

    [RootFact]
    public void A_socket_duplicated_onto_a_standard_stream_comes_with_its_family_and_other_dups_do_not()
    {
        IReadOnlyList<JsonElement> events;
        using (var agent = AgentRun.Start("--events", "syscall,exec,exit"))
        {
            // A reverse shell's mark (a connected socket onto stdout), between dups every shell makes: a pipe saved to a
            // high descriptor and put back, a file onto stdin.
            Tool.Run("python3", "-c", string.Join('\n',
                "import os, socket",
                "srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)",
                "c = socket.create_connection(srv.getsockname())",
                "saved = os.dup(1)",
                "os.dup2(c.fileno(), 1)",
                "os.dup2(saved, 1)",
                "f = os.open('/etc/hostname', os.O_RDONLY); os.dup2(f, 0)",
                "s6 = socket.socket(socket.AF_INET6); os.dup2(s6.fileno(), 2, inheritable=False)"));
            Thread.Sleep(1500);
            events = agent.Stop();
        }
        var dups = events.Where(e => e.GetProperty("type").GetString() == "syscall" && e.TryGetProperty("comm", out var c) && c.GetString() == "python3"
            && e.GetProperty("name").GetString() is "dup" or "dup2" or "dup3").ToList();
        Assert.Equal(2, dups.Count);
        var inet = Assert.Single(dups, e => e.GetProperty("name").GetString() == "dup2");
        Assert.Equal((2L, 1L), (inet.GetProperty("socketFamily").GetInt64(), inet.GetProperty("result").GetInt64())); // AF_INET onto stdout
        var inet6 = Assert.Single(dups, e => e.GetProperty("name").GetString() == "dup3"); // python's dup2(…, inheritable=False) is dup3
        Assert.Equal((10L, 2L), (inet6.GetProperty("socketFamily").GetInt64(), inet6.GetProperty("result").GetInt64()));
    }
}
