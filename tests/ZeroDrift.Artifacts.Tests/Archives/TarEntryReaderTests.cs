using System.Formats.Tar;
using System.Text;
using ZeroDrift.Artifacts.Archives;

namespace ZeroDrift.Artifacts.Tests.Archives;

/// <summary>The tar reader against archives System.Formats.Tar writes in each of its formats, long names included.</summary>
public class TarEntryReaderTests
{
    public static TheoryData<TarEntryFormat> Formats() => [TarEntryFormat.V7, TarEntryFormat.Ustar, TarEntryFormat.Pax, TarEntryFormat.Gnu];

    [Theory]
    [MemberData(nameof(Formats))]
    public void Every_format_reads_back_names_kinds_modes_and_content(TarEntryFormat format)
    {
        // V7 has no room for names past 100 bytes; ustar splits them at a slash into its prefix field.
        var longName = format == TarEntryFormat.V7 ? "app/config.yml" : string.Join('/', Enumerable.Repeat("directory", 14)) + "/config.yml";
        // ustar has no room for a link name past 100 bytes either.
        var link = format is TarEntryFormat.V7 or TarEntryFormat.Ustar ? "app/config.yml" : longName;
        using var ms = new MemoryStream();
        using (var writer = new TarWriter(ms, format, leaveOpen: true))
        {
            writer.WriteEntry(Entry(format, TarEntryType.Directory, "app/", null));
            writer.WriteEntry(Entry(format, format == TarEntryFormat.V7 ? TarEntryType.V7RegularFile : TarEntryType.RegularFile, longName, "token: abc\n"));
            writer.WriteEntry(Entry(format, TarEntryType.SymbolicLink, "app/link", null, "../" + link));
            writer.WriteEntry(Entry(format, TarEntryType.HardLink, "app/hard", null, link));
            writer.WriteEntry(Entry(format, format == TarEntryFormat.V7 ? TarEntryType.V7RegularFile : TarEntryType.RegularFile, "app/empty", ""));
        }
        ms.Position = 0;
        var reader = new TarEntryReader(ms);
        var items = new List<(string, TarKind, long, string, string)>();
        while (reader.Next() is { } item)
        {
            var content = new StreamReader(item.DataStream).ReadToEnd();
            items.Add((item.Name, item.Kind, item.Length, item.LinkName, content));
            if (item.Kind == TarKind.Regular && item.Length > 0) Assert.Equal(0b110_100_000, item.Mode);
        }
        Assert.Equal(
        [
            ("app/", TarKind.Directory, 0, "", ""),
            (longName, TarKind.Regular, 11, "", "token: abc\n"),
            ("app/link", TarKind.Symlink, 0, "../" + link, ""),
            ("app/hard", TarKind.Hardlink, 0, link, ""),
            ("app/empty", TarKind.Regular, 0, "", ""),
        ], items);
    }

    [Fact]
    public void Data_left_unread_is_skipped_and_a_corrupt_header_is_refused()
    {
        using var ms = new MemoryStream();
        using (var writer = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(Entry(TarEntryFormat.Pax, TarEntryType.RegularFile, "a", new string('x', 1000)));
            writer.WriteEntry(Entry(TarEntryFormat.Pax, TarEntryType.RegularFile, "b", "second"));
        }
        var bytes = ms.ToArray();
        var reader = new TarEntryReader(new MemoryStream(bytes));
        Assert.Equal("a", reader.Next()!.Name);
        Assert.Equal("second", new StreamReader(reader.Next()!.DataStream).ReadToEnd());
        Assert.Null(reader.Next());

        bytes[0] ^= 0x20;
        var error = Assert.Throws<InvalidDataException>(() => new TarEntryReader(new MemoryStream(bytes)).Next());
        Assert.Contains("checksum", error.Message);
    }

    private static TarEntry Entry(TarEntryFormat format, TarEntryType type, string name, string? content, string? link = null)
    {
        TarEntry entry = format switch
        {
            TarEntryFormat.V7 => new V7TarEntry(type, name),
            TarEntryFormat.Ustar => new UstarTarEntry(type, name),
            TarEntryFormat.Gnu => new GnuTarEntry(type, name),
            _ => new PaxTarEntry(type, name),
        };
        entry.Mode = (UnixFileMode)0b110_100_000;
        if (link is not null) entry.LinkName = link;
        if (content is not null) entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content));
        return entry;
    }
}
