using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core.Findings;

namespace ZeroDrift.Scanning.Content;

/// <summary>
/// Scans what every commit of a git repository added, on every branch and tag (<c>git log -p -U0 --all</c>,
/// streamed): each hunk's added lines are one block, handed to the detectors that read loose text (secrets,
/// sensitive data; misconfiguration checks need whole files and see the working tree instead). Findings carry the
/// commit, author, e-mail and date, and line numbers as they are in the file at that commit (with no context
/// lines, a hunk's added lines are consecutive from its <c>+start</c>). A secret added in one commit and removed
/// in the next is still found: it is still in the repository for anyone who clones it.
/// </summary>
public sealed class GitHistoryScanner(ContentScanner scanner)
{
    private const char RecordStart = '\u001e';
    private const char FieldSeparator = '\u001f';
    /// <summary>Added lines collected for one block before it is scanned anyway (a huge generated file in one hunk).</summary>
    private const int MaxBlockChars = 4 << 20;
    /// <summary>A line of git's output is read in pieces of at most this many characters.</summary>
    private const int MaxLineSegment = 1 << 20;

    private enum Continuation { None, Added, Removed }

    /// <summary>Reads lines in segments of bounded length: (text, true) ends a line, (text, false) is more to come.</summary>
    private sealed class BoundedLineReader(TextReader reader, int maxSegment)
    {
        private readonly StringBuilder _segment = new();

        public (string Text, bool Complete)? Read()
        {
            _segment.Clear();
            while (_segment.Length < maxSegment)
            {
                var c = reader.Read();
                if (c < 0) return _segment.Length == 0 ? null : (_segment.ToString(), true);
                if (c == '\n') return (_segment.ToString(), true);
                if (c == '\r' && reader.Peek() == '\n') continue;
                _segment.Append((char)c);
            }
            return (_segment.ToString(), false);
        }
    }

    public static bool IsRepository(string directory) =>
        Directory.Exists(Path.Combine(directory, ".git")) || File.Exists(Path.Combine(directory, ".git"));

