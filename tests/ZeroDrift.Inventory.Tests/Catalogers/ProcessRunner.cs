using System.Diagnostics;

namespace ZeroDrift.Inventory.Tests.Catalogers;

/// <summary>Runs a real tool for an oracle test and returns what it printed.</summary>
internal static class ProcessRunner
{
    public static (int ExitCode, string Output, string Error) Run(string file, IEnumerable<string> args, string? workingDirectory = null,
        IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? "" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (environment is not null) foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 5 minutes");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>The first of <paramref name="candidates"/> (absolute paths, or names looked up in PATH) that exists.</summary>
    public static string? Find(params string[] candidates)
    {
        foreach (var candidate in candidates)
        {
            if (Path.IsPathRooted(candidate)) { if (File.Exists(candidate)) return candidate; continue; }
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
                if (File.Exists(Path.Combine(dir, candidate))) return Path.Combine(dir, candidate);
        }
        return null;
    }
}
