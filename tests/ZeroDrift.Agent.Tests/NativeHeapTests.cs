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

    /// <summary>
    /// Memory freed below a live chunk stays in the process until trimmed: 48 MiB of small blocks allocated and touched
    /// on one thread, all freed but the last (which pins the heap's top, so glibc's own trim at free cannot reach
    /// them), then <see cref="NativeHeap.Trim"/>: the resident set shrinks by most of it.
    /// </summary>
    [Fact]
    public void Trimming_gives_back_freed_memory_that_a_live_chunk_above_it_holds()
    {
        const int blocks = 12_288, size = 4096;
        var held = new nint[blocks];
        long before = 0, after = 0;
        var trimmed = false;
        // One thread, so one arena; not the test runner's threads, whose allocations would mix in.
        var thread = new Thread(() =>
        {
            for (var i = 0; i < blocks; i++)
            {
                held[i] = System.Runtime.InteropServices.Marshal.AllocHGlobal(size);
                unsafe { new Span<byte>((void*)held[i], size).Fill(1); }
            }
            for (var i = 0; i < blocks - 1; i++) System.Runtime.InteropServices.Marshal.FreeHGlobal(held[i]);
            before = ResidentBytes();
            trimmed = NativeHeap.Trim();
            after = ResidentBytes();
            System.Runtime.InteropServices.Marshal.FreeHGlobal(held[blocks - 1]);
        });
        thread.Start();
        thread.Join();
        Assert.True(trimmed);
        Assert.True(before - after > 32L << 20, $"resident {before >> 20} MiB before the trim, {after >> 20} MiB after");
    }

    private static long ResidentBytes() => long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1]) * Environment.SystemPageSize;
}
