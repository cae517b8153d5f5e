namespace ZeroDrift.Sensor;

/// <summary>
/// Syscalls reported one by one at their exit (x86_64 numbers): privilege changes, ptrace, module loading, mount,
/// namespace changes, memfd_create, and the file-system and socket calls Falco's rules read (links, mkdir, rename,
/// unlink, chmod, packet sockets, userfaultfd, sockets duplicated onto the standard streams). <see cref="StringArg"/> and <see cref="String2Arg"/> are the arguments
/// read as strings (-1 for none); <see cref="DirArg"/> and <see cref="Dir2Arg"/> the descriptors a relative path
/// starts from (-1: the cwd); <see cref="Entry.Path1"/> and <see cref="Entry.Path2"/> say whether the strings are paths whose directory the kernel
/// reads (a path relative to the cwd or a dirfd is joined to it, as Falco does). sensor.bpf.c has an exit program for
/// each (ZD_NOTABLE_TP and zd_exit_calls); a test checks the two lists agree.
/// </summary>
public static class NotableSyscalls
{
    public sealed record Entry(int Nr, string Name, int StringArg = -1, int String2Arg = -1, int DirArg = -1, int Dir2Arg = -1, bool Path1 = false,
        bool Path2 = false, bool UncommonSocketsOnly = false, bool SocketOntoStdOnly = false)
    {
        /// <summary>The value of the kernel's zd_notable map (NOTABLE_* in sensor.bpf.c).</summary>
        public uint KernelSpec =>
            (uint)(StringArg + 1) | (uint)(String2Arg + 1) << 4 | (uint)(DirArg + 1) << 8 | (uint)(Dir2Arg + 1) << 12 | 1u << 16
            | (Path1 ? 1u << 17 : 0) | (Path2 ? 1u << 18 : 0) | (UncommonSocketsOnly ? 1u << 19 : 0) | (SocketOntoStdOnly ? 1u << 21 : 0);

        /// <summary>The syscall's name in the kernel's trace events (SYSCALL_DEFINE's: umount2 is "umount").</summary>
        public string Tracepoint => Name == "umount2" ? "umount" : Name;
    }

    /// <summary>NOTABLE_ENTRY: report at the syscall's entry (its exit cannot be hooked on this kernel).</summary>
    public const uint AtEntry = 1u << 20;

    public static readonly IReadOnlyList<Entry> X64 =
    [
        new(101, "ptrace"),
        new(105, "setuid"),
        new(106, "setgid"),
        new(113, "setreuid"),
        new(114, "setregid"),
        new(117, "setresuid"),
        new(119, "setresgid"),
        new(122, "setfsuid"),
        new(123, "setfsgid"),
        new(126, "capset"),
        new(165, "mount", 1),
        new(166, "umount2", 0),
        new(155, "pivot_root", 0),
        new(175, "init_module", 2),
        new(313, "finit_module", 1),
        new(308, "setns"),
        new(272, "unshare"),
        new(319, "memfd_create", 0),
        new(321, "bpf"),
        new(298, "perf_event_open"),
        new(246, "kexec_load"),
        new(320, "kexec_file_load"),
        // File-system calls of Falco's rules (create_hardlink, create_symlink, mkdir, modify, chmod macros).
        new(86, "link", 0, 1, Path1: true, Path2: true),
        new(265, "linkat", 1, 3, 0, 2, Path1: true, Path2: true),
        // symlink's target is text, not resolved (Falco's PT_CHARBUF); the link path is.
        new(88, "symlink", 1, 0, Path1: true),
        new(266, "symlinkat", 2, 0, 1, Path1: true),
        new(83, "mkdir", 0, Path1: true),
        new(258, "mkdirat", 1, DirArg: 0, Path1: true),
        new(82, "rename", 0, 1, Path1: true, Path2: true),
        new(264, "renameat", 1, 3, 0, 2, Path1: true, Path2: true),
        new(316, "renameat2", 1, 3, 0, 2, Path1: true, Path2: true),
        new(87, "unlink", 0, Path1: true),
        new(263, "unlinkat", 1, DirArg: 0, Path1: true),
        new(84, "rmdir", 0, Path1: true),
        new(90, "chmod", 0, Path1: true),
        new(91, "fchmod", DirArg: 0, Path1: true),
        new(268, "fchmodat", 1, DirArg: 0, Path1: true),
        // Sockets of families other than AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK (those are every connection's, and
        // seen through connect/bind/listen/accept): AF_PACKET and the rest, which Falco's rules single out.
        new(41, "socket", UncommonSocketsOnly: true),
        new(323, "userfaultfd"),
        // A socket duplicated onto stdin, stdout or stderr (a reverse shell), with the socket's family in Arg5; the
        // dups of files and pipes, every shell redirection, are not reported.
        new(32, "dup", SocketOntoStdOnly: true),
        new(33, "dup2", SocketOntoStdOnly: true),
        new(292, "dup3", SocketOntoStdOnly: true),
    ];

    private static readonly Dictionary<int, Entry> ByNr = X64.ToDictionary(e => e.Nr);

    public static string? NameOf(int nr) => ByNr.GetValueOrDefault(nr)?.Name;

    public static Entry? Of(int nr) => ByNr.GetValueOrDefault(nr);
}
