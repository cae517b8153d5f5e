using Microsoft.Win32.SafeHandles;
using ZeroDrift.Sensor.Enforcement;

namespace ZeroDrift.Agent;

/// <summary>
/// Files as a process inside a container sees them, read from the host through <c>/proc/PID/root</c> with the
/// kernel resolving every link inside that root (<see cref="RootedPath"/>): a container cannot make the agent
/// read a host file.
/// </summary>
public static class ContainerFiles
{
    /// <summary><paramref name="path"/> opened for reading inside the root of <paramref name="pid"/> (pid 0: the
    /// agent's own root), or null when the process is gone or the path does not resolve to something readable.</summary>
    public static SafeFileHandle? OpenIn(int pid, string path) => RootedPath.OpenForReading(RootedPath.RootOf(pid), path);

    /// <summary>At most <paramref name="limit"/> bytes of a regular file inside the process's root; null when it is not one.</summary>
    public static byte[]? ReadSmall(int pid, string path, int limit)
    {
        using var handle = OpenIn(pid, path);
        if (handle is null || RootedPath.Stat(handle) is not { IsRegular: true } facts || facts.Size > limit) return null;
        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        var buffer = new byte[Math.Min(limit, Math.Max(0, (int)facts.Size) + 1)];
        var total = 0;
        int n;
        while (total < buffer.Length && (n = stream.Read(buffer, total, buffer.Length - total)) > 0) total += n;
        return total > limit ? null : buffer[..total];
    }
}
