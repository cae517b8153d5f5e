using System.Diagnostics;
using System.Globalization;
using System.Net;
using ZeroDrift.Sensor.Enforcement;

namespace ZeroDrift.Sensor.Tests;

/// <summary>
/// A busybox image built locally for enforcement tests (podman + runc, no pulls), unique to the test that builds it
/// (a fresh GUID in its top layer, so no other image shares its layers and no other engineer's container is ever
/// classified as ours): /bin/busybox with applet links, /usr/local/bin/echo (a second copy: same program, another
/// file), and /usr/local/bin/memfdexec, a static program that copies /bin/busybox into a memfd and runs it there
/// as <c>echo RAN-MEMFD</c>.
/// </summary>
public sealed class EnforcedImage : IDisposable
{
    public static readonly string[] Applets = ["sh", "cp", "cat", "echo", "nc", "sleep", "ls", "true", "timeout"];
    public string Name { get; } = $"localhost/zerodrift-enforce-{Guid.NewGuid():N}:1";
    private readonly TempDir dir = new();
    private readonly List<string> containers = [];

    public EnforcedImage()
    {
        var root = dir.Combine("ctx/root");
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        Directory.CreateDirectory(Path.Combine(root, "tmp"));
        Directory.CreateDirectory(Path.Combine(root, "usr/local/bin"));
        File.Copy("/bin/busybox", Path.Combine(root, "bin/busybox"));
        // Named after an applet so that busybox runs it as "echo" (it picks the applet from argv[0]).
        File.Copy("/bin/busybox", Path.Combine(root, "usr/local/bin/echo"));
        File.Copy(MemfdTool.Value, Path.Combine(root, "usr/local/bin/memfdexec"));
        foreach (var applet in Applets)
            File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
        File.WriteAllText(Path.Combine(root, "image-id"), Guid.NewGuid().ToString());
        dir.File("ctx/Containerfile", "FROM scratch\nCOPY root/ /\nCMD [\"/bin/sh\"]\n");
        Tool.Run("podman", "build", "--runtime", "runc", "--quiet", "--tag", Name, dir.Combine("ctx"));
    }

    /// <summary>The podman network's gateway: the host as containers reach it.</summary>
    public static IPAddress Gateway => GatewayAddress.Value;

    private static readonly Lazy<IPAddress> GatewayAddress = new(() =>
        IPAddress.Parse(Tool.Run("podman", "network", "inspect", "podman", "--format", "{{range .Subnets}}{{.Gateway}}{{end}}").Trim()));

    /// <summary>The memfd tool, compiled once per test run with clang (static: the image has no libc).</summary>
    private static readonly Lazy<string> MemfdTool = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), $"zerodrift-memfdexec-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        var source = Path.Combine(dir, "memfdexec.c");
        File.WriteAllText(source, """
            #define _GNU_SOURCE
            #include <fcntl.h>
            #include <stdio.h>
            #include <sys/mman.h>
            #include <unistd.h>
            int main(void) {
              int in = open("/bin/busybox", O_RDONLY), fd = memfd_create("zerodrift-test", 0);
              char buf[65536]; ssize_t n;
              if (in < 0 || fd < 0) return 3;
              while ((n = read(in, buf, sizeof buf)) > 0) if (write(fd, buf, n) != n) return 4;
              char *args[] = {"echo", "RAN-MEMFD", 0}, *env[] = {0};
              fexecve(fd, args, env);
              perror("fexecve");
              return 5;
            }
            """);
        var binary = Path.Combine(dir, "memfdexec");
        Tool.Run("clang", "-static", "-O2", "-o", binary, source);
        return binary;
    });

    /// <summary>
    /// Fills <paramref name="policy"/> with processes of this image read from the image alone (<c>podman image
    /// mount</c>, before any container exists) and returns its image key. Each process is a path in the image, the
    /// name it runs under (for busybox's applets; null for a file run under its own name) and its parent: a path in
    /// the image, or one of the runtime's classes.
    /// </summary>
    public ImageKey Publish(KernelEnforcer enforcer, uint policy, params (string Path, string? Name, object Parent)[] processes)
    {
        var merged = Tool.Run("podman", "image", "mount", Name).Trim();
        try
        {
            var image = KernelEnforcer.ImageKeyOfMount(merged) ?? throw new InvalidOperationException($"{merged} is not an overlay mount");
            var busybox = Resolve(merged, "/bin/busybox");
            enforcer.MarkMultiCall(policy, busybox, ProgramName.Hash("busybox"));
            foreach (var (path, name, parent) in processes)
            {
                var file = Resolve(merged, path);
                var from = parent switch
                {
                    ExecParent p => p,
                    string p => ExecParent.Of(Resolve(merged, p)),
                    _ => throw new ArgumentException($"a parent is a path or an ExecParent, not {parent}"),
                };
                enforcer.AllowProcess(policy, file, from, file == busybox ? ProgramName.Hash(name ?? "busybox") : 0);
            }
            return image;
        }
        finally
        {
            Tool.Run("podman", "image", "unmount", Name);
        }
    }

    private static FileId Resolve(string root, string path) =>
        KernelEnforcer.ResolveInRoot(root, path) ?? throw new InvalidOperationException($"no {path} in the image");

    /// <summary>Runs a fresh container of the image to its end, returning what it printed and its exit code.</summary>
    public async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string name, string[] options, params string[] command)
    {
        lock (containers) containers.Add(name);
        string[] args = ["run", "--name", name, "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", .. options, Name, .. command];
        return await Podman(TimeSpan.FromSeconds(120), args);
    }

    /// <summary>Starts a container of the image in the background (removed with the image).</summary>
    public string Start(string name, params string[] command)
    {
        lock (containers) containers.Add(name);
        Tool.Run("podman", ["run", "--detach", "--name", name, "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", Name, .. command]);
        return name;
    }

    /// <summary>Any podman command; a failing or killed command is a result, not an error.</summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> Podman(TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo("podman") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try { await p.WaitForExitAsync(cancel.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"podman {string.Join(' ', args)} did not finish in {timeout}");
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    public static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Removes a cgroup made for a test's containers (<c>--cgroup-parent</c>): podman (cgroupfs, v1 on this hybrid host) leaves the parent, and conmon's cgroup in it, in every v1
    /// hierarchy; runc may leave it in the unified one.</summary>
    public static void RemoveCgroupEverywhere(string path)
    {
        foreach (var hierarchy in Directory.EnumerateDirectories("/sys/fs/cgroup"))
        {
            var dir = Path.Join(hierarchy, path);
            for (var attempt = 0; attempt < 50 && Directory.Exists(dir); attempt++)
            {
                try
                {
                    foreach (var child in Directory.EnumerateDirectories(dir)) Directory.Delete(child);
                    Directory.Delete(dir);
                }
                catch (IOException) { Thread.Sleep(100); }
            }
        }
    }

    public void Dispose()
    {
        foreach (var c in containers)
            try { Tool.Run("podman", "rm", "--force", "--time", "0", c); } catch (InvalidOperationException) { }
        try { Tool.Run("podman", "rmi", "--force", Name); } catch (InvalidOperationException) { }
        dir.Dispose();
    }
}
