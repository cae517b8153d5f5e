using ZeroDrift.Core;

namespace ZeroDrift.Artifacts.FileSystems;

public enum FileKind { Regular, Directory, Symlink, Hardlink, Other }

/// <summary>One entry of a target's file tree (the final view, for images).</summary>
/// <param name="Path">Absolute, normalised path inside the target ("/usr/bin/env").</param>
/// <param name="LinkTarget">Symlink: the target as written; hardlink: the normalised path it links to.</param>
/// <param name="Layer">For images: the layer that last wrote this entry.</param>
public sealed record FileEntry(string Path, FileKind Kind, long Size, int Mode, string? LinkTarget = null, LayerRef? Layer = null)
{
    public bool IsRegular => Kind == FileKind.Regular;
    public bool IsExecutable => (Mode & 0b001_001_001) != 0;
    public string Name => VirtualPath.FileName(Path);
    public Location Location => new(Path, Layer);
}
