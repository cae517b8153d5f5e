namespace ZeroDrift.Cli.Output;

/// <summary>Where a report goes: standard output, or the file named by --output; tables are plain in a file.</summary>
public static class ReportOutput
{
    public static async Task WriteTableAsync(FileInfo? output, Action<TextWriter, bool> table)
    {
        if (output is null)
        {
            table(Console.Out, Terminal.StdoutIsInteractive);
            return;
        }
        await using var writer = new StreamWriter(output.FullName);
        table(writer, false);
    }

    public static async Task WriteDocumentAsync(FileInfo? output, Action<Stream> document)
    {
        if (output is null)
        {
            await using var stdout = Console.OpenStandardOutput();
            document(stdout);
            await stdout.WriteAsync("\n"u8.ToArray()).ConfigureAwait(false);
            return;
        }
        await using var file = new FileStream(output.FullName, FileMode.Create, FileAccess.Write);
        document(file);
    }
}
