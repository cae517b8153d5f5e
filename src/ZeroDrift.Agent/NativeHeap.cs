using System.Runtime.InteropServices;

namespace ZeroDrift.Agent;

/// <summary>
/// The C library's heap, as a long-lived agent wants it. glibc gives each thread that allocates natively an arena of
/// its own, up to eight per core, and keeps them for the process's life; an agent whose thread-pool threads come and
/// go (libbpf, SQLite, process starts for container labels) grew its RSS by about 1 MiB per 200 container lifecycles
/// that way (docs/benchmarks.md: +7.0% over 2,000; +2.0% with two arenas). What the arenas free is not handed back
/// either while a live chunk sits above it: after 850 lifecycles glibc's <c>malloc_stats</c> counted 23 MB taken from
/// the system and 5.7 MB in use, and one <c>malloc_trim</c> gave back 9 MB. So the agent trims periodically.
/// </summary>
public static partial class NativeHeap
{
    private const int MArenaMax = -8;

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallOpt(int parameter, int value);

    /// <summary>At most <paramref name="arenas"/> glibc arenas from now on; false where the C library has no such
    /// setting (musl) or refused it. The environment's <c>MALLOC_ARENA_MAX</c>, when set, is left to rule.</summary>
    public static bool LimitArenas(int arenas)
    {
        if (Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is { Length: > 0 }) return false;
        try { return MallOpt(MArenaMax, arenas) == 1; }
        catch (EntryPointNotFoundException) { return false; }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    /// <summary>Gives the free pages of every arena back to the system (glibc's <c>malloc_trim(0)</c>, which since
    /// 2.8 also releases whole free pages below the top of each heap). True when memory was released; false where the C
    /// library has no such call.</summary>
    public static bool Trim()
    {
        try { return MallocTrim(0) == 1; }
        catch (EntryPointNotFoundException) { return false; }
    }

    /// <summary><see cref="Trim"/> every <paramref name="period"/> on a timer thread (glibc locks each arena as it
    /// trims, so it is safe beside the threads that allocate). Dispose to stop.</summary>
    public static IDisposable TrimEvery(TimeSpan period) => new Timer(_ => Trim(), null, period, period);
}
