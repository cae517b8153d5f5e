using System.Diagnostics;
using System.Text;
using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.Temp;

namespace ZeroDrift.Scanning.Content;

/// <summary>
/// Runs the git command on a scanned repository's objects and refs without giving the repository any say in what
/// git runs (TruffleHog CVE-2025-41390's class: <c>log.showSignature</c> + <c>gpg.program</c>, a lazy fetch through
/// <c>core.sshCommand</c> or <c>remote.*.uploadpack</c>, textconv drivers, <c>core.fsmonitor</c>, hooks, …).
/// <para>
/// git never reads the repository's configuration: it runs on a private git directory of ours (0700, removed
/// afterwards) holding a configuration we write, a copy of <c>HEAD</c>, and links to the repository's
/// <c>refs</c>, <c>packed-refs</c> and <c>shallow</c>; its objects come through <c>GIT_OBJECT_DIRECTORY</c>. So no
/// key of the repository's config, nor a file it includes, is ever seen, whatever git version adds next. On top,
/// the environment is built from nothing (no inherited <c>GIT_*</c> variable: <c>GIT_DIR</c>,
/// <c>GIT_ALTERNATE_OBJECT_DIRECTORIES</c>, <c>GIT_SSH_COMMAND</c>, <c>GIT_TRACE2_EVENT</c>, …), system and global
/// configuration are off, and every key that names a program is overridden on the command line as a second wall.
/// </para>
/// </summary>
internal sealed class IsolatedGit : IDisposable
{
    /// <summary>What git may write on stderr that we keep for an error message; the rest is read and dropped.</summary>
    private const int MaxStderrChars = 16 << 10;

    /// <summary>
    /// Overrides for every configuration key git documents as naming a program, a hook or a helper, and for the
    /// ones that would show a signature or reach the network: command-line configuration wins over every file.
    /// </summary>
    internal static readonly string[] HardeningOverrides =
    [
        "core.fsmonitor=false", "core.hooksPath=/dev/null", "core.pager=cat", "core.sshCommand=false", "core.askPass=",
        "core.gitProxy=", "core.editor=false", "sequence.editor=false", "core.alternateRefsCommand=", "credential.helper=",
        "diff.external=", "log.showSignature=false", "gpg.program=false", "gpg.openpgp.program=false", "gpg.x509.program=false",
        "gpg.ssh.program=false", "gpg.ssh.defaultKeyCommand=", "pager.log=false", "log.mailmap=false", "mailmap.file=", "mailmap.blob=",
        "protocol.allow=never", "uploadpack.packObjectsHook=", "core.attributesFile=/dev/null",
        // Names that are not ASCII come quoted with octal escapes: their exact bytes, whatever the encoding.
        "core.quotepath=on",
    ];

    private readonly PrivateTempDirectory _shadow;
    private readonly GitRepositoryLayout _layout;
    private readonly string _git;

    private IsolatedGit(GitRepositoryLayout layout, string git)
    {
        _layout = layout;
        _git = git;
        _shadow = new PrivateTempDirectory("git");
    }

    /// <summary>Prepares the private git directory for <paramref name="layout"/>; throws <see cref="ArtifactException"/> without git.</summary>
    public static IsolatedGit Open(GitRepositoryLayout layout)
    {
        var git = FindGit() ?? throw new ArtifactException("--git needs the git command (not found on PATH)");
        var isolated = new IsolatedGit(layout, git);
        try
        {
            isolated.Prepare();
            return isolated;
        }
        catch
        {
            isolated.Dispose();
            throw;
        }
    }

    private void Prepare()
    {
        var dir = _shadow.Path;
        var head = Path.Combine(_layout.GitDir, "HEAD");
        File.WriteAllText(Path.Combine(dir, "HEAD"), SafeHead(head));
        foreach (var name in new[] { "refs", "packed-refs", "shallow", "reftable" })
        {
            var source = Path.Combine(_layout.CommonDir, name);
            if (File.Exists(source) || Directory.Exists(source)) File.CreateSymbolicLink(Path.Combine(dir, name), source);
        }
        if (!Directory.Exists(Path.Combine(dir, "refs"))) Directory.CreateDirectory(Path.Combine(dir, "refs"));
        // Only the repository format is taken from its config: the hash (sha1/sha256) and the ref storage, values
        // git's own parser reads (no includes), each checked against the few git knows.
        var format = Extension("objectformat") is "sha256" ? "sha256" : null;
        var refs = Extension("refstorage") is "reftable" ? "reftable" : null;
        var config = new StringBuilder("[core]\n\trepositoryformatversion = ").Append(format is null && refs is null ? 0 : 1).Append("\n\tbare = true\n");
        if (format is not null || refs is not null)
        {
            config.Append("[extensions]\n");
            if (format is not null) config.Append("\tobjectFormat = ").Append(format).Append('\n');
            if (refs is not null) config.Append("\trefStorage = ").Append(refs).Append('\n');
        }
        File.WriteAllText(Path.Combine(dir, "config"), config.ToString());
    }

