using System.Diagnostics;

namespace ZeroDrift.EndToEnd.Tests.Hostile;

/// <summary>
/// A git repository built the way an attacker would, with the real git command: commits, config keys, raw objects
/// (a signed commit, a tree naming a blob that is not there), alternates and pointer files.
/// </summary>
public sealed class HostileRepository
{
    public static readonly string Token = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A";

    /// <summary>
    /// The test's own git configuration: repositories in a sandbox belong to the command's user, and git (2.39)
    /// takes safe.directory only from a global file.
    /// </summary>
    private static readonly Lazy<string> GlobalConfig = new(() =>
    {
        var file = System.IO.Path.Combine(AppContext.BaseDirectory, "hostile-repository.gitconfig");
        File.WriteAllText(file, "[safe]\n\tdirectory = *\n[protocol \"file\"]\n\tallow = always\n");
        return file;
    });

    public string Path { get; }

    public HostileRepository(string path, bool withLeakedToken = true)
    {
        Path = path;
        Directory.CreateDirectory(path);
        Git("init", "-q", "-b", "main");
        if (!withLeakedToken) return;
        // The token is only in history: added, then removed.
        Write("deploy.sh", $"#!/bin/sh\nexport GITHUB_TOKEN={Token}\n");
        Write("notes.txt", "one\n");
        Git("add", ".");
        Git("commit", "-q", "-m", "add token");
        Write("deploy.sh", "#!/bin/sh\nexport GITHUB_TOKEN=$(vault read token)\n");
        Write("notes.txt", "one\ntwo\n");
        Git("commit", "-q", "-am", "remove token");
    }

    public string GitDir => System.IO.Path.Combine(Path, ".git");

    public void Write(string relative, string content)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    public void Config(string key, string value) => Git("config", key, value);

    public string Head => Git("rev-parse", "HEAD").Trim();

    /// <summary>A commit on main whose header carries a signature block of the given kind ("PGP SIGNATURE", "SSH SIGNATURE", "SIGNED MESSAGE").</summary>
    public void SignedCommit(string kind)
    {
        var tree = Git("rev-parse", "HEAD^{tree}").Trim();
        var commit = $"tree {tree}\nparent {Head}\nauthor a <a@b> 1700000000 +0000\ncommitter a <a@b> 1700000000 +0000\n"
                     + $"gpgsig -----BEGIN {kind}-----\n \n iQ==\n -----END {kind}-----\n\nsigned\n";
        var file = System.IO.Path.Combine(GitDir, "zd-commit");
        File.WriteAllText(file, commit);
        var id = Git("hash-object", "-t", "commit", "-w", file).Trim();
        File.Delete(file);
        Git("update-ref", "refs/heads/main", id);
    }

    /// <summary>
    /// Makes this a partial clone whose newest commit names a blob that is not in the repository: reading it makes
    /// git fetch it from the promisor remote, running whatever the config names for that.
    /// </summary>
    public void PromisedBlob()
    {
        var tree = Git("ls-tree", "HEAD").TrimEnd('\n') + "\n100644 blob 1111111111111111111111111111111111111111\tpromised.txt\n";
        var treeId = GitWithInput(tree, "mktree", "--missing").Trim();
        var commit = Git("commit-tree", treeId, "-p", "HEAD", "-m", "promised").Trim();
        Git("update-ref", "refs/heads/main", commit);
        Config("core.repositoryformatversion", "1");
        Config("extensions.partialClone", "origin");
        Config("remote.origin.promisor", "true");
    }

    public string Git(params string[] args) => GitWithInput(null, args);

    public string GitWithInput(string? stdin, params string[] args) => Run(Path, stdin, "git", args);

    /// <summary>Runs a program in <paramref name="directory"/> with a clean git identity and no system config; fails on error.</summary>
    public static string Run(string directory, string? stdin, string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in new Dictionary<string, string>
                 {
                     ["GIT_AUTHOR_NAME"] = "Mallory", ["GIT_AUTHOR_EMAIL"] = "m@example.org", ["GIT_COMMITTER_NAME"] = "Mallory",
                     ["GIT_COMMITTER_EMAIL"] = "m@example.org", ["GIT_CONFIG_NOSYSTEM"] = "1", ["GIT_CONFIG_GLOBAL"] = GlobalConfig.Value,
                 })
            start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60))) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        if (process.ExitCode != 0 && program == "git")
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {stderr.Result}");
        return stdout.Result;
    }

    /// <summary>Runs a program and ignores how it ends (a probe of what plain git does with the input).</summary>
    public static void Probe(string directory, string? stdin, string program, params string[] args)
    {
        try { Run(directory, stdin, program, args); }
        catch (InvalidOperationException) { }
    }
}
