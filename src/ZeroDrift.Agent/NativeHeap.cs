using System.Runtime.InteropServices;

namespace ZeroDrift.Agent;

/// <summary>
/// The C library's heap, as a long-lived agent wants it. glibc gives each thread that allocates natively an arena of
/// its own, up to eight per core, and keeps them for the process's life; an agent whose thread-pool threads come and
/// go (libbpf, SQLite, process starts for container labels) grew its RSS by about 1 MiB per 200 container lifecycles
/// that way (docs/benchmarks.md: +7.0% over 2,000; +2.0% with two arenas).
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
}