    /// <summary>
    /// Scans the history of the repository whose working tree is <paramref name="repository"/>. git runs isolated
    /// (<see cref="IsolatedGit"/>): nothing in the repository can make it run a program. When the repository's git
    /// data leads outside the directory (a <c>.git</c> file, alternates, a worktree's commondir, a link), the
    /// history is not read and a warning names the file.
    /// </summary>
    public ContentResult Scan(string repository, CancellationToken cancellationToken)
    {
        if (!IsRepository(repository))
            throw new ArtifactException($"{repository}: --git needs a git repository (no .git here)");
        var detectors = scanner.Detectors.Where(d => d.Class != FindingClass.Misconfig).ToList();
        var collector = new ContentCollector();
        if (detectors.Count == 0) return collector.Result();

        GitRepositoryLayout layout;
        try
        {
            layout = GitRepositoryLayout.Locate(repository);
        }
        catch (GitOutsideTargetException e)
        {
            collector.Warn(e.Message);
            return collector.Result();
        }
        using var git = IsolatedGit.Open(layout);
        using var process = git.Start(
        [
            "log", "-p", "-U0", "--all", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "--no-show-signature",
            "--no-mailmap", $"--format=format:{RecordStart}%H{FieldSeparator}%an{FieldSeparator}%ae{FieldSeparator}%aI",
        ]);
        var stderr = IsolatedGit.ReadStderrAsync(process, cancellationToken);
        using (var blocks = new BlockingCollection<Block>(boundedCapacity: 256))
        {
            var workers = Enumerable.Range(0, Math.Max(1, Environment.ProcessorCount))
                .Select(_ => Task.Run(() =>
                {
                    foreach (var block in blocks.GetConsumingEnumerable(cancellationToken)) ScanBlock(block, detectors, collector, cancellationToken);
                }, cancellationToken))
                .ToArray();
            try
            {
                Parse(process.StandardOutput, blocks, cancellationToken);
            }
            finally
            {
                blocks.CompleteAdding();
                if (cancellationToken.IsCancellationRequested && !process.HasExited) process.Kill(entireProcessTree: true);
            }
            Task.WaitAll(workers, cancellationToken);
        }
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            var message = stderr.Result.Trim().Split('\n')[0];
            // An empty repository has no history to scan, which is not an error.
            if (!message.Contains("does not have any commits", StringComparison.Ordinal) && !message.Contains("bad default revision", StringComparison.Ordinal))
            {
                var missing = message.Contains("unable to read", StringComparison.Ordinal) || message.Contains("bad object", StringComparison.Ordinal)
                    ? " (objects are missing, as in a partial clone: the scan never fetches them)" : "";
                throw new ArtifactException($"{repository}: git log failed: {message}{missing}");
            }
        }
        return collector.Result();
    }

    private sealed record Block(GitProvenance Commit, string Path, int FirstLine, string Text);

    private static void Parse(StreamReader output, BlockingCollection<Block> blocks, CancellationToken cancellationToken)
    {
        GitProvenance? commit = null;
        string? path = null;
        var text = new StringBuilder();
        int firstLine = 0, addLeft = 0, delLeft = 0;

        void FlushIfFull()
        {
            if (text.Length <= MaxBlockChars) return;
            // A huge hunk is scanned in parts; the next part starts at the line where this one stopped.
            var linesSoFar = 0;
            foreach (var chunk in text.GetChunks()) linesSoFar += chunk.Span.Count('\n');
            Flush();
            firstLine += linesSoFar;
        }

        void Flush()
        {
            if (text.Length > 0 && commit is not null && path is not null)
                blocks.Add(new Block(commit, path, firstLine, text.ToString()), cancellationToken);
            text.Clear();
        }

        var lines = new BoundedLineReader(output, MaxLineSegment);
        var continuing = Continuation.None;
        while (lines.Read() is { } segment)
        {
            var (line, complete) = segment;
            if (continuing != Continuation.None)
            {
                // The rest of a line longer than a segment: memory stays bounded whatever git prints.
                if (continuing == Continuation.Added)
                {
                    FlushIfFull();
                    text.Append(line);
                    if (complete) { text.Append('\n'); addLeft--; }
                }
                if (complete)
                {
                    continuing = Continuation.None;
                    if (addLeft == 0 && delLeft == 0) Flush();
                }
                continue;
            }
            if (addLeft > 0 || delLeft > 0)
            {
                // Inside a hunk the header's counts say what each line is, so content starting with "+++" is content.
                if (line.StartsWith('+') && addLeft > 0)
                {
                    FlushIfFull();
                    text.Append(line, 1, line.Length - 1);
                    if (!complete) { continuing = Continuation.Added; continue; }
                    text.Append('\n');
                    addLeft--;
                }
                else if (line.StartsWith('-') && delLeft > 0)
                {
                    if (!complete) { continuing = Continuation.Removed; continue; }
                    delLeft--;
                }
                else if (line.StartsWith('\\')) { }   // "\ No newline at end of file"
                else { addLeft = delLeft = 0; Flush(); goto Header; }
                if (addLeft == 0 && delLeft == 0) Flush();
                continue;
            }
            if (!complete) continuing = Continuation.Removed;   // an absurdly long header line: its rest is dropped
            Header:
            if (line.Length > 0 && line[0] == RecordStart)
            {
                Flush();
                var fields = line[1..].Split(FieldSeparator);
                commit = fields.Length == 4
                    ? new GitProvenance(fields[0], fields[1], fields[2],
                        DateTimeOffset.TryParse(fields[3], CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : default)
                    : null;
                path = null;
            }
            else if (line.StartsWith("diff --git ", StringComparison.Ordinal)) path = null;
            else if (line.StartsWith("+++ ", StringComparison.Ordinal))
            {
                // git ends a name holding a space with a tab, so that the header can be told from the name.
                var p = Unquote(line[4..].TrimEnd('\t'));
                path = p == "/dev/null" ? null : p.StartsWith("b/", StringComparison.Ordinal) ? p[2..] : p;
            }
            else if (line.StartsWith("@@ ", StringComparison.Ordinal) && TryHunk(line, out var del, out var plusStart, out var add))
            {
                delLeft = del;
                addLeft = add;
                firstLine = plusStart;
                text.Clear();
            }
        }
        Flush();
    }

    /// <summary>Reads <c>@@ -a[,b] +c[,d] @@</c>: b lines removed, d lines added starting at line c.</summary>
    private static bool TryHunk(string line, out int deleted, out int plusStart, out int added)
    {
        deleted = plusStart = added = 0;
        var parts = line.Split(' ', 4);
        if (parts.Length < 3 || !parts[1].StartsWith('-') || !parts[2].StartsWith('+')) return false;
        static bool Range(string s, out int start, out int count)
        {
            var comma = s.IndexOf(',');
            count = 1;
            return comma < 0
                ? int.TryParse(s, CultureInfo.InvariantCulture, out start)
                : int.TryParse(s[..comma], CultureInfo.InvariantCulture, out start) && int.TryParse(s[(comma + 1)..], CultureInfo.InvariantCulture, out count);
        }
        return Range(parts[1][1..], out _, out deleted) && Range(parts[2][1..], out plusStart, out added);
    }

    /// <summary>
    /// git quotes paths with control characters, quotes or (core.quotepath) bytes above 0x7F as C strings; the bytes
    /// become a name as <see cref="FileNames"/> writes it (escaped when not UTF-8).
    /// </summary>
    internal static string Unquote(string p) => UnquoteBytes(p) is { } bytes ? FileNames.FromBytes(bytes) : p;

    /// <summary>The bytes of a C-quoted string; null when <paramref name="p"/> is not quoted.</summary>
    internal static byte[]? UnquoteBytes(string p)
    {
        if (p.Length < 2 || p[0] != '"' || p[^1] != '"') return null;
        var bytes = new List<byte>();
        for (var i = 1; i < p.Length - 1; i++)
        {
            if (p[i] != '\\' || i + 1 >= p.Length - 1) { bytes.AddRange(Encoding.UTF8.GetBytes(p[i].ToString())); continue; }
            var c = p[++i];
            if (c is >= '0' and <= '7' && i + 2 < p.Length - 1)
            {
                bytes.Add(Convert.ToByte(p.Substring(i, 3), 8));
                i += 2;
                continue;
            }
            bytes.Add((byte)(c switch { 'n' => '\n', 't' => '\t', 'r' => '\r', 'a' => '\a', 'b' => '\b', 'f' => '\f', 'v' => '\v', _ => c }));
        }
        return [.. bytes];
    }

    private static void ScanBlock(Block block, List<IContentDetector> detectors, ContentCollector collector, CancellationToken cancellationToken)
    {
        var path = "/" + block.Path;
        var bytes = Encoding.UTF8.GetBytes(block.Text);
        var shift = block.FirstLine - 1;
        foreach (var detector in detectors)
        {
            if (!detector.FileRequired(path, bytes.Length)) continue;
            try
            {
                foreach (var f in detector.Scan(path, new MemoryStream(bytes, writable: false), collector.Warn, cancellationToken))
                {
                    var span = f.Span is { } s ? s with { StartLine = s.StartLine + shift, EndLine = s.EndLine + shift } : null;
                    collector.Add(f with
                    {
                        Span = span,
                        Git = block.Commit,
                        // gitleaks' fingerprint for a finding in history: commit:file:rule:line.
                        Fingerprint = $"{block.Commit.Commit}:{block.Path}:{f.RuleId}:{span?.StartLine ?? 0}",
                        Message = f.Message + $" (added in commit {block.Commit.Commit[..Math.Min(12, block.Commit.Commit.Length)]} by {block.Commit.Author} on {block.Commit.Date:yyyy-MM-dd})",
                    });
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                collector.Warn($"{path} at {block.Commit.Commit}: {detector.Class.ToString().ToLowerInvariant()} scan failed: {e.Message.Split('\n')[0]}");
            }
        }
    }
}
