namespace ZeroDrift.Runtime.Alerts;

/// <summary>Alerts as JSON lines on standard output or appended to a file, flushed per alert so a tail sees them at once.</summary>
public sealed class WriterAlertSink : IAlertSink
{
    private readonly TextWriter _writer;
    private readonly bool _owns;
    private readonly Lock _lock = new();
    private long _delivered, _failed;

    private WriterAlertSink(string name, TextWriter writer, bool owns)
    {
        Name = name;
        _writer = writer;
        _owns = owns;
    }

    public static WriterAlertSink Stdout() => new("stdout", Console.Out, owns: false);

    /// <summary>Appends to <paramref name="path"/> (created 0600: alerts name processes, files and peers).</summary>
    public static WriterAlertSink File(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var stream = new FileStream(path, options);
        return new WriterAlertSink($"file:{path}", new StreamWriter(stream) { AutoFlush = true }, owns: true);
    }

    public string Name { get; }

    public AlertSinkStats Stats => new(Interlocked.Read(ref _delivered), 0, Interlocked.Read(ref _failed));

    public bool Publish(string jsonLine)
    {
        lock (_lock)
        {
            try
            {
                _writer.WriteLine(jsonLine);
                _writer.Flush();
                _delivered++;
            }
            catch (IOException)
            {
                _failed++;
            }
        }
        return true;
    }

    public ValueTask DisposeAsync()
    {
        if (_owns) _writer.Dispose();
        return ValueTask.CompletedTask;
    }
}
