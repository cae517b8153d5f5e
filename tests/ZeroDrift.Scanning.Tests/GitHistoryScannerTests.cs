using System.Diagnostics;
using ZeroDrift.Core;
using ZeroDrift.Core.Findings;
using ZeroDrift.Scanning.Content;

namespace ZeroDrift.Scanning.Tests;

public class GitHistoryScannerTests
{
    private sealed class Word(string word, FindingClass cls = FindingClass.Secret) : IContentDetector
    {
        public FindingClass Class => cls;
        public IReadOnlyList<RuleDescriptor> Rules => [];
        public bool FileRequired(string path, long size) => true;
        public IEnumerable<ContentFinding> Scan(string path, Stream content, Action<string> warn, CancellationToken cancellationToken)
        {
            var lines = new StreamReader(content).ReadToEnd().Split('\n');
            for (var i = 0; i < lines.Length; i++)
                if (lines[i].Contains(word, StringComparison.Ordinal))
                    yield return new ContentFinding { Class = cls, RuleId = word, Title = word, Severity = Severity.High, Path = path, Span = TextSpan.Line(i + 1), Fingerprint = "x" };
        }
    }

    private static void Git(string repo, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = repo, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in new Dictionary<string, string> { ["GIT_AUTHOR_NAME"] = "T", ["GIT_AUTHOR_EMAIL"] = "t@x", ["GIT_COMMITTER_NAME"] = "T", ["GIT_COMMITTER_EMAIL"] = "t@x", ["GIT_CONFIG_NOSYSTEM"] = "1", ["HOME"] = repo })
            start.Environment[k] = v;
        using var p = Process.Start(start)!;
        p.StandardOutput.ReadToEnd();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
    }

    [Fact]
    public void Added_lines_on_every_branch_are_scanned_with_their_line_numbers_and_diff_like_content_is_content()
    {
        using var dir = new TempDir();
        var repo = dir.Path;
        Git(repo, "init", "-q", "-b", "main");
        dir.File("my file.txt", "one\ntwo\nthree\n");
        Git(repo, "add", ".");
        Git(repo, "commit", "-q", "-m", "1");
        // Lines that look like diff headers inside a hunk, then the word.
        dir.File("my file.txt", "one\n++ b/other\n+++ b/fake\n@@ -1 +1 @@\nSECRET here\ntwo\nthree\n");
        Git(repo, "commit", "-q", "-am", "2");
        Git(repo, "checkout", "-q", "-b", "side");
        dir.File("side.txt", "x\nSECRET on a branch\n");
        Git(repo, "add", ".");
        Git(repo, "commit", "-q", "-m", "3");
        Git(repo, "checkout", "-q", "main");

        var scanner = new ContentScanner([new Word("SECRET"), new Word("two", FindingClass.Misconfig)], new ContentScanOptions());
        var result = new GitHistoryScanner(scanner).Scan(repo, CancellationToken.None);
        Assert.Equal([("/my file.txt", 5), ("/side.txt", 2)], result.Findings.Select(f => (f.Path, f.Span!.StartLine)));
        Assert.All(result.Findings, f => Assert.Equal("T", f.Git!.Author));
        // Misconfiguration checks read whole files: history fragments are not theirs.
        Assert.DoesNotContain(result.Findings, f => f.RuleId == "two");
    }

    [Fact]
    public void A_line_longer_than_the_reader_bound_is_read_in_pieces_and_still_scanned()
    {
        using var dir = new TempDir();
        Git(dir.Path, "init", "-q", "-b", "main");
        dir.File("min.js", "a\n" + new string('x', 5_000_000) + "\nb SECRET\n");
        Git(dir.Path, "add", ".");
        Git(dir.Path, "commit", "-q", "-m", "1");
        var scanner = new ContentScanner([new Word("SECRET")], new ContentScanOptions());
        var f = Assert.Single(new GitHistoryScanner(scanner).Scan(dir.Path, CancellationToken.None).Findings);
        Assert.Equal(3, f.Span!.StartLine);
    }

    [Fact]
    public void An_empty_repository_has_no_history_and_a_plain_directory_is_refused()
    {
        using var dir = new TempDir();
        var scanner = new ContentScanner([new Word("SECRET")], new ContentScanOptions());
        Assert.Throws<Artifacts.ArtifactException>(() => new GitHistoryScanner(scanner).Scan(dir.Path, CancellationToken.None));
        Git(dir.Path, "init", "-q");
        Assert.Empty(new GitHistoryScanner(scanner).Scan(dir.Path, CancellationToken.None).Findings);
    }

    [Fact]
    public void A_sha256_repository_is_read()
    {
        using var dir = new TempDir();
        Git(dir.Path, "init", "-q", "--object-format=sha256", "-b", "main");
        dir.File("a.txt", "SECRET\n");
        Git(dir.Path, "add", ".");
        Git(dir.Path, "commit", "-q", "-m", "1");
        var scanner = new ContentScanner([new Word("SECRET")], new ContentScanOptions());
        var f = Assert.Single(new GitHistoryScanner(scanner).Scan(dir.Path, CancellationToken.None).Findings);
        Assert.Equal(64, f.Git!.Commit.Length);
    }
}
