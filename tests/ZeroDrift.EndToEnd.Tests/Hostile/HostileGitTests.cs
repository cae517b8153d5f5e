using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests.Hostile;

/// <summary>
/// <c>zerodrift scan REPO --git</c> on repositories an attacker wrote (issue 15, item 1): no configuration key, file
/// or environment variable makes the scan run a program (TruffleHog CVE-2025-41390's class), and nothing outside the
/// scanned directory is read through a <c>.git</c> file, alternates, a worktree's commondir or a link (git
/// CVE-2022-39253's class). Each program-naming input is first shown live: plain git runs the canary with it.
/// </summary>
public sealed class HostileGitTests
{
    /// <summary>One way a repository's config names a program; <c>Probe</c> is what makes plain git run it.</summary>
    public sealed record Arming(Action<HostileRepository, string> Arm, string[]? Probe, string? ProbeStdin = null, bool HistoryReadable = true);

    private const string CredentialRequest = "protocol=https\nhost=example.invalid\n\n";

    private static readonly Dictionary<string, Arming> Armings = new()
    {
        ["gpg.program with log.showSignature and a signed commit"] = new((r, c) =>
        {
            r.SignedCommit("PGP SIGNATURE");
            r.Config("log.showSignature", "true");
            r.Config("gpg.program", c);
        }, ["git", "log", "-p", "--all"]),
        ["gpg.ssh.program with an SSH signature"] = new((r, c) =>
        {
            r.SignedCommit("SSH SIGNATURE");
            r.Config("log.showSignature", "true");
            r.Config("gpg.ssh.program", c);
            r.Config("gpg.ssh.allowedSignersFile", "/dev/null");
        }, ["git", "log", "-p", "--all"]),
        ["gpg.x509.program with an X.509 signature"] = new((r, c) =>
        {
            r.SignedCommit("SIGNED MESSAGE");
            r.Config("log.showSignature", "true");
            r.Config("gpg.x509.program", c);
        }, ["git", "log", "-p", "--all"]),
        ["include.path to a file of the repository setting gpg.program"] = new((r, c) =>
        {
            r.SignedCommit("PGP SIGNATURE");
            r.Write("hooks.cfg", $"[log]\n\tshowSignature = true\n[gpg]\n\tprogram = {c}\n");
            r.Config("include.path", "../hooks.cfg");
        }, ["git", "log", "-p", "--all"]),
        ["includeIf gitdir to a file setting gpg.program"] = new((r, c) =>
        {
            r.SignedCommit("PGP SIGNATURE");
            r.Write("hooks.cfg", $"[log]\n\tshowSignature = true\n[gpg]\n\tprogram = {c}\n");
            r.Config("includeIf.gitdir:/.path", "../hooks.cfg");
        }, ["git", "log", "-p", "--all"]),
        ["diff textconv driver chosen by .gitattributes"] = new((r, c) =>
        {
            r.Write(".gitattributes", "*.txt diff=evil\n*.sh diff=evil\n");
            r.Git("add", ".gitattributes");
            r.Git("commit", "-q", "-m", "attributes");
            r.Write("notes.txt", "one\ntwo\nthree\n");
            r.Git("commit", "-q", "-am", "three");
            r.Config("diff.evil.textconv", c);
        }, ["git", "log", "-p", "--all"]),
        ["diff textconv driver chosen by info/attributes"] = new((r, c) =>
        {
            r.Write(".git/info/attributes", "* diff=evil\n");
            r.Config("diff.evil.textconv", c);
        }, ["git", "log", "-p", "--all"]),
        ["diff driver command"] = new((r, c) =>
        {
            r.Write(".git/info/attributes", "* diff=evil\n");
            r.Config("diff.evil.command", c);
        }, ["git", "diff", "HEAD~1", "HEAD"]),
        ["diff.external"] = new((r, c) => r.Config("diff.external", c), ["git", "diff", "HEAD~1", "HEAD"]),
        ["core.fsmonitor"] = new((r, c) => r.Config("core.fsmonitor", c), ["git", "status"]),
        ["core.pager"] = new((r, c) => r.Config("core.pager", c), ["script", "-qc", "git log", "/dev/null"]),
        ["pager.log"] = new((r, c) => r.Config("pager.log", c), ["script", "-qc", "git log", "/dev/null"]),
        ["hooks in .git/hooks"] = new((r, c) =>
        {
            foreach (var hook in new[] { "post-checkout", "reference-transaction", "pre-auto-gc", "post-index-change", "pre-commit" })
            {
                r.Write($".git/hooks/{hook}", $"#!/bin/sh\n{c}\n");
                File.SetUnixFileMode(Path.Combine(r.GitDir, "hooks", hook), (UnixFileMode)0b111_101_101);
            }
        }, ["git", "checkout", "-q", "-b", "probe"]),
        ["core.hooksPath to hooks in the working tree"] = new((r, c) =>
        {
            r.Write("ci/hooks/post-checkout", $"#!/bin/sh\n{c}\n");
            File.SetUnixFileMode(Path.Combine(r.Path, "ci/hooks/post-checkout"), (UnixFileMode)0b111_101_101);
            r.Config("core.hooksPath", "ci/hooks");
        }, ["git", "checkout", "-q", "-b", "probe"]),
        ["filter smudge driver"] = new((r, c) =>
        {
            r.Write(".git/info/attributes", "* filter=evil\n");
            r.Config("filter.evil.smudge", c);
            r.Config("filter.evil.clean", c);
        }, ["git", "cat-file", "--filters", "HEAD:notes.txt"]),
        ["filter process driver"] = new((r, c) =>
        {
            r.Write(".git/info/attributes", "* filter=evil\n");
            r.Config("filter.evil.process", c);
        }, ["git", "cat-file", "--filters", "HEAD:notes.txt"]),
        ["credential.helper"] = new((r, c) => r.Config("credential.helper", "!" + c), ["git", "credential", "fill"], CredentialRequest),
        ["core.askPass"] = new((r, c) => r.Config("core.askPass", c), ["git", "credential", "fill"], CredentialRequest),
        ["core.editor"] = new((r, c) => r.Config("core.editor", c), ["git", "commit", "-q", "--amend"]),
        ["core.sshCommand through a lazy fetch of a partial clone"] = new((r, c) =>
        {
            r.PromisedBlob();
            r.Config("remote.origin.url", "ssh://example.invalid/repo.git");
            r.Config("core.sshCommand", c);
        }, ["git", "log", "-p", "--all"], HistoryReadable: false),
        ["remote uploadpack through a lazy fetch"] = new((r, c) =>
        {
            r.PromisedBlob();
            r.Config("remote.origin.url", r.Path);
            r.Config("remote.origin.uploadpack", c);
        }, ["git", "log", "-p", "--all"], HistoryReadable: false),
        ["ext:: remote allowed by protocol.ext.allow"] = new((r, c) =>
        {
            r.PromisedBlob();
            r.Config("remote.origin.url", "ext::" + c);
            r.Config("protocol.ext.allow", "always");
        }, ["git", "log", "-p", "--all"], HistoryReadable: false),
        ["core.gitProxy for a git:// remote"] = new((r, c) =>
        {
            r.PromisedBlob();
            r.Config("remote.origin.url", "git://example.invalid/repo.git");
            r.Config("core.gitProxy", c);
        }, ["git", "log", "-p", "--all"], HistoryReadable: false),
        // No probe: git reads these only in other commands (or, for mailmap, would read /dev/zero for ever).
        ["core.alternateRefsCommand"] = new((r, c) => r.Config("core.alternateRefsCommand", c), null),
        ["uploadpack.packObjectsHook"] = new((r, c) => r.Config("uploadpack.packObjectsHook", c), null),
        ["mailmap.file naming /dev/zero"] = new((r, _) =>
        {
            r.Config("log.mailmap", "true");
            r.Config("mailmap.file", "/dev/zero");
        }, null),
    };

