using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ZeroDrift.EndToEnd.Tests;

/// <summary>The real <c>zerodrift up</c> as a child process on a free loopback port; the test owns its data directory.</summary>
internal sealed partial class UpProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource _running = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Port { get; }
    public string DataDirectory { get; }
    public string Url => $"https://127.0.0.1:{Port}";
    public string Certificate => Path.Combine(DataDirectory, "tls", "server.crt");
    public int Pid => _process.Id;

    /// <param name="prefix">A program to run zerodrift under (setpriv to drop root), or none.</param>
    public UpProcess(string dataDirectory, int port, string[]? extra = null, string[]? prefix = null)
    {
        DataDirectory = dataDirectory;
        Port = port;
        var command = (prefix ?? []).Concat(["dotnet", Path.Combine(AppContext.BaseDirectory, "zerodrift.dll"), "up", "--data", dataDirectory, "--listen", $"127.0.0.1:{port}", .. extra ?? []]).ToList();
        var start = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in command.Skip(1)) start.ArgumentList.Add(a);
        // The generated-password path: no password from the environment.
        start.Environment["ZERODRIFT_ADMIN_PASSWORD"] = "";
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            _running.TrySetResult();
            return;
        }
        lock (_log) _log.AppendLine(line);
        if (line.StartsWith("zerodrift: up: running", StringComparison.Ordinal)) _running.TrySetResult();
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>Waits for the "running" line; fails with the log if the command stopped or took more than a minute.</summary>
    public void WaitRunning()
    {
        if (!_running.Task.Wait(TimeSpan.FromSeconds(90)) || _process.HasExited)
            throw new InvalidOperationException($"zerodrift up did not start: {Log}");
    }

    /// <summary>The admin password this start printed, or null when it printed none.</summary>
    public string? GeneratedPassword => PasswordLine().Match(Log) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"the admin password is (\S+) \(shown this once")]
    private static partial Regex PasswordLine();

    /// <summary>An HTTP client that trusts exactly the certificate <c>up</c> generated in the data directory.</summary>
    public HttpClient Client()
    {
        using var pinned = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(Certificate));
        var thumbprint = pinned.GetCertHashString();
        var handler = new SocketsHttpHandler { UseCookies = true };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, c, _, _) => c?.GetCertHashString() == thumbprint;
        return new HttpClient(handler) { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>SIGTERM, as a service manager stops it; returns the exit code.</summary>
    public int Terminate()
    {
        ZeroDriftRunner.Tool("kill", "-TERM", Pid.ToString(CultureInfo.InvariantCulture));
        if (!_process.WaitForExit(TimeSpan.FromSeconds(60)))
            throw new InvalidOperationException($"zerodrift up did not stop on SIGTERM within a minute: {Log}");
        _process.WaitForExit(); // the stream readers drain
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
