using ZeroDrift.Runtime.Hardening;

namespace ZeroDrift.Runtime.Tests.Hardening;

/// <summary>
/// A generated profile, applied by podman and runc for real: the workload whose system calls it was made from
/// runs, and a call outside it is refused with EPERM. The workload's calls come from strace on the host (the
/// sensor's per-cgroup syscall bitmap feeds the same generator in the agent).
/// </summary>
public sealed class SeccompUnderPodmanTests
{
    private const string Workload = "echo learned; cat /etc/hostname >/dev/null";

    [Fact]
    public void The_learned_workload_runs_and_a_call_outside_the_profile_is_refused()
    {
        using var dir = new TempDir();
        var image = $"localhost/zerodrift-seccomp-test:{Guid.NewGuid():N}";
        File.Copy("/bin/busybox", Path.Combine(dir.Path, "busybox"));
        dir.File("Containerfile", "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n");
        var build = Tool("podman", "build", "--runtime", "runc", "-q", "-t", image, dir.Path);
        Assert.True(build.Code == 0, build.Output);
        try
        {
            var trace = Path.Combine(dir.Path, "trace");
            var traced = Tool("strace", "-f", "-qq", "-o", trace, "/bin/busybox", "sh", "-c", Workload);
            Assert.True(traced.Code == 0, traced.Output);
            var learned = File.ReadLines(trace).Select(SyscallOf).OfType<string>().Where(s => SyscallTable.Number(s) is not null).ToHashSet();
            Assert.DoesNotContain("mkdir", learned);
            var profile = dir.File("seccomp.json", SeccompProfileGenerator.Generate(learned));

            var allowed = Run(image, profile, Workload);
            Assert.True(allowed.Code == 0, allowed.Output);
            Assert.Contains("learned", allowed.Output);

            var refused = Run(image, profile, "mkdir /made-at-run-time && echo made");
            Assert.NotEqual(0, refused.Code);
            Assert.Contains("Operation not permitted", refused.Output);
            Assert.DoesNotContain("made\n", refused.Output);

            // The same command without the profile works: the refusal is the profile's doing.
            var unconfined = Run(image, null, "mkdir /made-at-run-time && echo made");
            Assert.Contains("made", unconfined.Output);
        }
        finally
        {
            Tool("podman", "rmi", "-f", image);
        }
    }

    private static (int Code, string Output) Run(string image, string? seccomp, string script)
    {
        List<string> args = ["run", "--rm", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network", "none"];
        if (seccomp is not null) args.AddRange(["--security-opt", $"seccomp={seccomp}"]);
        args.AddRange([image, "sh", "-c", script]);
        return Tool("podman", [.. args]);
    }

    /// <summary>"1234 openat(AT_FDCWD, …" or "1234 &lt;... openat resumed&gt;…" → openat.</summary>
    private static string? SyscallOf(string line)
    {
        var rest = line.AsSpan(line.IndexOf(' ') + 1).TrimStart();
        if (rest.StartsWith("<... ")) rest = rest[5..];
        var end = rest.IndexOfAny('(', ' ');
        return end > 0 ? rest[..end].ToString() : null;
    }

    private static (int Code, string Output) Tool(string file, params string[] args) => HostTool.Run(file, args);
}
