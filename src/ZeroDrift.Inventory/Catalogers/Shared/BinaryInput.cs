using ZeroDrift.Artifacts.FileSystems;

namespace ZeroDrift.Inventory.Catalogers.Shared;

/// <summary>Opens an executable for the binary catalogers: a quick magic check first, then a seekable stream.</summary>
internal static class BinaryInput
{
    /// <summary>
    /// Executables larger than this are not opened. Binary catalogers read a few bounded ranges of a file, not the
    /// whole of it, so the per-file parse limit does not apply to them; this bound only keeps out absurd entries.
    /// </summary>
    public const long MaxExecutableBytes = 4L << 30;

    /// <summary>
    /// Opens <paramref name="entry"/> if it starts with the ELF magic, else returns null having read 4 bytes.
    /// A stream that cannot seek (some image layer readers) is copied to memory within the per-file parse limit.
    /// </summary>
    public static Stream? OpenElf(CatalogContext context, FileEntry entry)
    {
        var stream = context.FileSystem.Open(entry);
        try
        {
            Span<byte> magic = stackalloc byte[4];
            if (stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4 || !ElfFile.HasMagic(magic))
            {
                stream.Dispose();
                return null;
            }
            if (stream.CanSeek) return stream;
            var copy = new MemoryStream();
            copy.Write(magic);
            var rest = FileSystemExtensions.ReadBounded(stream, context.Limits.MaxFileBytes - 4, entry.Path);
            copy.Write(rest);
            copy.Position = 0;
            stream.Dispose();
            return copy;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }
}
