using System.Diagnostics;

namespace ZeroDrift.DynamicTesting.Tests;

/// <summary>The real <c>zerodrift</c> (built next to the tests) and podman, run as child processes with a bounded time.</summary>
internal static class Cli
{
    public static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "zerodrift.dll");

    public static (int ExitCode, string Stdout, string Stderr) Zerodrift(params string[] args) => Run("dotnet", [Dll, .. args]);

    public static string Podman(params string[] args)
    {
        var r = Run("podman", args);
        if (r.ExitCode != 0) throw new InvalidOperationException($"podman {string.Join(' ', args)} failed ({r.ExitCode}): {r.Stderr}");
        return r.Stdout;
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 3 minutes");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
