using System.Buffers.Binary;
using System.Net;
using ZeroDrift.Sensor.Enforcement;

namespace ZeroDrift.Sensor.Tests;

/// <summary>The pieces of enforcement that need no kernel: encodings, keys, records, path resolution.</summary>
public class EnforcementPartsTests
{
    [Theory]
    [InlineData(0x801UL, (8UL << 20) | 1)]       // sda1, 8:1
    [InlineData(0x2eUL, 46UL)]                    // an overlay's anonymous 0:46
    [InlineData(0x100003UL, 259UL)]               // anonymous 0:259: the minor's high bits move
    [InlineData(0x1030bUL, (259UL << 20) | 11)]   // nvme0n1p?, 259:11
    public void Stat_device_numbers_convert_to_the_kernel_encoding_and_back(ulong stDev, ulong kernel)
    {
        Assert.Equal(kernel, KernelDevice.FromStat(stDev));
        Assert.Equal(stDev, KernelDevice.ToStat(kernel));
    }

    [Theory]
    [InlineData(new[] { "httpd", "-f" }, "/bin/busybox", "httpd")]
    [InlineData(new[] { "/bin/sh", "-c", "x" }, "/bin/busybox", "sh")]
    [InlineData(new[] { "/bin/busybox", "sh", "-c", "x" }, "/bin/busybox", "sh")]   // dispatches on argv[1]
    [InlineData(new[] { "busybox" }, "/bin/busybox", null)]                          // its own name
    [InlineData(new[] { "/usr/bin/python3", "x.py" }, "/usr/bin/python3.11", "python3")]
    [InlineData(new[] { "python3.11", "x.py" }, "/usr/bin/python3.11", null)]        // no argv[1] rule for others
    [InlineData(new string[0], "/bin/busybox", "")]
    public void Program_names_are_the_name_a_multi_call_binary_dispatches_on(string[] argv, string exe, string? expected) =>
        Assert.Equal(expected, ProgramName.Of(argv, exe));

    [Fact]
    public void Program_name_hashes_are_fnv1a_of_the_basename_as_the_kernel_computes_them()
    {
        Assert.Equal(0xcbf29ce484222325UL, ProgramName.Hash(""));
        Assert.Equal(0x5b5c98ef514dbfa5UL, ProgramName.Hash("true")); // read from the kernel program's key in a trace
        Assert.Equal(ProgramName.Hash("sh"), ProgramName.Hash("/bin/sh"));
        var longName = new string('a', 200);
        Assert.Equal(ProgramName.Hash(longName[..ProgramName.MaxBytes]), ProgramName.Hash(longName));
    }

    [Fact]
    public void Kernel_encoding_is_major_shifted_by_20()
    {
        // glibc makedev(259, 300) = (300 & 0xff) | (259 << 8) | ((300 & ~0xff) << 12)
        const ulong stDev = (300 & 0xff) | (259UL << 8) | ((300UL & ~0xffUL) << 12);
        Assert.Equal((259UL << 20) | 300, KernelDevice.FromStat(stDev));
        Assert.Equal(46UL, KernelDevice.FromStat(46));
    }

    [Fact]
    public void Network_keys_cover_policy_port_family_and_the_masked_prefix()
    {
        var key = KernelEnforcer.NetKey(0x11223344, v4: true, [10, 88, 7, 9], 16, 53);
        Assert.Equal(28, key.Length);
        Assert.Equal(64u + 16, BinaryPrimitives.ReadUInt32LittleEndian(key));
        Assert.Equal(0x11223344u, BinaryPrimitives.ReadUInt32LittleEndian(key.AsSpan(4)));
        Assert.Equal((byte)0, key[8]);
        Assert.Equal((byte)53, key[9]); // network order, as the kernel's user_port
        Assert.Equal((ushort)2, BinaryPrimitives.ReadUInt16LittleEndian(key.AsSpan(10)));
        Assert.Equal(new byte[] { 10, 88, 0, 0 }, key[12..16]);
        var partial = KernelEnforcer.NetKey(1, v4: true, [192, 168, 255, 255], 20, 0);
        Assert.Equal(new byte[] { 192, 168, 240, 0 }, partial[12..16]);
    }

