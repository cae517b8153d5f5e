using System.Text.RegularExpressions;

namespace ZeroDrift.Sensor.Tests;

public partial class NotableSyscallsTests
{
    [GeneratedRegex(@"^ZD_NOTABLE_TP\((\w+)\)$", RegexOptions.Multiline)]
    private static partial Regex ExitTracepoint();

    [GeneratedRegex(@"\[(\d+)\] = \(void \*\)&zd_notable_exit, /\* (\w+) \*/")]
    private static partial Regex FallbackEntry();

    /// <summary>Every notable syscall has its exit program in both hooks of sensor.bpf.c (a syscall missing there
    /// would be silently never reported), and the BPF side hooks nothing the table does not configure.</summary>
    [Fact]
    public void Every_notable_syscall_has_an_exit_tracepoint_program_and_a_fallback_tail_call()
    {
        var source = File.ReadAllText(Path.Combine(RepoPaths.Root, "src/ZeroDrift.Sensor/bpf/sensor.bpf.c"));
        var tracepoints = ExitTracepoint().Matches(source).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(NotableSyscalls.X64.Select(e => e.Tracepoint).Order(StringComparer.Ordinal), tracepoints);
        var fallback = FallbackEntry().Matches(source).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        Assert.Equal(NotableSyscalls.X64.Select(e => e.Nr).Order(), fallback);
    }

    [Fact]
    public void The_captured_event_types_are_the_records_and_every_notable_syscall_by_falcos_names()
    {
        foreach (var name in new[] { "execve", "openat", "connect", "accept", "bind", "listen", "setuid", "unshare", "link", "linkat", "symlink",
                     "symlinkat", "mkdir", "mkdirat", "rename", "renameat", "renameat2", "unlink", "unlinkat", "rmdir", "chmod", "fchmod", "fchmodat",
                     "socket", "userfaultfd", "memfd_create", "ptrace", "dup", "dup2", "dup3" })
            Assert.Contains(name, CapturedEventTypes.Names);
        // Not reported under their own names: no rule may count on them.
        foreach (var name in new[] { "open", "creat", "openat2", "execveat", "accept4", "read", "write", "sendto", "fchmodat2", "procexit" })
            Assert.DoesNotContain(name, CapturedEventTypes.Names);
    }

    [Fact]
    public void The_kernel_spec_says_which_arguments_are_strings_paths_and_directories()
    {
        var linkat = NotableSyscalls.Of(265)!;
        // linkat(olddirfd, oldpath, newdirfd, newpath, flags): strings 2 and 4, directories 1 and 3, both paths.
        Assert.Equal(2u | 4u << 4 | 1u << 8 | 3u << 12 | 1u << 16 | 1u << 17 | 1u << 18, linkat.KernelSpec);
        // symlink(target, linkpath): the link path is the path (joined to the cwd), the target stays text.
        var symlink = NotableSyscalls.Of(88)!;
        Assert.Equal(2u | 1u << 4 | 1u << 16 | 1u << 17, symlink.KernelSpec);
        Assert.Equal(1u << 16 | 1u << 19, NotableSyscalls.Of(41)!.KernelSpec); // socket: uncommon families only
        Assert.Equal("umount", NotableSyscalls.Of(166)!.Tracepoint);
    }
}
