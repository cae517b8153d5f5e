using System.Collections.Concurrent;
using ZeroDrift.Core.IO;

namespace ZeroDrift.Artifacts.FileSystems;

/// <summary>
/// A directory on the host seen as a target's file tree. Symbolic links are never followed by the host:
/// every path is resolved component by component inside the root, so a link to "/etc" or "../../" in the
/// scanned tree cannot make the scanner read outside it. A name that is not valid UTF-8 (or holds a backslash) is
/// listed, read and reported in the escaped form of <see cref="FileNames"/>, through byte paths.
/// </summary>
public sealed class DirectoryFileSystem : IFileSystem
{
    private static readonly string[] PseudoFileSystems = ["/proc", "/sys", "/dev", "/run", "/tmp/.X11-unix"];

    private readonly string _hostRoot;
    private readonly string? _singleFile;
    private readonly bool _isHostRoot;
    private readonly ConcurrentDictionary<string, bool> _safeDirectories = new(StringComparer.Ordinal);

    /// <summary>Warnings met while walking (unreadable directories).</summary>
    public ConcurrentQueue<string> Warnings { get; } = new();

    public DirectoryFileSystem(string hostPath)
    {
        var full = Path.GetFullPath(hostPath);
        if (File.Exists(full) && !Directory.Exists(full))
        {
            _hostRoot = Path.GetDirectoryName(full)!;
            _singleFile = "/" + Path.GetFileName(full);
        }
        else if (Directory.Exists(full))
        {
            _hostRoot = full.Length > 1 ? full.TrimEnd('/') : full;
        }
        else
        {
            throw new ArtifactException($"{hostPath}: no such file or directory");
        }
        _isHostRoot = _hostRoot == "/";
    }

    public string HostRoot => _hostRoot;

    private string HostPath(string virtualPath) =>
        virtualPath == VirtualPath.Root ? _hostRoot : (_isHostRoot ? virtualPath : _hostRoot + virtualPath);

