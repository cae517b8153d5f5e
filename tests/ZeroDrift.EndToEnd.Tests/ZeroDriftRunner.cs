using System.Diagnostics;

namespace ZeroDrift.EndToEnd.Tests;

public sealed record RunResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the real <c>zerodrift</c> command (the built CLI next to the tests) as a user would.</summary>
public static class ZeroDriftRunner
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "zerodrift.dll");

    public static RunResult Run(params string[] args) => Run(null, args);

    public static RunResult Run(IReadOnlyDictionary<string, string>? environment, params string[] args) => Run(environment, stdin: null, args);

    /// <summary>Runs the command with <paramref name="stdin"/> written to its standard input (then closed).</summary>
    public static RunResult RunWithStdin(string stdin, params string[] args) => Run(null, stdin, args);

    public static RunResult Run(IReadOnlyDictionary<string, string>? environment, string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"zerodrift {string.Join(' ', args)} did not finish in 3 minutes");
        }
        return new RunResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs another program (podman, skopeo, dpkg-query) and returns its stdout; fails the test on error.</summary>
    public static string Tool(string file, params string[] args) => Tool(null, null, file, args);

    /// <summary>The same, with extra environment variables and a working directory (go build, say).</summary>
    public static string Tool(IReadOnlyDictionary<string, string>? environment, string? workingDirectory, string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result}");
        return stdout.Result;
    }
}
