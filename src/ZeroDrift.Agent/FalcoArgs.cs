using System.Globalization;
using System.Text;

namespace ZeroDrift.Agent;

/// <summary>
/// Syscall arguments rendered as libsinsp renders them for <c>evt.arg.NAME</c>: flags and modes as their names joined
/// by '|' (the resolved form, which evt.arg returns), socket families by name, paths made absolute and normalised
/// against the directory they start from (libsinsp's concatenate_paths against the cwd or the dirfd's path).
/// </summary>
public static class FalcoArgs
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>libsinsp's chmod_mode table, in its order (lowest bit first).</summary>
    private static readonly (uint Bit, string Name)[] ModeBits =
    [
        (0x1, "S_IXOTH"), (0x2, "S_IWOTH"), (0x4, "S_IROTH"), (0x8, "S_IXGRP"), (0x10, "S_IWGRP"), (0x20, "S_IRGRP"),
        (0x40, "S_IXUSR"), (0x80, "S_IWUSR"), (0x100, "S_IRUSR"), (0x200, "S_ISVTX"), (0x400, "S_ISGID"), (0x800, "S_ISUID"),
    ];

    /// <summary>A chmod mode: "S_IXOTH|…|S_ISUID" (what evt.arg.mode reads).</summary>
    public static string Mode(uint mode) =>
        string.Join('|', ModeBits.Where(b => (mode & b.Bit) != 0).Select(b => b.Name));

    /// <summary>A chmod mode as evt.args shows it: octal value, then the names.</summary>
    public static string ModeWithValue(uint mode) => "0" + Convert.ToString(mode & 0xfff, 8) + "(" + Mode(mode) + ")";

    private static readonly Dictionary<ulong, string> Families = new()
    {
        [0] = "AF_UNSPEC", [1] = "AF_UNIX", [2] = "AF_INET", [3] = "AF_AX25", [4] = "AF_IPX", [5] = "AF_APPLETALK", [9] = "AF_X25",
        [10] = "AF_INET6", [16] = "AF_NETLINK", [17] = "AF_PACKET", [29] = "AF_CAN", [31] = "AF_BLUETOOTH", [38] = "AF_ALG",
        [40] = "AF_VSOCK", [44] = "AF_XDP",
    };

    /// <summary>A socket family by name (libsinsp's socket_families), else its number.</summary>
    public static string Family(ulong domain) => Families.TryGetValue(domain, out var name) ? name : domain.ToString(Inv);

    private static readonly (ulong Bit, string Name)[] CloneBits =
    [
        (0x00000100, "CLONE_VM"), (0x00000200, "CLONE_FS"), (0x00000400, "CLONE_FILES"), (0x00000800, "CLONE_SIGHAND"),
        (0x00020000, "CLONE_NEWNS"), (0x00040000, "CLONE_SYSVSEM"), (0x02000000, "CLONE_NEWCGROUP"), (0x04000000, "CLONE_NEWUTS"),
        (0x08000000, "CLONE_NEWIPC"), (0x10000000, "CLONE_NEWUSER"), (0x20000000, "CLONE_NEWPID"), (0x40000000, "CLONE_NEWNET"),
        (0x00000080, "CLONE_NEWTIME"),
    ];

    /// <summary>unshare/setns namespace flags by name ("0" when none).</summary>
    public static string CloneFlags(ulong flags)
    {
        var names = CloneBits.Where(b => (flags & b.Bit) != 0).Select(b => b.Name).ToList();
        return names.Count == 0 ? flags.ToString(Inv) : string.Join('|', names);
    }

    /// <summary>A uid/gid argument: -1 (unchanged) as Falco shows it, else the number.</summary>
    public static string Id(ulong value) => (uint)value == uint.MaxValue ? "-1" : ((uint)value).ToString(Inv);

    /// <summary>A descriptor argument: AT_FDCWD as Falco names it, else the number.</summary>
    public static string Fd(ulong value) => (int)value == -100 ? "AT_FDCWD" : ((int)value).ToString(Inv);

    /// <summary>
    /// A path argument as Falco shows it: absolute paths normalised, relative ones joined to the directory they start
    /// from and normalised ("." and ".." resolved lexically, as concatenate_paths does); a relative path whose
    /// directory is unknown stays as given.
    /// </summary>
    public static string Path(string path, string baseDir)
    {
        if (path.Length == 0) return path;
        if (path[0] == '/') return Normalize(path);
        return baseDir.Length == 0 ? path : Normalize(baseDir + "/" + path);
    }

    private static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                if (parts.Count > 0) parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>evt.args: "name=value" pairs joined by spaces, in the order given.</summary>
    public static string Text(IEnumerable<KeyValuePair<string, string>> args)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in args)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(k).Append('=').Append(v);
        }
        return sb.ToString();
    }
}
