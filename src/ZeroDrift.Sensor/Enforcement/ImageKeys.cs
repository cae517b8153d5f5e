using System.Globalization;
using System.Text;
using ZeroDrift.Sensor.Native;

namespace ZeroDrift.Sensor.Enforcement;

/// <summary>
/// The key the kernel reads at a container's first exec (enforce.bpf.c, <c>classify</c>: the root directory of its
/// overlay's first lower layer), computed in user space from what mountinfo says of an overlay: its first
/// <c>lowerdir</c>, stat'ed. A container's root mount and the image's own mount (<c>podman image mount</c>) name the
/// same directory (c/storage through its short <c>l/</c> links, which stat follows).
/// </summary>
internal static class ImageKeys
{
    private const string Overlay = "overlay";

    /// <summary>The image key of a process's root (/proc/PID/mountinfo, the mount at "/"), null when it is not an overlay.</summary>
    public static ImageKey? OfProcess(int pid)
    {
        var mountInfo = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/mountinfo";
        try
        {
            // The last mount at "/" is the one the process sees (pivot_root leaves only the container's).
            string? lowerDir = null;
            foreach (var line in File.ReadLines(mountInfo))
                if (Parse(line) is { MountPoint: "/" } mount)
                    lowerDir = mount.Type == Overlay ? mount.FirstLowerDir : null;
            return lowerDir is null ? null : KeyOf(lowerDir);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>The image key of an overlay mounted at <paramref name="mergedDirectory"/> (an image mount), null when
    /// nothing or something else is mounted there.</summary>
    public static ImageKey? OfMount(string mergedDirectory)
    {
        var target = Path.GetFullPath(mergedDirectory).TrimEnd('/');
        string? lowerDir = null;
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            if (Parse(line) is { } mount && mount.MountPoint == target)
                lowerDir = mount.Type == Overlay ? mount.FirstLowerDir : null;
        return lowerDir is null ? null : KeyOf(lowerDir);
    }

    private static ImageKey? KeyOf(string directory) =>
        LibC.DeviceAndInode(directory) is { } st ? new ImageKey(KernelDevice.FromStat(st.Device), st.Inode) : null;

    /// <summary>A mount as mountinfo describes it, with an overlay's first lower layer.</summary>
    internal readonly record struct Mount(string MountPoint, string Type, string? FirstLowerDir);

    /// <summary>One mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL…] - TYPE SOURCE SUPER-OPTIONS".</summary>
    internal static Mount? Parse(string line)
    {
        var fields = line.Split(' ');
        if (fields.Length < 10) return null;
        var dash = Array.IndexOf(fields, "-", 6);
        if (dash < 0 || dash + 3 >= fields.Length) return null;
        string? lower = null;
        foreach (var option in SplitUnescaped(fields[dash + 3], ','))
            if (option.StartsWith("lowerdir=", StringComparison.Ordinal))
                lower = Unescape(SplitUnescaped(option["lowerdir=".Length..], ':').FirstOrDefault(d => d.Length > 0) ?? "");
        return new Mount(Unescape(fields[4]), fields[dash + 1], string.IsNullOrEmpty(lower) ? null : lower);
    }

    /// <summary>Splits on a separator that is not escaped by a backslash (overlay escapes ':' and ',' in layer paths).</summary>
    private static IEnumerable<string> SplitUnescaped(string s, char separator)
    {
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\') { i++; continue; }
            if (s[i] != separator) continue;
            yield return s[start..i];
            start = i + 1;
        }
        yield return s[start..];
    }

    /// <summary>The kernel's escapes in mountinfo: \ooo octal (space, tab, newline, backslash, ',' and '='), and a
    /// backslash before a character it keeps.</summary>
    private static string Unescape(string s)
    {
        if (!s.Contains('\\', StringComparison.Ordinal)) return s;
        var bytes = new List<byte>(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && IsOctal(s, i + 1))
            {
                bytes.Add((byte)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else if (s[i] == '\\' && i + 1 < s.Length)
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(s[++i].ToString()));
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(s[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString([.. bytes]);
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s[at] is >= '0' and <= '3' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';
}
