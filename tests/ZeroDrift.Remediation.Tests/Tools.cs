using System.Diagnostics;

namespace ZeroDrift.Remediation.Tests;

public sealed record RunResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the real <c>zerodrift</c> (built next to the tests) and the host tools the fixtures use.</summary>
public static class Tools
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "zerodrift.dll");

    public static RunResult ZeroDrift(IReadOnlyDictionary<string, string>? environment, params string[] args) => Run("dotnet", [Dll, .. args], environment, null);

    public static RunResult ZeroDrift(params string[] args) => ZeroDrift(null, args);

    /// <summary>Runs a program; fails the test when it fails.</summary>
    public static string Tool(string file, string[] args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var r = Run(file, args, environment, workingDirectory);
        if (r.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({r.ExitCode}): {r.Stderr}");
        return r.Stdout;
    }

    public static RunResult Run(string file, string[] args, IReadOnlyDictionary<string, string>? environment, string? workingDirectory)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 5 minutes");
        }
        return new RunResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}
