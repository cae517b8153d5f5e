using ZeroDrift.Remediation.Compression;

namespace ZeroDrift.Remediation.Tests;

/// <summary>The xz decoder used for .deb members and Packages.xz: liblzma through P/Invoke, on data made by the real xz tool.</summary>
public sealed class XzDecoderTests
{
    private static byte[] Payload()
    {
        // Real, compressible bytes: this machine's busybox, repeated with a varying counter.
        var busybox = File.ReadAllBytes("/bin/busybox");
        using var ms = new MemoryStream();
        for (var i = 0; i < 4; i++) { ms.Write(busybox); ms.Write(BitConverter.GetBytes(i)); }
        return ms.ToArray();
    }

    private static byte[] Xz(byte[] data, TempDir dir)
    {
        var path = dir.File("p", "");
        File.WriteAllBytes(path, data);
        Tools.Tool("xz", ["-6", "-k", "-f", path]);
        return File.ReadAllBytes(path + ".xz");
    }

    private static byte[] Decode(Stream s)
    {
        using var o = new MemoryStream();
        s.CopyTo(o);
        return o.ToArray();
    }

    [Fact]
    public void The_native_decoder_is_used_here_and_reads_what_xz_wrote()
    {
        Assert.True(XzDecoder.IsNative, "liblzma.so.5 could not be loaded");
        using var dir = new TempDir();
        var data = Payload();
        var xz = Xz(data, dir);
        using var native = XzDecoder.Open(new MemoryStream(xz));
        Assert.Equal(data, Decode(native));
        using var managed = new SharpCompress.Compressors.Xz.XZStream(new MemoryStream(xz));
        Assert.Equal(data, Decode(managed));
    }

    [Fact]
    public void Corrupt_or_truncated_xz_is_invalid_data_not_a_crash()
    {
        using var dir = new TempDir();
        var xz = Xz(Payload(), dir);
        var flipped = (byte[])xz.Clone();
        flipped[xz.Length / 2] ^= 0x40;
        Assert.Throws<InvalidDataException>(() => Decode(XzDecoder.Open(new MemoryStream(flipped))));
        Assert.Throws<InvalidDataException>(() => Decode(XzDecoder.Open(new MemoryStream(xz[..(xz.Length / 2)]))));
        Assert.Throws<InvalidDataException>(() => Decode(XzDecoder.Open(new MemoryStream("not xz at all"u8.ToArray()))));
    }
}