    public IEnumerable<FileEntry> Enumerate(CancellationToken cancellationToken = default)
    {
        if (_singleFile is not null)
        {
            if (Lstat(_singleFile) is { } single) yield return single;
            yield break;
        }
        var pending = new Stack<string>();
        pending.Push(VirtualPath.Root);
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = false,
            IgnoreInaccessible = false,
            AttributesToSkip = 0,
            ReturnSpecialDirectories = false,
        };
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var directory = pending.Pop();
            List<FileEntry> children;
            try
            {
                children = Children(directory, options);
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                Warnings.Enqueue($"{directory}: cannot list directory ({e.Message})");
                continue;
            }
            foreach (var entry in children)
            {
                if (_isHostRoot && PseudoFileSystems.Contains(entry.Path)) continue;
                if (entry.Kind == FileKind.Directory) pending.Push(entry.Path);
                yield return entry;
            }
        }
    }

    public IEnumerable<FileEntry> List(string directory)
    {
        var dir = Lstat(directory);
        if (dir is not { Kind: FileKind.Directory }) return [];
        return Children(dir.Path, new EnumerationOptions());
    }

    /// <summary>
    /// The entries of one directory. .NET lists names as strings, decoding bytes that are not UTF-8 as U+FFFD (a
    /// name it then cannot open): a directory holding such a name, or any name with a backslash, has those names
    /// listed again as bytes; a directory whose own name is escaped is listed as bytes altogether.
    /// </summary>
    private List<FileEntry> Children(string directory, EnumerationOptions options)
    {
        string Child(string name) => directory == VirtualPath.Root ? "/" + name : directory + "/" + name;
        if (FileNames.IsEscaped(directory)) return RawChildren(directory, _ => true);
        var children = new List<FileEntry>();
        var suspicious = false;
        foreach (var info in new DirectoryInfo(HostPath(directory)).EnumerateFileSystemInfos("*", options))
        {
            if (Suspicious(info.Name)) suspicious = true;
            else children.Add(ToEntry(Child(info.Name), info));
        }
        if (suspicious) children.AddRange(RawChildren(directory, Suspicious));
        return children;
    }

    private static bool Suspicious(string name) => name.Contains('\\') || name.Contains('\uFFFD');

    private List<FileEntry> RawChildren(string directory, Func<string, bool> wanted)
    {
        var children = new List<FileEntry>();
        foreach (var raw in RawFiles.List(HostBytes(directory)))
        {
            var name = FileNames.FromBytes(raw);
            if (!wanted(name)) continue;
            var path = directory == VirtualPath.Root ? "/" + name : directory + "/" + name;
            if (RawEntry(path) is { } entry) children.Add(entry);
        }
        return children;
    }

    /// <summary>An entry from lstat on the byte path an escaped virtual path stands for.</summary>
    private FileEntry? RawEntry(string path)
    {
        var bytes = HostBytes(path);
        if (RawFiles.Lstat(bytes) is not { } status) return null;
        if (status.IsSymlink)
            return new FileEntry(path, FileKind.Symlink, 0, status.Mode, RawFiles.LinkTarget(bytes) is { } t ? FileNames.FromBytes(t) : "");
        if (status.IsDirectory) return new FileEntry(path, FileKind.Directory, 0, status.Mode);
        return status.IsRegular ? new FileEntry(path, FileKind.Regular, status.Size, status.Mode) : new FileEntry(path, FileKind.Other, 0, status.Mode);
    }

    /// <summary>The host path's bytes for a virtual path (escapes undone).</summary>
    private byte[] HostBytes(string virtualPath) => FileNames.ToBytes(HostPath(virtualPath));

    public FileEntry? Lstat(string path)
    {
        // An escaped path came from a listing (already normal): its backslashes are escapes, not separators.
        if (FileNames.IsEscaped(path) && path.StartsWith('/'))
        {
            if (_singleFile is not null || !AncestorsAreDirectories(VirtualPath.Parent(path))) return null;
            return RawEntry(path);
        }
        var normalized = VirtualPath.Normalize(path);
        if (_singleFile is not null && normalized != _singleFile && normalized != VirtualPath.Root) return null;
        if (!AncestorsAreDirectories(VirtualPath.Parent(normalized))) return null;
        var host = HostPath(normalized);
        FileSystemInfo info = new FileInfo(host);
        if (!info.Exists)
        {
            info = new DirectoryInfo(host);
            if (!info.Exists && info.LinkTarget is null) return null;
        }
        return ToEntry(normalized, info);
    }

    public Stream Open(FileEntry entry)
    {
        if (entry.Kind != FileKind.Regular)
            throw new ArtifactException($"{entry.Path}: not a regular file");
        if (!AncestorsAreDirectories(VirtualPath.Parent(entry.Path)))
            throw new ArtifactException($"{entry.Path}: a parent directory is a symbolic link");
        if (FileNames.IsEscaped(entry.Path))
        {
            if (RawFiles.Lstat(HostBytes(entry.Path)) is not { IsRegular: true })
                throw new ArtifactException($"{entry.Path}: not a regular file");
            return RawFiles.OpenRead(HostBytes(entry.Path));
        }
        return new FileStream(HostPath(entry.Path), new FileStreamOptions
        {
            Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite, Options = FileOptions.SequentialScan, BufferSize = 0,
        });
    }

    public void Dispose() { }

    /// <summary>True when every component of <paramref name="directory"/> is a real directory (no symlink the host would follow).</summary>
    private bool AncestorsAreDirectories(string directory)
    {
        if (directory == VirtualPath.Root) return true;
        if (_safeDirectories.TryGetValue(directory, out var known)) return known;
        var ok = AncestorsAreDirectories(VirtualPath.Parent(directory));
        if (ok && FileNames.IsEscaped(directory))
        {
            ok = RawFiles.Lstat(HostBytes(directory)) is { IsDirectory: true };
        }
        else if (ok)
        {
            var info = new DirectoryInfo(HostPath(directory));
            ok = info.Exists && info.LinkTarget is null;
        }
        _safeDirectories[directory] = ok;
        return ok;
    }

    private static FileEntry ToEntry(string path, FileSystemInfo info)
    {
        var mode = OperatingSystem.IsWindows() ? 0 : (int)info.UnixFileMode;
        // Reading a link target is a syscall: only symlinks (reported as reparse points) pay for it.
        if ((info.Attributes & FileAttributes.ReparsePoint) != 0 && info.LinkTarget is { } target)
            return new FileEntry(path, FileKind.Symlink, 0, mode, target);
        if ((info.Attributes & FileAttributes.Directory) != 0)
            return new FileEntry(path, FileKind.Directory, 0, mode);
        if (info is FileInfo file)
        {
            // Sockets, fifos and devices report a size of 0 and are not worth opening (a fifo would block the
            // scan), so only empty entries pay for the extra stat that tells them apart.
            var regular = file.Length > 0 || UnixFileType.IsRegular(file.FullName);
            return new FileEntry(path, regular ? FileKind.Regular : FileKind.Other, regular ? file.Length : 0, mode);
        }
        return new FileEntry(path, FileKind.Other, 0, mode);
    }
}
