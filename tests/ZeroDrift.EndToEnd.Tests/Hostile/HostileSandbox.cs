using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ZeroDrift.EndToEnd.Tests.Hostile;

/// <summary>What one run of the real command on a hostile input did, measured from outside.</summary>
public sealed record HostileOutcome(int ExitCode, string Stdout, string Stderr, long PeakRssKiB, TimeSpan Elapsed, IReadOnlyList<string> WrittenOutside, IReadOnlyList<string> CanaryMarks)
{
    /// <summary>
    /// The promises of the hostile-input corpus (issue 15): exit 0, 1 or 2; no unhandled exception, internal error or
    /// stack trace on stderr; done within 60 s; peak RSS at most 1 GiB; no file written outside the sandbox; no program
    /// from the target run. Fails the test with everything measured.
    /// </summary>
    public void AssertContained(string what)
    {
        var problems = new List<string>();
        if (ExitCode is not (0 or 1 or 2)) problems.Add($"exit code {ExitCode}");
        if (HostileSandbox.LooksLikeACrash(Stderr)) problems.Add("a stack trace or internal error on stderr");
        if (Elapsed > HostileSandbox.TimeLimit) problems.Add($"took {Elapsed.TotalSeconds:0.0} s");
        if (PeakRssKiB > HostileSandbox.MemoryLimitKiB) problems.Add($"peak RSS {PeakRssKiB / 1024} MiB");
        if (WrittenOutside.Count > 0) problems.Add($"wrote outside the sandbox: {string.Join(", ", WrittenOutside.Take(5))}");
        if (CanaryMarks.Count > 0) problems.Add($"ran a program from the target: {string.Join(", ", CanaryMarks)}");
        Assert.True(problems.Count == 0, $"{what}: {string.Join("; ", problems)}\nstderr: {Truncate(Stderr)}\nstdout: {Truncate(Stdout)}");
    }

    private static string Truncate(string s) => s.Length <= 4000 ? s : s[..4000] + "…";
}

