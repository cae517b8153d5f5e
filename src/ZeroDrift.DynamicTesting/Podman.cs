using System.Diagnostics;

namespace ZeroDrift.DynamicTesting;

/// <summary>A command failed in a way the test cannot go on from; its message is one line for the user.</summary>
public sealed class DynamicTestException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>podman, run as a child process with a bounded time; its output is read to the end.</summary>
internal static class Podman
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo("podman") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new DynamicTestException("podman did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new DynamicTestException($"podman could not be run ({e.Message}): apt-get install podman runc", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new DynamicTestException($"podman {args[0]} did not finish in {timeout.TotalSeconds:0} s");
            }
            return new Result(process.ExitCode, stdout.Result, stderr.Result);
        }
    }

    /// <summary>Runs podman and returns its stdout trimmed; a failure is one line naming what podman said.</summary>
    public static string Check(TimeSpan timeout, params string[] args)
    {
        var r = Run(timeout, args);
        if (r.ExitCode != 0)
        {
            var said = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? $"exit {r.ExitCode}";
            throw new DynamicTestException($"podman {args[0]} failed: {said}");
        }
        return r.Stdout.Trim();
    }
}