    /// <summary>A symbolic ref or an object name; anything else would only make git refuse the directory.</summary>
    private static string SafeHead(string head)
    {
        string text;
        try
        {
            using var stream = new FileStream(head, FileMode.Open, FileAccess.Read);
            var buffer = new byte[512];
            text = Encoding.UTF8.GetString(buffer, 0, stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            text = "";
        }
        var valid = text.StartsWith("ref: refs/", StringComparison.Ordinal) && !text.Contains('\n') && !text.Contains("..", StringComparison.Ordinal)
            || text.Length is 40 or 64 && text.All(Uri.IsHexDigit);
        return (valid ? text : "ref: refs/heads/zerodrift-no-head") + "\n";
    }

    private string? Extension(string key)
    {
        var config = Path.Combine(_layout.CommonDir, "config");
        if (!File.Exists(config) || !Artifacts.FileSystems.HostPath.IsRegularFile(Artifacts.FileSystems.HostPath.Real(config) ?? config)) return null;
        var (code, output, _) = Run(["config", "--file", config, "--get", "extensions." + key], CancellationToken.None);
        return code == 0 ? output.Trim().ToLowerInvariant() : null;
    }

    /// <summary>The start of a git process on the isolated directory: no shell, no inherited environment, no pager.</summary>
    public ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(_git)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = _shadow.Path,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        start.Environment.Clear();
        foreach (var (name, value) in new Dictionary<string, string>
                 {
                     ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
                     ["HOME"] = _shadow.Path,
                     ["GIT_DIR"] = _shadow.Path,
                     ["GIT_OBJECT_DIRECTORY"] = _layout.ObjectDirectory,
                     ["GIT_CONFIG_NOSYSTEM"] = "1",
                     ["GIT_CONFIG_GLOBAL"] = "/dev/null",
                     ["GIT_ATTR_NOSYSTEM"] = "1",
                     ["GIT_TERMINAL_PROMPT"] = "0",
                     ["GIT_NO_LAZY_FETCH"] = "1",
                     ["GIT_OPTIONAL_LOCKS"] = "0",
                     ["GIT_PAGER"] = "cat",
                     ["PAGER"] = "cat",
                     // What the repository stores, not what refs/replace/ would show instead of it.
                     ["GIT_NO_REPLACE_OBJECTS"] = "1",
                     ["LC_ALL"] = "C",
                 })
            start.Environment[name] = value;
        start.ArgumentList.Add("--no-pager");
        foreach (var setting in HardeningOverrides)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(setting);
        }
        foreach (var a in arguments) start.ArgumentList.Add(a);
        return start;
    }

    /// <summary>Starts git; stdin is closed at once (git never waits for an answer).</summary>
    public Process Start(IEnumerable<string> arguments)
    {
        Process process;
        try
        {
            process = Process.Start(StartInfo(arguments)) ?? throw new ArtifactException("cannot start git");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ArtifactException($"--git needs the git command: {e.Message}");
        }
        process.StandardInput.Close();
        return process;
    }

    /// <summary>Reads stderr to its end keeping only the first <see cref="MaxStderrChars"/> characters.</summary>
    public static async Task<string> ReadStderrAsync(Process process, CancellationToken cancellationToken)
    {
        var kept = new StringBuilder();
        var buffer = new char[4096];
        int n;
        while ((n = await process.StandardError.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            if (kept.Length < MaxStderrChars) kept.Append(buffer, 0, Math.Min(n, MaxStderrChars - kept.Length));
        return kept.ToString();
    }

    private (int Code, string Output, string Error) Run(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        using var process = Start(arguments);
        var error = ReadStderrAsync(process, cancellationToken);
        var output = new char[4096];
        var read = process.StandardOutput.ReadBlock(output, 0, output.Length);
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, new string(output, 0, read), error.Result);
    }

    private static string? FindGit()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            // Only absolute directories: "." or an empty entry would find a git in the scanned repository.
            if (!Path.IsPathRooted(dir)) continue;
            var candidate = Path.Combine(dir, "git");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public void Dispose() => _shadow.Dispose();
}