/// <summary>
/// A sandbox for running <c>zerodrift</c> on attacker-controlled input: a directory holding the target, the command's
/// home, cache and temp dirs, and a canary program that leaves a mark when anything runs it. As root, the command
/// runs as a user of its own (a fresh uid, through setpriv), so a file it writes outside the sandbox is found by its
/// owner in the world-writable places (/tmp, /var/tmp, /dev/shm); its peak RSS comes from GNU time.
/// </summary>
public sealed partial class HostileSandbox : IDisposable
{
    public static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(60);
    public const long MemoryLimitKiB = 1024 * 1024;
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "zerodrift.dll");
    private static int _nextUid = 61000 + Random.Shared.Next(0, 2000) * 2;
    private static readonly string[] WorldWritable = ["/tmp", "/var/tmp", "/dev/shm"];

    public string Root { get; }

    /// <summary>Where the hostile input goes (files, repositories, archives).</summary>
    public string Target { get; }

    /// <summary>
    /// An absolute path to an executable script that records that it ran (under <c>marks/</c>). Put it wherever a
    /// hostile input would name a program: a git config's gpg.program, a hook, a textconv driver.
    /// </summary>
    public string Canary { get; }

    private readonly string _marks;
    private readonly int _uid;
    private readonly bool _asOtherUser;

    public HostileSandbox()
    {
        _asOtherUser = Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root" || IsRoot();
        _uid = Interlocked.Add(ref _nextUid, 2);
        Root = Directory.CreateTempSubdirectory("zerodrift-hostile-").FullName;
        Target = Directory.CreateDirectory(Path.Combine(Root, "target")).FullName;
        _marks = Directory.CreateDirectory(Path.Combine(Root, "marks")).FullName;
        foreach (var d in new[] { "home", "cache", "data", "config", "tmp" }) Directory.CreateDirectory(Path.Combine(Root, d));
        Canary = Path.Combine(Root, "canary.sh");
        System.IO.File.WriteAllText(Canary, $"#!/bin/sh\necho ran > '{_marks}/ran-'$$\n");
        System.IO.File.SetUnixFileMode(Canary, (UnixFileMode)0b111_101_101);
        // Any directory and file in the sandbox belongs to the command's user (set again before each run).
        if (_asOtherUser) Chown(Root);
    }

    /// <summary>A file in the target (parents created).</summary>
    public string File(string relative, string content) => File(relative, System.Text.Encoding.UTF8.GetBytes(content));

    public string File(string relative, byte[] content)
    {
        var full = Path.Combine(Target, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllBytes(full, content);
        return full;
    }

    /// <summary>Runs <c>zerodrift ARGS</c> in the sandbox (working directory: <see cref="Target"/>).</summary>
    public HostileOutcome Run(params string[] args) => RunWithStdin(null, args);

    /// <summary>The same, with <paramref name="stdin"/> written to the command's standard input.</summary>
    public HostileOutcome RunWithStdin(string? stdin, params string[] args) => RunWith(null, stdin, args);

    /// <summary>The same, with variables a user's environment may hold (set after the sandbox's own).</summary>
    public HostileOutcome RunWithEnvironment(IReadOnlyDictionary<string, string> environment, params string[] args) => RunWith(environment, null, args);

    /// <summary>
    /// The marks the canary left so far, removed: a test that first proves its input live (the plain tool runs the
    /// canary) starts the command's run with none.
    /// </summary>
    public IReadOnlyList<string> TakeCanaryMarks()
    {
        var marks = Directory.EnumerateFiles(_marks).ToList();
        foreach (var m in marks) System.IO.File.Delete(m);
        return [.. marks.Select(Path.GetFileName)!];
    }

    private HostileOutcome RunWith(IReadOnlyDictionary<string, string>? environment, string? stdin, string[] args)
    {
        if (_asOtherUser) Chown(Root);
        // Only what changed from now on counts as written by this run: a sandbox another run left behind with the
        // same uid (killed before it cleaned up) is not this command's doing.
        var stamp = Path.Combine(Root, "started");
        System.IO.File.WriteAllText(stamp, "");
        var rss = Path.Combine(Root, "rss");
        var start = new ProcessStartInfo("/usr/bin/time")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = Target,
        };
        foreach (var a in new[] { "-f", "%M", "-o", rss }) start.ArgumentList.Add(a);
        if (_asOtherUser)
            foreach (var a in new[] { "setpriv", $"--reuid={_uid}", $"--regid={_uid}", "--clear-groups" }) start.ArgumentList.Add(a);
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(Dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["HOME"] = Path.Combine(Root, "home");
        start.Environment["DOTNET_CLI_HOME"] = Path.Combine(Root, "home");
        start.Environment["XDG_CACHE_HOME"] = Path.Combine(Root, "cache");
        start.Environment["XDG_DATA_HOME"] = Path.Combine(Root, "data");
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(Root, "config");
        start.Environment["TMPDIR"] = Path.Combine(Root, "tmp");
        start.Environment["ZERODRIFT_TMPDIR"] = Path.Combine(Root, "tmp");
        // A hostile repository must not reach the user's git configuration either.
        start.Environment["GIT_CONFIG_GLOBAL"] = Path.Combine(Root, "home", ".gitconfig");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            try { process.StandardInput.Write(stdin); }
            catch (IOException) { } // the command stopped reading: that is its right
        }
        process.StandardInput.Close();
        // A little beyond the limit, so that a run that is slow but finishes is reported as slow, not as a hang.
        if (!process.WaitForExit(TimeLimit + TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        clock.Stop();
        var peak = System.IO.File.Exists(rss) && long.TryParse(System.IO.File.ReadAllLines(rss).LastOrDefault(l => l.Trim().Length > 0)?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var kib) ? kib : -1;
        return new HostileOutcome(process.ExitCode, stdout.Result, stderr.Result, peak, clock.Elapsed, WrittenOutside(stamp), [.. Directory.EnumerateFiles(_marks).Select(Path.GetFileName)!]);
    }

    /// <summary>True for the marks of a crash: an unhandled exception, an internal error, a .NET stack frame.</summary>
    public static bool LooksLikeACrash(string stderr) =>
        stderr.Contains("Unhandled exception", StringComparison.OrdinalIgnoreCase)
        || stderr.Contains("internal error", StringComparison.OrdinalIgnoreCase)
        || StackFrame().IsMatch(stderr);

    private IReadOnlyList<string> WrittenOutside(string stamp)
    {
        if (!_asOtherUser) return [];
        // find(1) in the world-writable places for anything owned by the command's own uid, outside the sandbox,
        // changed since the run started.
        var start = new ProcessStartInfo("find") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in WorldWritable.Where(Directory.Exists)) start.ArgumentList.Add(a);
        foreach (var a in new[] { "-xdev", "-path", Root, "-prune", "-o", "-uid", _uid.ToString(CultureInfo.InvariantCulture), "-newer", stamp, "-print" }) start.ArgumentList.Add(a);
        using var find = Process.Start(start)!;
        var output = find.StandardOutput.ReadToEndAsync();
        _ = find.StandardError.ReadToEndAsync();
        find.WaitForExit();
        return output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private void Chown(string path)
    {
        using var p = Process.Start(new ProcessStartInfo("chown", ["-R", $"{_uid}:{_uid}", path]) { UseShellExecute = false })!;
        p.WaitForExit();
    }

    private static bool IsRoot()
    {
        try { return System.IO.File.ReadAllLines("/proc/self/status").Any(l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0"); }
        catch (IOException) { return false; }
    }

    [GeneratedRegex(@"^\s+at [\w.<>`]+[.:][\w<>`]+\(", RegexOptions.Multiline)]
    private static partial Regex StackFrame();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // .NET cannot name a file whose name is not UTF-8; rm(1) can, and a sandbox left behind would be taken
            // for a file written outside by a later run with the same uid.
            using var rm = Process.Start(new ProcessStartInfo("rm", ["-rf", Root]) { UseShellExecute = false })!;
            rm.WaitForExit();
        }
    }
}
