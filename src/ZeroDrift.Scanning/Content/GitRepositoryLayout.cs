using System.Text;
using ZeroDrift.Artifacts;
using ZeroDrift.Artifacts.FileSystems;

namespace ZeroDrift.Scanning.Content;

/// <summary>A git file that leads out of the scanned directory: the history is not read, and the warning names the file.</summary>
public sealed class GitOutsideTargetException(string file, string message) : Exception(message)
{
    /// <summary>The file (or link) that points outside, as a host path.</summary>
    public string File { get; } = file;
}

/// <summary>
/// Where a working tree's git data lies, checked to stay inside the scanned directory (git CVE-2022-39253's class):
/// a <c>.git</c> file (<c>gitdir: …</c>, as submodules and linked worktrees have), a worktree's <c>commondir</c>,
/// <c>objects/info/alternates</c> (followed as git does, five deep), and every symbolic link under the object and
/// ref directories must resolve inside it. Anything that leads out is refused naming the file; nothing outside is
/// read.
/// </summary>
public sealed record GitRepositoryLayout(string Root, string GitDir, string CommonDir, string ObjectDirectory)
{
    /// <summary>git's own depth for alternates of alternates.</summary>
    private const int MaxAlternateDepth = 5;
    /// <summary>A <c>.git</c> file, <c>commondir</c> or <c>alternates</c> file larger than this is not git's.</summary>
    private const int MaxPointerFileBytes = 64 << 10;

    /// <summary>
    /// Locates the git data of the working tree at <paramref name="workingTree"/>. Throws <see cref="ArtifactException"/>
    /// when there is no repository, <see cref="GitOutsideTargetException"/> when its data leads out of the directory.
    /// </summary>
    public static GitRepositoryLayout Locate(string workingTree)
    {
        var root = HostPath.Real(workingTree) ?? throw new ArtifactException($"{workingTree}: no such directory");
        var dotGit = Path.Combine(root, ".git");
        var info = new FileInfo(dotGit);
        if (!info.Exists && !Directory.Exists(dotGit) && info.LinkTarget is null)
            throw new ArtifactException($"{workingTree}: --git needs a git repository (no .git here)");

        var gitDir = Inside(root, dotGit, dotGit);
        if (!Directory.Exists(gitDir) && File.Exists(gitDir))
        {
            // A .git file: "gitdir: PATH", relative to the working tree (a submodule or a linked worktree).
            var line = ReadPointer(gitDir).Split('\n')[0].Trim();
            if (!line.StartsWith("gitdir:", StringComparison.Ordinal))
                throw new ArtifactException($"{dotGit}: not a git directory pointer (no 'gitdir:' line)");
            gitDir = Inside(root, Path.Combine(root, line["gitdir:".Length..].Trim()), dotGit);
        }
        if (!Directory.Exists(gitDir)) throw new ArtifactException($"{dotGit}: the git directory it names does not exist");

        var commonDir = gitDir;
        var commonFile = Path.Combine(gitDir, "commondir");
        if (File.Exists(commonFile))
            commonDir = Inside(root, Path.Combine(gitDir, ReadPointer(Inside(root, commonFile, commonFile)).Split('\n')[0].Trim()), commonFile);
        var objects = Inside(root, Path.Combine(commonDir, "objects"), Path.Combine(commonDir, "objects"));

        CheckAlternates(root, objects, depth: 0, new HashSet<string>(StringComparer.Ordinal));
        foreach (var pointer in new[] { Path.Combine(gitDir, "HEAD"), Path.Combine(commonDir, "packed-refs"), Path.Combine(commonDir, "shallow"), Path.Combine(commonDir, "config") })
            if (new FileInfo(pointer).LinkTarget is not null) Inside(root, pointer, pointer);
        foreach (var tree in new[] { Path.Combine(commonDir, "refs"), Path.Combine(commonDir, "reftable") })
            if (Directory.Exists(tree)) CheckLinks(root, Inside(root, tree, tree));
        return new GitRepositoryLayout(root, gitDir, commonDir, objects);
    }

    /// <summary>Follows <c>objects/info/alternates</c> as git does; each store must be inside, with no link leading out.</summary>
    private static void CheckAlternates(string root, string objects, int depth, HashSet<string> seen)
    {
        if (!seen.Add(objects)) return;
        CheckLinks(root, objects);
        var file = Path.Combine(objects, "info", "alternates");
        if (!File.Exists(file)) return;
        foreach (var raw in ReadPointer(Inside(root, file, file)).Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            if (line[0] == '"' && GitHistoryScanner.UnquoteBytes(line) is { } quoted)
                line = System.Text.Unicode.Utf8.IsValid(quoted) ? Encoding.UTF8.GetString(quoted) : "\uFFFD";
            var store = Path.Combine(objects, line);
            // git would skip a store that does not exist, but one this check cannot find (a name that is not UTF-8)
            // git may well find: either way it is not read, with a warning.
            if (line.Contains('\uFFFD') || HostPath.Real(store) is null)
                throw new GitOutsideTargetException(file, $"{file}: names an object store that cannot be checked ({line}); git history not scanned, nothing outside is read");
            var real = Inside(root, store, file);
            if (depth + 1 <= MaxAlternateDepth) CheckAlternates(root, real, depth + 1, seen);
        }
    }

    /// <summary>Every symbolic link under <paramref name="directory"/> must resolve inside the root.</summary>
    private static void CheckLinks(string root, string directory)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true, ReturnSpecialDirectories = false };
        foreach (var info in new DirectoryInfo(directory).EnumerateFileSystemInfos("*", options))
            if (info.LinkTarget is not null && HostPath.Real(info.FullName) is { } real && !HostPath.IsWithin(real, root))
                throw Outside(info.FullName, real);
    }

    /// <summary>The canonical form of <paramref name="path"/>, which must be inside the root; <paramref name="named"/> is the file to blame.</summary>
    private static string Inside(string root, string path, string named)
    {
        var real = HostPath.Real(path) ?? Path.GetFullPath(path);
        if (!HostPath.IsWithin(real, root)) throw Outside(named, real);
        return real;
    }

    private static GitOutsideTargetException Outside(string file, string real) =>
        new(file, $"{file}: leads outside the scanned directory (to {real}); git history not scanned, nothing outside is read");

    private static string ReadPointer(string file)
    {
        // Already canonical (no link left to follow); a fifo here would block the scan for ever.
        if (!HostPath.IsRegularFile(file)) throw new ArtifactException($"{file}: not a regular file");
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read);
        var bytes = FileSystemExtensions.ReadBounded(stream, MaxPointerFileBytes, file);
        return Encoding.UTF8.GetString(bytes);
    }
}
