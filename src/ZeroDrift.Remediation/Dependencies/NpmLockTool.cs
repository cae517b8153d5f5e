using System.Diagnostics;

namespace ZeroDrift.Remediation.Dependencies;

/// <summary>
/// <c>--lockfile-tool</c>: lets npm itself rewrite each changed package-lock.json after the edits, so the
/// integrity hashes the fixer had to drop come back from the registry. Always with <c>--ignore-scripts</c>
/// and <c>--package-lock-only</c>: nothing is installed and none of the project's scripts run.
/// </summary>
public static class NpmLockTool
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>One line per project: what npm did, or why it could not.</summary>
    public static IReadOnlyList<string> Refresh(DependencyFixPlan plan, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        var projects = plan.Changes.Where(c => Path.GetFileName(c.File) is "package-lock.json" or "package.json")
            .Select(c => Path.GetDirectoryName(c.File) ?? "").Distinct(StringComparer.Ordinal).ToList();
        foreach (var project in projects)
        {
            var directory = Path.Combine(plan.Root, project);
            var shown = project.Length == 0 ? "." : project;
            var (code, error) = Run(directory, cancellationToken);
            lines.Add(code switch
            {
                0 => $"{shown}: npm install --package-lock-only --ignore-scripts refreshed package-lock.json",
                null => $"{shown}: package-lock.json not refreshed: {error}",
                _ => $"{shown}: npm install --package-lock-only --ignore-scripts failed (exit {code}): {error}",
            });
        }
        return lines;
    }

    private static (int? Code, string Error) Run(string directory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("npm") { WorkingDirectory = directory, RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund" }) start.ArgumentList.Add(a);
        Process? process;
        try { process = Process.Start(start); }
        catch (System.ComponentModel.Win32Exception e) { return (null, "npm is not installed: " + e.Message); }
        if (process is null) return (null, "npm did not start");
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            _ = process.StandardOutput.ReadToEndAsync(cancellationToken);
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                return (null, $"npm did not finish within {Timeout.TotalMinutes} minutes");
            }
            var error = stderr.Result.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("ERR", StringComparison.Ordinal)) ?? "";
            return (process.ExitCode, error);
        }
    }
}
