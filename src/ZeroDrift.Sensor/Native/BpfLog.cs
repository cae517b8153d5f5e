using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace ZeroDrift.Sensor.Native;

/// <summary>
/// Captures libbpf's messages (verifier logs included) instead of letting libbpf print them to stderr: the
/// last lines explain a refused program when the user asks with --debug, and the normal output stays one line.
/// </summary>
internal static unsafe class BpfLog
{
    private static readonly Lock Gate = new();
    private static readonly Queue<string> Lines = new();
    private const int MaxLines = 200;
    private static bool installed;

    public static void Install()
    {
        lock (Gate)
        {
            if (installed) return;
            LibBpf.SetPrint(&Print);
            installed = true;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Print(int level, byte* format, nint args)
    {
        const int size = 1024;
        var buffer = stackalloc byte[size];
        var n = LibC.VsnPrintf(buffer, size, format, args);
        if (n <= 0) return 0;
        var line = Encoding.UTF8.GetString(buffer, Math.Min(n, size - 1)).TrimEnd('\n');
        lock (Gate)
        {
            Lines.Enqueue(line);
            while (Lines.Count > MaxLines) Lines.Dequeue();
        }
        return 0;
    }

    /// <summary>The captured lines so far, and forgets them.</summary>
    public static IReadOnlyList<string> Drain()
    {
        lock (Gate)
        {
            var lines = Lines.ToArray();
            Lines.Clear();
            return lines;
        }
    }
}
