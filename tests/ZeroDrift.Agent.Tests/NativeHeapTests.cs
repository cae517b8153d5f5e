namespace ZeroDrift.Agent.Tests;

/// <summary>The agent bounds glibc's arenas itself (a long-lived node's RSS), unless the user set MALLOC_ARENA_MAX.</summary>
public sealed class NativeHeapTests
{
    [Fact]
    public void On_glibc_the_arena_limit_is_taken_unless_the_environment_sets_one()
    {
        if (Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is { Length: > 0 })
        {
            Assert.False(NativeHeap.LimitArenas(2));
            return;
        }
        // This machine's C library is glibc (Debian); mallopt answers 1 when it takes the setting.
        Assert.True(File.Exists("/lib/x86_64-linux-gnu/libc.so.6") || File.Exists("/lib/aarch64-linux-gnu/libc.so.6"), "not a glibc machine");
        Assert.True(NativeHeap.LimitArenas(2));
    }
}
