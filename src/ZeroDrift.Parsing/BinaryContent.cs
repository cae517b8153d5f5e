namespace ZeroDrift.Parsing;

/// <summary>
/// The one test for "this file is binary": a NUL byte in its first <see cref="SniffBytes"/> bytes, as git and grep
/// decide. Text formats never hold one; executables, images and archives almost always do within 8 KB.
/// </summary>
public static class BinaryContent
{
    public const int SniffBytes = 8 * 1024;

    public static bool IsBinary(ReadOnlySpan<byte> head) => head.Contains((byte)0);

    /// <summary>Reads the head of <paramref name="stream"/> into <paramref name="buffer"/> (as much as it holds, fewer
    /// bytes at the end of the stream); returns how many were read.</summary>
    public static int ReadHead(Stream stream, Span<byte> buffer) => stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
}
