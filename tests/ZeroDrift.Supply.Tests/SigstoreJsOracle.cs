using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ZeroDrift.Supply.Tests;

/// <summary>
/// sigstore-js from npm (the versions pinned in Oracle/package.json), installed once per package.json into a cache
/// directory: @sigstore/mock's Fulcio and Rekor on loopback, and sigstore / @sigstore/verify as the independent signer
/// and verifier. Unavailable (the tests skip, naming why) only when node/npm are missing or the registry cannot be reached.
/// </summary>
public static class SigstoreJsOracle
{
    private static readonly Lazy<(string? Dir, string? Problem)> Installed = new(Install);

    public static string? Unavailable => Installed.Value.Problem;
    public static string Dir => Installed.Value.Dir ?? throw new InvalidOperationException(Unavailable);

    private static (string?, string?) Install()
    {
        var source = Path.Combine(RepoPaths.Root, "tests", "ZeroDrift.Supply.Tests", "Oracle");
        var manifest = File.ReadAllBytes(Path.Combine(source, "package.json"));
        var dir = Path.Combine(Path.GetTempPath(), "zerodrift-sigstore-js-" + Convert.ToHexStringLower(SHA256.HashData(manifest))[..12]);
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)), overwrite: true);
        if (Directory.Exists(Path.Combine(dir, "node_modules", "@sigstore", "mock"))) return (dir, null);
        try
        {
            var (code, output) = Run(dir, TimeSpan.FromMinutes(5), "npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error");
            if (code == 0) return (dir, null);
            return (null, $"npm install of the sigstore-js oracle failed (registry unreachable?): {output.ReplaceLineEndings(" ")[..Math.Min(output.Length, 300)]}");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (null, "npm is not installed (.ci/run installs nodejs and npm)");
        }
    }

    public static (int Code, string Output) Node(params string[] args) => Run(Dir, TimeSpan.FromSeconds(60), "node", args);

    private static (int, string) Run(string dir, TimeSpan timeout, string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"{tool} timed out");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>An OIDC token as Fulcio reads it; the mock does not check its signature, so none is made.</summary>
    public static string Token(string email, string issuer)
    {
        static string B64(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return B64("""{"alg":"none"}""") + "." + B64(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["iss"] = issuer, ["sub"] = email, ["email"] = email, ["email_verified"] = true, ["aud"] = "sigstore",
            ["exp"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(),
        })) + ".sig";
    }
}

/// <summary>A test that needs the sigstore-js oracle; skipped, with the reason, when npm cannot install it.</summary>
public sealed class SigstoreJsFactAttribute : FactAttribute
{
    public SigstoreJsFactAttribute()
    {
        if (SigstoreJsOracle.Unavailable is { } reason) Skip = reason;
    }
}

/// <summary>@sigstore/mock's Fulcio and Rekor on one loopback port, with the trusted root of their keys.</summary>
public sealed class MockSigstore : IDisposable
{
    private readonly Process _process;

    public Uri Url { get; }
    public string TrustedRootPath { get; }

    public MockSigstore(string workDir)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = SigstoreJsOracle.Dir, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("mock-services.js");
        _process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var line = _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult()
            ?? throw new InvalidOperationException("mock services: " + _process.StandardError.ReadToEnd());
        using var doc = JsonDocument.Parse(line);
        Url = new Uri(doc.RootElement.GetProperty("url").GetString()!);
        TrustedRootPath = Path.Combine(workDir, "mock_trusted_root.json");
        File.WriteAllText(TrustedRootPath, doc.RootElement.GetProperty("trustedRoot").GetRawText());
    }

    public void Dispose()
    {
        // Closing stdin ends the services; the kill is for a process that did not listen.
        _process.StandardInput.Close();
        if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
