using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ZeroDrift.EndToEnd.Tests;

public class InterruptTests
{
    [Fact]
    public async Task Ctrl_C_during_a_download_removes_the_temporary_files_and_exits_130()
    {
        using var tmp = new TempDir();
        using var dir = new TempDir();
        // A server that sends the first megabyte of a 10 MB all.zip, then stalls.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stall = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var buffer = new byte[4096];
            _ = await stream.ReadAsync(buffer);
            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: 10485760\r\n\r\n"u8.ToArray());
            await stream.WriteAsync(new byte[1 << 20]);
            await stream.FlushAsync();
            try { await Task.Delay(TimeSpan.FromMinutes(1), stall.Token); } catch (OperationCanceledException) { }
        });

        // As from a terminal: SIGINT at its default disposition. A test run started in the background (CI) has it
        // ignored, which children inherit and .NET keeps (as nohup'd programs should), so reset it for the child.
        var start = new ProcessStartInfo("env") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "--default-signal=INT", "dotnet", Path.Combine(AppContext.BaseDirectory, "zerodrift.dll"), "db", "update", "--source", $"http://127.0.0.1:{port}", "--ecosystems", "Go", "--insecure-skip-verify", "--db", dir.Combine("v.db") })
            start.ArgumentList.Add(a);
        start.Environment["ZERODRIFT_TMPDIR"] = tmp.Path;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Directory.EnumerateFiles(tmp.Path, "all.zip", SearchOption.AllDirectories).Any(f => new FileInfo(f).Length > 0) && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.True(Directory.EnumerateFiles(tmp.Path, "all.zip", SearchOption.AllDirectories).Any(), "the download never started");

        ZeroDriftRunner.Tool("kill", "-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!process.WaitForExit(TimeSpan.FromSeconds(20)))
        {
            var state = File.ReadAllLines($"/proc/{process.Id}/status").Where(l => l.StartsWith("State", StringComparison.Ordinal) || l.StartsWith("Sig", StringComparison.Ordinal));
            process.Kill();
            Assert.Fail($"zerodrift did not stop on SIGINT ({string.Join("; ", state)}): {await stderr}");
        }
        stall.Cancel();
        listener.Stop();
        await server.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });

        Assert.Equal(130, process.ExitCode);
        Assert.Contains("interrupted", await stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp.Path));
    }
}
