using System.Text;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Parsing.Streams;
using ZeroDrift.Parsing.Text;

namespace ZeroDrift.Parsing.Tests;

public class StreamTests
{
    [Fact]
    public void A_prefixed_stream_replays_the_head_then_the_rest()
    {
        var rest = new MemoryStream("world"u8.ToArray());
        using var stream = new PrefixedStream("hello "u8.ToArray(), rest);
        Assert.Equal("hello world", new StreamReader(stream).ReadToEnd());
    }

    [Fact]
    public void A_counting_stream_counts_what_was_read_and_shows_each_chunk()
    {
        var seen = new List<long>();
        using var stream = new CountingStream(new TrickleStream(new byte[10], perRead: 4), (chunk, total) => seen.Add(total));
        stream.CopyTo(Stream.Null);
        Assert.Equal(10, stream.Count);
        Assert.Equal([4, 8, 10], seen);
    }

    [Fact]
    public void A_binary_file_is_one_with_a_nul_byte_in_its_head()
    {
        Assert.True(BinaryContent.IsBinary("ELF\0"u8));
        Assert.False(BinaryContent.IsBinary("plain text"u8));
        var head = new byte[BinaryContent.SniffBytes];
        Assert.Equal(5, BinaryContent.ReadHead(new TrickleStream("short"u8.ToArray()), head));
    }

    [Fact]
    public void Bounded_reads_stop_past_the_limit_even_when_the_size_lied()
    {
        Assert.Equal(10, BoundedRead.ReadAll(new MemoryStream(new byte[10]), 10, "f", expectedBytes: 3).Length);
        var e = Assert.Throws<BudgetExceededException>(() => BoundedRead.ReadAll(new MemoryStream(new byte[11]), 10, "grown.txt"));
        Assert.StartsWith("grown.txt: larger than the 10 byte limit", e.Message, StringComparison.Ordinal);
        var meter = new ParseBudget { MaxBytes = 100 }.Start("metered");
        Assert.Throws<BudgetExceededException>(() => new MeteredStream(new MemoryStream(new byte[101]), meter).CopyTo(Stream.Null));
    }

    [Fact]
    public void Lines_longer_than_the_limit_are_skipped_without_being_held()
    {
        var text = "short\r\n" + new string('x', 100_000) + "\nlast";
        var lines = new LimitedLineReader(new StringReader(text), maxLineChars: 1000, new ParseBudget().Start("r.txt"));
        var read = new List<string?>();
        while (lines.TryRead(out var line)) read.Add(line);
        Assert.Equal(["short", null, "last"], read);
        Assert.Equal(3, lines.LineNumber);
    }

    [Fact]
    public void Lines_are_items_of_the_budget()
    {
        var text = string.Concat(Enumerable.Repeat("a\n", 11));
        var lines = new LimitedLineReader(new StringReader(text), 10, new ParseBudget { MaxItems = 10 }.Start("many.txt", "lines"));
        var e = Assert.Throws<BudgetExceededException>(() => { while (lines.TryRead(out _)) { } });
        Assert.Equal("many.txt: more than 10 lines", e.Message);
    }
}
