using System.Diagnostics;

namespace ZeroDrift.Remediation.Tests.Dependencies;

/// <summary>
/// A test that verifies with an ecosystem's own tool: skipped, with the reason, when the tool is not installed
/// or (for <see cref="Registry"/>) its registry does not answer from this machine.
/// </summary>
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(string tool, string? registry = null)
    {
        if (Tools.Find(tool) is null) Skip = $"{tool} is not installed";
        else if (registry is not null && !Tools.Reachable(registry)) Skip = $"{registry} does not answer from this machine (the {tool} check needs it)";
    }
}

public static class Tools
{
    public static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    private static readonly Dictionary<string, bool> Answers = [];

    public static bool Reachable(string url)
    {
        lock (Answers)
        {
            if (Answers.TryGetValue(url, out var known)) return known;
            try
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(8) };
                using var response = http.Send(new HttpRequestMessage(HttpMethod.Get, url));
                known = (int)response.StatusCode < 500;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { known = false; }
            return Answers[url] = known;
        }
    }

    /// <summary>Runs a tool to completion (bounded), returning its exit code and output.</summary>
    public static (int Code, string Output) Run(string directory, string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', args)} did not finish in 5 minutes");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>A test that talks to a public registry: skipped, with the reason, when it does not answer from this machine.</summary>
public sealed class RegistryFactAttribute : FactAttribute
{
    public RegistryFactAttribute(string url)
    {
        if (!Tools.Reachable(url)) Skip = $"{url} does not answer from this machine";
    }
}