    public static TheoryData<string> ArmingNames() => [.. Armings.Keys];

    [Theory]
    [MemberData(nameof(ArmingNames))]
    public void A_repository_setting_that_names_a_program_never_runs_it(string name)
    {
        var arming = Armings[name];
        using var sandbox = new HostileSandbox();
        var repo = new HostileRepository(sandbox.Target);
        arming.Arm(repo, sandbox.Canary);
        if (arming.Probe is { } probe) ProveLive(sandbox, probe, arming.ProbeStdin);

        var outcome = sandbox.Run("scan", ".", "--git", "--scanners", "secret", "--format", "json");

        outcome.AssertContained(name);
        if (arming.HistoryReadable)
        {
            // The history was read all the same: the token that is only in history is found.
            Assert.True(outcome.ExitCode == 0, outcome.Stderr);
            Assert.Contains(HistoryFindings(outcome.Stdout), f => f.Path == "/deploy.sh");
        }
        else
        {
            // git may not fetch what the repository lacks: one line saying so.
            Assert.Equal(2, outcome.ExitCode);
            Assert.Contains("git log failed", outcome.Stderr);
        }
    }

    /// <summary>Plain git on a copy of the repository runs the canary: the input is armed, so the test can fail.</summary>
    private static void ProveLive(HostileSandbox sandbox, string[] probe, string? stdin)
    {
        var copy = Path.Combine(sandbox.Root, "probe");
        HostileRepository.Run(sandbox.Root, null, "cp", "-a", sandbox.Target, copy);
        try
        {
            HostileRepository.Probe(copy, stdin, probe[0], probe[1..]);
            Assert.True(sandbox.TakeCanaryMarks().Count > 0, $"plain '{string.Join(' ', probe)}' did not run the canary: the input is not armed");
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public void Git_variables_in_the_users_environment_do_not_reach_the_scan()
    {
        using var sandbox = new HostileSandbox();
        var repo = new HostileRepository(sandbox.Target);
        var outside = new HostileRepository(Path.Combine(sandbox.Root, "outside"), withLeakedToken: false);
        outside.Write("other.env", "AWS_ACCESS_KEY_ID=AKIAQ2KXBJ7TWOOQAJTF\n");
        outside.Git("add", ".");
        outside.Git("commit", "-q", "-m", "other");
        repo.SignedCommit("PGP SIGNATURE");

        var outcome = sandbox.RunWithEnvironment(new Dictionary<string, string>
        {
            ["GIT_DIR"] = outside.GitDir,
            ["GIT_ALTERNATE_OBJECT_DIRECTORIES"] = Path.Combine(outside.GitDir, "objects"),
            ["GIT_CONFIG_PARAMETERS"] = $"'log.showsignature=true' 'gpg.program={sandbox.Canary}'",
            ["GIT_EXTERNAL_DIFF"] = sandbox.Canary,
            ["GIT_PAGER"] = sandbox.Canary,
            ["GIT_CONFIG_GLOBAL"] = "",
        }, "scan", ".", "--git", "--scanners", "secret", "--format", "json");

        outcome.AssertContained("GIT_* variables");
        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        var history = HistoryFindings(outcome.Stdout);
        Assert.Contains(history, f => f.Path == "/deploy.sh");
        Assert.DoesNotContain(history, f => f.Path == "/other.env");
    }

    /// <summary>A repository outside the target holding a secret in its history; returns it.</summary>
    private static HostileRepository Outside(HostileSandbox sandbox)
    {
        var outside = new HostileRepository(Path.Combine(sandbox.Root, "outside"), withLeakedToken: false);
        outside.Write("prod.env", "AWS_ACCESS_KEY_ID=AKIAQ2KXBJ7TWOOQAJTF\n");
        outside.Git("add", ".");
        outside.Git("commit", "-q", "-m", "prod");
        outside.Write("prod.env", "AWS_ACCESS_KEY_ID=\n");
        outside.Git("commit", "-q", "-am", "scrub");
        return outside;
    }

    public static TheoryData<string> OutsideNames() => [.. OutsideLinks.Keys];

    /// <summary>Each way a target's git data can lead to the outside repository; returns the file the warning must name.</summary>
    private static readonly Dictionary<string, Func<HostileSandbox, HostileRepository, string>> OutsideLinks = new()
    {
        [".git file naming an outside repository"] = (sandbox, outside) =>
            Write(sandbox, ".git", $"gitdir: {outside.GitDir}\n"),
        [".git file with a relative path climbing out"] = (sandbox, outside) =>
            Write(sandbox, ".git", "gitdir: ../outside/.git\n"),
        [".git as a symbolic link to an outside repository"] = (sandbox, outside) =>
        {
            File.CreateSymbolicLink(Path.Combine(sandbox.Target, ".git"), outside.GitDir);
            return ".git";
        },
        ["alternates reaching an outside object store, with a ref to an outside commit"] = (sandbox, outside) =>
        {
            var repo = new HostileRepository(sandbox.Target, withLeakedToken: false);
            repo.Write("readme.md", "hello\n");
            repo.Git("add", ".");
            repo.Git("commit", "-q", "-m", "hello");
            repo.Write(".git/objects/info/alternates", Path.Combine(outside.GitDir, "objects") + "\n");
            repo.Write(".git/refs/heads/borrowed", outside.Head + "\n");
            return ".git/objects/info/alternates";
        },
        ["alternates of an inside alternate reaching outside"] = (sandbox, outside) =>
        {
            var repo = new HostileRepository(sandbox.Target, withLeakedToken: false);
            repo.Write("readme.md", "hello\n");
            repo.Git("add", ".");
            repo.Git("commit", "-q", "-m", "hello");
            repo.Write("vendor/store/info/alternates", "../../../outside/.git/objects\n");
            repo.Write(".git/objects/info/alternates", "../../vendor/store\n");
            repo.Write(".git/refs/heads/borrowed", outside.Head + "\n");
            return "vendor/store/info/alternates";
        },
        ["a worktree whose commondir is outside"] = (sandbox, outside) =>
        {
            Write(sandbox, ".gitwt/HEAD", "ref: refs/heads/main\n");
            Write(sandbox, ".gitwt/commondir", outside.GitDir + "\n");
            Write(sandbox, ".git", "gitdir: .gitwt\n");
            return ".gitwt/commondir";
        },
        ["objects as a symbolic link to an outside object store"] = (sandbox, outside) =>
        {
            var repo = new HostileRepository(sandbox.Target, withLeakedToken: false);
            Directory.Delete(Path.Combine(repo.GitDir, "objects"), recursive: true);
            File.CreateSymbolicLink(Path.Combine(repo.GitDir, "objects"), Path.Combine(outside.GitDir, "objects"));
            repo.Write(".git/refs/heads/main", outside.Head + "\n");
            return ".git/objects";
        },
        ["a pack linked from an outside repository"] = (sandbox, outside) =>
        {
            outside.Git("repack", "-adq");
            var repo = new HostileRepository(sandbox.Target, withLeakedToken: false);
            var pack = Directory.GetFiles(Path.Combine(outside.GitDir, "objects", "pack"));
            Directory.CreateDirectory(Path.Combine(repo.GitDir, "objects", "pack"));
            foreach (var file in pack) File.CreateSymbolicLink(Path.Combine(repo.GitDir, "objects", "pack", Path.GetFileName(file)), file);
            repo.Write(".git/refs/heads/main", outside.Head + "\n");
            return ".git/objects/pack/" + Path.GetFileName(pack[0]);
        },
    };

    [Theory]
    [MemberData(nameof(OutsideNames))]
    public void Git_data_leading_outside_the_target_is_refused_naming_the_file(string name)
    {
        using var sandbox = new HostileSandbox();
        var outside = Outside(sandbox);
        var blamed = OutsideLinks[name](sandbox, outside);

        var outcome = sandbox.Run("scan", ".", "--git", "--scanners", "secret", "--format", "json");

        outcome.AssertContained(name);
        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        var warning = Assert.Single(outcome.Stderr.Split('\n'), l => l.Contains("leads outside the scanned directory", StringComparison.Ordinal));
        Assert.Contains(Path.Combine(sandbox.Target, blamed), warning);
        Assert.DoesNotContain(Findings(outcome.Stdout), f => f.Path == "/prod.env");
    }

    [Fact]
    public void A_submodule_and_a_git_file_pointing_inside_the_target_are_read()
    {
        using var sandbox = new HostileSandbox();
        var library = new HostileRepository(Path.Combine(sandbox.Root, "library"));
        var super = new HostileRepository(Path.Combine(sandbox.Target, "app"));
        super.Git("submodule", "add", "-q", library.Path, "lib");
        super.Git("commit", "-q", "-m", "submodule");
        Assert.StartsWith("gitdir: ../.git/modules/lib", File.ReadAllText(Path.Combine(super.Path, "lib", ".git")));
        // The superproject's git directory moved beside it, named by a .git file inside the target.
        Directory.Move(super.GitDir, Path.Combine(super.Path, ".repo"));
        File.WriteAllText(Path.Combine(super.Path, ".git"), "gitdir: .repo\n");
        File.WriteAllText(Path.Combine(super.Path, "lib", ".git"), "gitdir: ../.repo/modules/lib\n");

        var outcome = sandbox.Run("scan", "app", "--git", "--scanners", "secret", "--format", "json");

        outcome.AssertContained("submodule");
        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        Assert.DoesNotContain("leads outside", outcome.Stderr);
        Assert.Contains(HistoryFindings(outcome.Stdout), f => f.Path == "/deploy.sh");
        // The scan's own git directory (linked to the refs) is gone, and removing it left the repository as it was.
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(sandbox.Root, "tmp")));
        Assert.Equal(super.Git("rev-parse", "HEAD"), File.ReadAllText(Path.Combine(super.Path, ".repo", "refs", "heads", "main")));
    }

    private static string Write(HostileSandbox sandbox, string relative, string content)
    {
        sandbox.File(relative, content);
        return relative;
    }

    private sealed record Found(string Path, bool FromHistory);

    private static List<Found> Findings(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("contentFindings", out var findings)
            ? [.. findings.EnumerateArray().Select(f => new Found(f.GetProperty("path").GetString()!, f.TryGetProperty("git", out var g) && g.ValueKind == JsonValueKind.Object))]
            : [];
    }

    private static List<Found> HistoryFindings(string json) => [.. Findings(json).Where(f => f.FromHistory)];
}
