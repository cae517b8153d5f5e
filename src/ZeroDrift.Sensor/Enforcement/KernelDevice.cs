namespace ZeroDrift.Sensor.Enforcement;

/// <summary>
/// Device numbers in the two encodings: the kernel's <c>dev_t</c> (<c>major &lt;&lt; 20 | minor</c>, what
/// <c>inode-&gt;i_sb-&gt;s_dev</c> holds and what the BPF programs compare) and user space's <c>st_dev</c> (glibc's
/// <c>makedev</c>). They agree only for small numbers, so stat results are converted before they reach a map.
/// </summary>
public static class KernelDevice
{
    public static ulong FromStat(ulong stDev)
    {
        var major = ((stDev >> 8) & 0xfff) | ((stDev >> 32) & ~0xfffUL);
        var minor = (stDev & 0xff) | ((stDev >> 12) & ~0xffUL);
        return (major << 20) | (minor & 0xfffff);
    }

    public static ulong ToStat(ulong kernelDev)
    {
        var major = kernelDev >> 20;
        var minor = kernelDev & 0xfffff;
        return ((major & 0xfff) << 8) | ((major & ~0xfffUL) << 32) | (minor & 0xff) | ((minor & ~0xffUL) << 12);
    }
}
