using ZeroDrift.Core.Budgets;

namespace ZeroDrift.Parsing.Streams;

/// <summary>Reading a whole stream into memory, never past a byte bound: what a size from <c>stat</c> promised is
/// enforced while reading, since a file can grow and a layer's header can lie.</summary>
public static class BoundedRead
{
    /// <summary>All of <paramref name="stream"/>, at most <paramref name="maxBytes"/>.</summary>
    /// <param name="expectedBytes">The declared size, to size the buffer once (0 when unknown).</param>
    /// <exception cref="BudgetExceededException">When the stream holds more than <paramref name="maxBytes"/>.</exception>
    public static byte[] ReadAll(Stream stream, long maxBytes, string what, long expectedBytes = 0)
    {
        using var buffer = new MemoryStream((int)Math.Clamp(expectedBytes, 0, Math.Min(maxBytes, Array.MaxLength)));
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                throw new BudgetExceededException(BudgetLimit.Bytes, $"{what}: larger than the {maxBytes} byte limit for a parsed file");
            buffer.Write(chunk, 0, read);
        }
        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }

    /// <summary>Copies <paramref name="source"/> into a new file, at most <paramref name="maxBytes"/>.</summary>
    public static void CopyToFile(Stream source, string destination, long maxBytes, string what)
    {
        using var target = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        var chunk = new byte[81920];
        long total = 0;
        int read;
        while ((read = source.Read(chunk, 0, chunk.Length)) > 0)
        {
            total += read;
            if (total > maxBytes)
                throw new BudgetExceededException(BudgetLimit.Bytes, $"{what}: larger than the {maxBytes} byte limit for a parsed file");
            target.Write(chunk, 0, read);
        }
    }
}
