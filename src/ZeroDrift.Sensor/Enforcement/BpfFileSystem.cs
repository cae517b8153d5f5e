using System.Runtime.InteropServices;
using ZeroDrift.Sensor.Native;

namespace ZeroDrift.Sensor.Enforcement;

/// <summary>
/// The BPF filesystem enforcement pins into. A freshly booted machine may have none (nothing mounts one at
/// /sys/fs/bpf unless systemd does): then the agent mounts its own, in its own mount namespace, as it mounts tracefs
/// for the sensor; unlike tracefs it stays mounted, because the pins on it are what keep enforcement going while
/// the agent restarts. A pin root under /sys/fs/bpf gets one at /sys/fs/bpf (where systemd would put it, and
/// where bpftool and other tools look); a pin root elsewhere, outside any BPF filesystem, gets one on itself.
/// </summary>
public static class BpfFileSystem
{
    public const string DefaultMountPoint = "/sys/fs/bpf";
    internal const long Magic = 0xcafe4a11;
    private const string LockPath = "/run/zerodrift-bpffs.lock";

    /// <summary>What the kernel puts in every new BPF filesystem (bpf_preload's iterators): not anybody's pins.</summary>
    private static readonly HashSet<string> Preloaded = new(StringComparer.Ordinal) { "maps.debug", "progs.debug" };

    /// <summary>Whether <paramref name="path"/> is on a BPF filesystem.</summary>
    public static bool IsBpfFs(string path) => LibC.FileSystemType(path) == Magic;

    /// <summary>
    /// Makes <paramref name="pinRoot"/> (a full path) a place pins can go: returns where it mounted a BPF filesystem,
    /// or null when the nearest existing directory of the pin root is on one already.
    /// </summary>
    public static string? Ensure(string pinRoot)
    {
        if (IsBpfFs(NearestExisting(pinRoot))) return null;
        var target = MountPointFor(pinRoot);
        using var exclusive = TakeLock();
        // Another agent may have mounted it while we waited for the lock.
        if (IsBpfFs(NearestExisting(pinRoot))) return null;
        if (target != DefaultMountPoint) CreateMountPoint(pinRoot, target);
        else if (!Directory.Exists(target))
            throw new SensorException($"{target} does not exist (no BPF filesystem can be mounted there): give --pin-root a directory of its own");
        // mode=0700: only root reaches the pins, as systemd mounts it.
        if (LibC.Mount("bpf", target, "bpf", LibC.MsNoSuid | LibC.MsNoDev | LibC.MsNoExec, "mode=0700") != 0)
            throw new SensorException($"{pinRoot} is not on a BPF filesystem and mounting one at {target} failed: {LibC.ErrorText(Marshal.GetLastPInvokeError())}");
        return target;
    }

    private static void CreateMountPoint(string pinRoot, string target)
    {
        try { Directory.CreateDirectory(target); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SensorException($"{pinRoot} is not on a BPF filesystem and {target} cannot be made to mount one: {e.Message}");
        }
    }

    /// <summary>What <see cref="Ensure"/> would do for <paramref name="pinRoot"/>, in words (for <c>agent --check</c>).</summary>
    public static string Predict(string pinRoot)
    {
        var root = Path.GetFullPath(pinRoot).TrimEnd('/');
        var existing = NearestExisting(root);
        if (IsBpfFs(existing)) return $"{existing} is on a BPF filesystem: enforcement is pinned under {root}";
        var target = MountPointFor(root);
        return target == DefaultMountPoint && !Directory.Exists(target)
            ? $"no BPF filesystem and no {target} to mount one on: kernel enforcement cannot pin (give --pin-root a directory of its own)"
            : $"no BPF filesystem holds {root}: the agent mounts one at {target} (in its own mount namespace; it stays mounted so that the pins outlive the agent) and pins enforcement under {root}";
    }

    /// <summary>
    /// After a release: a pin root that is a BPF filesystem of its own (mounted on itself, see <see cref="Ensure"/>)
    /// and holds nothing more is unmounted and removed. /sys/fs/bpf is never unmounted: others pin there too.
    /// </summary>
    internal static void UnmountEmptyOwnRoot(string root)
    {
        if (!IsOwnMount(root) || Directory.EnumerateFileSystemEntries(root).Any(e => !Preloaded.Contains(Path.GetFileName(e)))) return;
        if (LibC.Umount2(root, 0) == 0) Directory.Delete(root);
    }

    /// <summary>Whether <paramref name="root"/> is a BPF filesystem mounted on itself (not /sys/fs/bpf, not inside one).</summary>
    internal static bool IsOwnMount(string root) =>
        root != DefaultMountPoint && Directory.Exists(root) && IsBpfFs(root) && !IsBpfFs(Path.GetDirectoryName(root) ?? "/");

    private static string MountPointFor(string root) =>
        root == DefaultMountPoint || root.StartsWith(DefaultMountPoint + "/", StringComparison.Ordinal) ? DefaultMountPoint : root;

    private static string NearestExisting(string path)
    {
        var at = path;
        while (!Directory.Exists(at) && Path.GetDirectoryName(at) is { } up) at = up;
        return at;
    }

    private static FileStream TakeLock()
    {
        var deadline = Environment.TickCount64 + 10_000;
        while (true)
        {
            try { return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (Environment.TickCount64 < deadline) { Thread.Sleep(25); }
            catch (IOException e) { throw new SensorException($"another process holds {LockPath} (mounting a BPF filesystem): {e.Message}"); }
        }
    }
}
