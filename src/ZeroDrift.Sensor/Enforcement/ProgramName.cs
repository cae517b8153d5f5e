using System.Text;

namespace ZeroDrift.Sensor.Enforcement;

/// <summary>
/// The name a program runs under, as a multi-call binary dispatches on it and as the kernel's exec check
/// (enforce.bpf.c, <c>program_name</c>) computes it: the basename of argv[0], or of argv[1] when argv[0] is the
/// binary's own name and it is one that then dispatches on argv[1] (<c>busybox sh</c>). Both sides hash the first
/// <see cref="MaxBytes"/> bytes of each argument with 64-bit FNV-1a, restarting after each '/', so they agree.
/// </summary>
public static class ProgramName
{
    /// <summary>Bytes of an argument the kernel reads (ZDE_NAME - 1).</summary>
    public const int MaxBytes = 127;
    private const ulong Offset = 0xcbf29ce484222325, Prime = 0x100000001b3;

    /// <summary>Binaries that, run under their own name, run the applet named by argv[1].</summary>
    public static bool DispatchesOnFirstArgument(string fileName) => fileName is "busybox" or "toybox";

    /// <summary>The basename of a path (its last component; the path itself when it has no '/').</summary>
    public static string BaseName(string path) => path[(path.LastIndexOf('/') + 1)..];

    /// <summary>
    /// The name the executable at <paramref name="executablePath"/> runs as with <paramref name="argv"/>, or null when
    /// that is its own file name (what profiles record, so that only programs reached under another name carry one).
    /// </summary>
    public static string? Of(IReadOnlyList<string> argv, string executablePath)
    {
        ArgumentNullException.ThrowIfNull(argv);
        ArgumentNullException.ThrowIfNull(executablePath);
        var own = BaseName(executablePath);
        if (argv.Count == 0) return own.Length == 0 ? null : "";
        var first = Encoding.UTF8.GetBytes(argv[0]);
        var name = BaseName(Truncated(argv[0]));
        if (name == own && DispatchesOnFirstArgument(own) && first.Length < MaxBytes && argv.Count > 1)
            name = BaseName(Truncated(argv[1]));
        return name == own ? null : name;
    }

    private static string Truncated(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        return bytes.Length <= MaxBytes ? s : Encoding.UTF8.GetString(bytes, 0, MaxBytes);
    }

    /// <summary>The kernel's hash of a name (its basename's bytes, of the first <see cref="MaxBytes"/>).</summary>
    public static ulong Hash(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var bytes = Encoding.UTF8.GetBytes(name);
        var h = Offset;
        for (var i = 0; i < Math.Min(bytes.Length, MaxBytes); i++)
        {
            var c = bytes[i];
            if (c == 0) break;
            h = c == (byte)'/' ? Offset : (h ^ c) * Prime;
        }
        return h;
    }
}
