using System.Runtime.InteropServices;

namespace ZeroDrift.Remediation.Compression;

/// <summary>
/// An .xz stream decoder: the system's liblzma (xz-utils, present on every Debian/Ubuntu/RHEL host) when it can
/// be loaded, else SharpCompress's managed decoder. The native one decodes about 5× faster (docs/remediation.md:
/// a 113 MB data.tar took most of a patch's time in the managed decoder). Both check the stream's integrity
/// checks; corrupt input is an <see cref="InvalidDataException"/>; memory is bounded by liblzma's limit.
/// </summary>
public static class XzDecoder
{
    /// <summary>Largest dictionary memory the native decoder may use (xz -9 needs 65 MiB).</summary>
    public const ulong MemoryLimit = 256UL << 20;

    private static readonly Lazy<bool> Native = new(NativeXzStream.TryLoad);

    /// <summary>Whether the native decoder is in use (for the timings and the docs).</summary>
    public static bool IsNative => Native.Value;

    public static Stream Open(Stream compressed, bool leaveOpen = false) =>
        Native.Value ? new NativeXzStream(compressed, leaveOpen) : new SharpCompress.Compressors.Xz.XZStream(compressed);
}

/// <summary>liblzma's <c>lzma_stream_decoder</c> over a managed stream; the lzma_stream struct lives in native memory.</summary>
internal sealed unsafe partial class NativeXzStream : Stream
{
    private const string Library = "liblzma.so.5";
    private const int LzmaOk = 0, LzmaStreamEnd = 1, LzmaRun = 0, LzmaFinish = 3;
    private const uint LzmaConcatenated = 0x08;
    private const int StreamStructBytes = 136; // sizeof(lzma_stream) on LP64

    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly byte[] _input = GC.AllocateArray<byte>(1 << 16, pinned: true);
    private LzmaStream* _stream;
    private bool _innerDone;
    private bool _ended;

    [StructLayout(LayoutKind.Sequential)]
    private struct LzmaStream
    {
        public byte* NextIn;
        public nuint AvailIn;
        public ulong TotalIn;
        public byte* NextOut;
        public nuint AvailOut;
        public ulong TotalOut;
        // allocator, internal, 4 reserved pointers, 2 uint64, 2 size_t, 2 enums: never touched here.
    }

    [LibraryImport(Library, EntryPoint = "lzma_stream_decoder")]
    private static partial int StreamDecoder(LzmaStream* stream, ulong memlimit, uint flags);

    [LibraryImport(Library, EntryPoint = "lzma_code")]
    private static partial int Code(LzmaStream* stream, int action);

    [LibraryImport(Library, EntryPoint = "lzma_end")]
    private static partial void End(LzmaStream* stream);

    internal static bool TryLoad()
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess) return false;
        if (Environment.GetEnvironmentVariable("ZERODRIFT_MANAGED_XZ") == "1") return false; // for the benchmark's comparison
        if (!NativeLibrary.TryLoad(Library, typeof(NativeXzStream).Assembly, null, out var handle)) return false;
        return NativeLibrary.TryGetExport(handle, "lzma_stream_decoder", out _) && NativeLibrary.TryGetExport(handle, "lzma_code", out _);
    }

    public NativeXzStream(Stream inner, bool leaveOpen)
    {
        _inner = inner;
        _leaveOpen = leaveOpen;
        _stream = (LzmaStream*)NativeMemory.AllocZeroed(StreamStructBytes);
        var rc = StreamDecoder(_stream, XzDecoder.MemoryLimit, LzmaConcatenated);
        if (rc != LzmaOk)
        {
            NativeMemory.Free(_stream);
            _stream = null;
            throw new InvalidDataException($"xz: the decoder could not start (liblzma error {rc})");
        }
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => (long)(_stream == null ? 0 : _stream->TotalOut); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_stream == null, this);
        if (_ended || buffer.Length == 0) return 0;
        fixed (byte* output = buffer)
        fixed (byte* input = _input)
        {
            _stream->NextOut = output;
            _stream->AvailOut = (nuint)buffer.Length;
            while (true)
            {
                if (_stream->AvailIn == 0 && !_innerDone)
                {
                    var n = _inner.Read(_input);
                    if (n == 0) _innerDone = true;
                    _stream->NextIn = input;
                    _stream->AvailIn = (nuint)n;
                }
                var rc = Code(_stream, _innerDone ? LzmaFinish : LzmaRun);
                var produced = buffer.Length - (int)_stream->AvailOut;
                if (rc == LzmaStreamEnd)
                {
                    _ended = true;
                    return produced;
                }
                if (rc != LzmaOk) throw new InvalidDataException($"xz: {Describe(rc)}");
                if (produced > 0) return produced;
                if (_innerDone && _stream->AvailIn == 0) throw new InvalidDataException("xz: truncated stream");
            }
        }
    }

    private static string Describe(int rc) => rc switch
    {
        5 => "out of memory",
        6 => $"the stream needs more than {XzDecoder.MemoryLimit >> 20} MiB of memory",
        7 => "not an xz stream",
        8 => "unsupported xz options",
        9 => "corrupt data (integrity check failed)",
        10 => "truncated stream",
        _ => $"liblzma error {rc}",
    };

    protected override void Dispose(bool disposing)
    {
        if (_stream != null)
        {
            End(_stream);
            NativeMemory.Free(_stream);
            _stream = null;
        }
        if (disposing && !_leaveOpen) _inner.Dispose();
        base.Dispose(disposing);
    }
}
