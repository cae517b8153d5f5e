namespace ZeroDrift.Sensor;

/// <summary>
/// Syscalls reported one by one (x86_64 numbers): privilege changes, ptrace, module loading, mount, namespace
/// changes, memfd_create. <see cref="StringArg"/> is the argument read as a string (-1 for none).
/// </summary>
public static class NotableSyscalls
{
    public sealed record Entry(int Nr, string Name, int StringArg);

    public static readonly IReadOnlyList<Entry> X64 =
    [
        new(101, "ptrace", -1),
        new(105, "setuid", -1),
        new(106, "setgid", -1),
        new(113, "setreuid", -1),
        new(114, "setregid", -1),
        new(117, "setresuid", -1),
        new(119, "setresgid", -1),
        new(122, "setfsuid", -1),
        new(123, "setfsgid", -1),
        new(126, "capset", -1),
        new(165, "mount", 1),
        new(166, "umount2", 0),
        new(155, "pivot_root", 0),
        new(175, "init_module", 2),
        new(313, "finit_module", 1),
        new(308, "setns", -1),
        new(272, "unshare", -1),
        new(319, "memfd_create", 0),
        new(321, "bpf", -1),
        new(298, "perf_event_open", -1),
        new(246, "kexec_load", -1),
        new(320, "kexec_file_load", -1),
    ];

    private static readonly Dictionary<int, string> Names = X64.ToDictionary(e => e.Nr, e => e.Name);

    public static string? NameOf(int nr) => Names.GetValueOrDefault(nr);
}
