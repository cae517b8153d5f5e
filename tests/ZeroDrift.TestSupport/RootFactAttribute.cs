using Xunit;

namespace ZeroDrift.TestSupport;

/// <summary>A fact that needs root on Linux (eBPF, podman); skipped with that reason otherwise. CI runs as root.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
            Skip = "needs root on Linux: loads eBPF programs into the kernel and runs podman containers";
    }
}