    [Fact]
    public void Exec_and_connect_records_parse()
    {
        var exec = new byte[BlockedRecord.Size];
        BinaryPrimitives.WriteInt64LittleEndian(exec, 5_000_000_000);
        BinaryPrimitives.WriteUInt64LittleEndian(exec.AsSpan(8), 77);
        BinaryPrimitives.WriteUInt64LittleEndian(exec.AsSpan(16), FileId.OverlayDevice);
        BinaryPrimitives.WriteUInt64LittleEndian(exec.AsSpan(24), 1234);
        BinaryPrimitives.WriteUInt32LittleEndian(exec.AsSpan(32), 1);
        BinaryPrimitives.WriteInt32LittleEndian(exec.AsSpan(36), 4242);
        BinaryPrimitives.WriteUInt32LittleEndian(exec.AsSpan(40), 2 | 16);
        BinaryPrimitives.WriteUInt32LittleEndian(exec.AsSpan(68), 8);
        BinaryPrimitives.WriteUInt32LittleEndian(exec.AsSpan(72), 0xfeedbeef);
        BinaryPrimitives.WriteInt32LittleEndian(exec.AsSpan(76), -3); // -ESRCH: the signal was not sent
        "/tmp/evil"u8[..8].CopyTo(exec.AsSpan(80));
        var a = BlockedRecord.TryParse(exec, clockOffsetNs: 1_700_000_000_000_000_000)!;
        Assert.Equal(("exec", 77UL, 4242, "/tmp/evi", FileId.OverlayDevice, 1234UL), (a.Kind, a.CgroupId, a.Pid, a.Executable, a.Device, a.Inode));
        Assert.Equal(BlockReasons.WritableLayer | BlockReasons.DriftPrevention, a.Reasons);
        Assert.Equal((0xfeedbeefu, -3, false), (a.Policy, a.SignalResult, a.Stopped));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_005), a.At);

        var connect = new byte[BlockedRecord.Size];
        BinaryPrimitives.WriteUInt32LittleEndian(connect.AsSpan(32), 3);
        BinaryPrimitives.WriteUInt16LittleEndian(connect.AsSpan(44), 10);
        BinaryPrimitives.WriteUInt16LittleEndian(connect.AsSpan(46), 8443);
        IPAddress.Parse("fd00::1").GetAddressBytes().CopyTo(connect.AsSpan(48));
        BinaryPrimitives.WriteInt32LittleEndian(connect.AsSpan(64), 17);
        BinaryPrimitives.WriteUInt32LittleEndian(connect.AsSpan(72), 9);
        var c = BlockedRecord.TryParse(connect, 0)!;
        Assert.Equal(("connect", "udp", new IPEndPoint(IPAddress.Parse("fd00::1"), 8443), 9u, true), (c.Kind, c.Protocol, c.Destination, c.Policy, c.Stopped));

        Assert.Null(BlockedRecord.TryParse(connect.AsSpan(0, 100), 0));
        BinaryPrimitives.WriteUInt32LittleEndian(connect.AsSpan(32), 99);
        Assert.Null(BlockedRecord.TryParse(connect, 0));
    }

    [Fact]
    public void The_runtime_parent_classes_are_what_the_kernel_writes_and_no_file_can_be()
    {
        // enforce.bpf.c: {0, class} for the runtime (no filesystem has device 0), ~0 in both for any parent.
        Assert.Equal(new ExecParent(0, 1), ExecParent.Entry);
        Assert.Equal(new ExecParent(0, 2), ExecParent.RuntimeExec);
        Assert.Equal(new ExecParent(ulong.MaxValue, ulong.MaxValue), ExecParent.Any);
        Assert.Equal(new ExecParent(FileId.OverlayDevice, 5), ExecParent.Of(new FileId(FileId.OverlayDevice, 5)));
        Assert.True(FileId.OverlayDevice > uint.MaxValue); // s_dev is 32 bits: never a real device
    }

    [Fact]
    public void An_overlay_mount_gives_its_first_lower_layer_with_the_kernel_escapes_undone()
    {
        var container = ImageKeys.Parse("80 53 0:41 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/containers/storage/overlay/l/OHCE:/var/lib/containers/storage/overlay/l/CNYB,upperdir=/u/diff,workdir=/u/work,uuid=on")!.Value;
        Assert.Equal(("/", "overlay", "/var/lib/containers/storage/overlay/l/OHCE"), (container.MountPoint, container.Type, container.FirstLowerDir));
        var image = ImageKeys.Parse("116 45 0:76 / /var/lib/containers/storage/overlay/632a/merged ro,relatime - overlay overlay ro,lowerdir=/var/lib/containers/storage/overlay/632a/diff:/var/lib/containers/storage/overlay/632a/empty,redirect_dir=on")!.Value;
        Assert.Equal(("/var/lib/containers/storage/overlay/632a/merged", "/var/lib/containers/storage/overlay/632a/diff"), (image.MountPoint, image.FirstLowerDir));
        // A space (octal), an escaped ':' and ',' inside a layer's path, and an optional field before the separator.
        var odd = ImageKeys.Parse(@"9 1 0:5 / /mnt/with\040space rw shared:3 - overlay overlay rw,lowerdir=/layers/a\:b\,c:/layers/d,upperdir=/x")!.Value;
        Assert.Equal(("/mnt/with space", "/layers/a:b,c"), (odd.MountPoint, odd.FirstLowerDir));
        var ext4 = ImageKeys.Parse("25 1 254:0 / / rw,relatime - ext4 /dev/vda rw")!.Value;
        Assert.Equal(("ext4", null), (ext4.Type, ext4.FirstLowerDir));
        Assert.Null(ImageKeys.Parse("garbage"));
    }

    [Fact]
    public void Container_paths_resolve_their_symlinks_and_dotdot_inside_the_container_root()
    {
        using var dir = new TempDir();
        var root = dir.Combine("root");
        dir.File("root/bin/busybox", "elf");
        File.CreateSymbolicLink(dir.Combine("root/bin/sh"), "/bin/busybox"); // absolute: must stay inside root
        File.CreateSymbolicLink(dir.Combine("root/bin/up"), "../../../../../etc/passwd");
        Directory.CreateDirectory(dir.Combine("root/usr"));
        File.CreateSymbolicLink(dir.Combine("root/usr/bin"), "../bin");
        File.CreateSymbolicLink(dir.Combine("root/loop"), "/loop");

        dir.File("root/etc/passwd", "inside\n");
        var busybox = RootedPath.Stat(root, "/bin/busybox")!.Value;
        Assert.Equal(busybox, RootedPath.Stat(root, "/bin/sh"));
        Assert.Equal(busybox, RootedPath.Stat(root, "/usr/bin/sh"));
        Assert.Equal(busybox, RootedPath.Stat(root, "/../../bin/sh"));
        // Never the host's /etc/passwd, however many ".." the link has.
        Assert.Equal(RootedPath.Stat(root, "/etc/passwd"), RootedPath.Stat(root, "/bin/up"));
        Assert.NotEqual(RootedPath.Stat("/", "/etc/passwd"), RootedPath.Stat(root, "/bin/up"));
        Assert.Null(RootedPath.Stat(root, "/loop"));
        Assert.Null(RootedPath.Stat(root, "/missing"));
    }
}
