using ZeroDrift.Artifacts.Temp;

namespace ZeroDrift.Artifacts.Images.Layers;

/// <summary>
/// The content of the image files a scan asked for, taken while the layers stream past: small files in
/// memory, larger ones (binaries, jars) in a private temporary directory, up to a memory budget.
/// </summary>
public sealed class ContentStore : IDisposable
{
    private const int InMemoryFileLimit = 256 << 10;
    private readonly long _memoryBudget;
    private long _memoryUsed;
    private readonly Dictionary<string, object> _content = new(StringComparer.Ordinal);
    private PrivateTempDirectory? _spill;

    public ContentStore(long memoryBudget = 48L << 20) => _memoryBudget = memoryBudget;

    public bool Contains(string path) => _content.ContainsKey(path);

    public void Capture(string path, Stream source, long length)
    {
        Remove(path);
        if (length <= InMemoryFileLimit && _memoryUsed + length <= _memoryBudget)
        {
            var bytes = new byte[length];
            source.ReadExactly(bytes);
            _memoryUsed += length;
            _content[path] = bytes;
            return;
        }
        _spill ??= new PrivateTempDirectory("layers");
        var file = _spill.NewFile();
        using (var output = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        {
            CopyExactly(source, output, length);
        }
        _content[path] = file;
    }

    private static void CopyExactly(Stream source, Stream destination, long length)
    {
        var buffer = new byte[1 << 16];
        while (length > 0)
        {
            var read = source.Read(buffer, 0, (int)Math.Min(buffer.Length, length));
            if (read == 0) throw new EndOfStreamException();
            destination.Write(buffer, 0, read);
            length -= read;
        }
    }

    public Stream? Open(string path) => _content.TryGetValue(path, out var value)
        ? value switch
        {
            byte[] bytes => new MemoryStream(bytes, writable: false),
            string file => new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16),
            _ => null,
        }
        : null;

    private void Remove(string path)
    {
        if (!_content.Remove(path, out var old)) return;
        if (old is byte[] bytes) _memoryUsed -= bytes.Length;
        else if (old is string file) File.Delete(file);
    }

    public void Dispose() => _spill?.Dispose();
}
