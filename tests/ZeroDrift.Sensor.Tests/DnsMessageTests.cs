using ZeroDrift.Sensor.Events;

namespace ZeroDrift.Sensor.Tests;

public class DnsMessageTests
{
    // A query for example.com A (id 0x2b5b, RD), as busybox nslookup sends it.
    private static readonly byte[] Query = Convert.FromHexString("2b5b01000001000000000000076578616d706c6503636f6d0000010001");

    // A response: example.com CNAME www.example.com (the target a label plus a pointer to the question's name at
    // 12), then www.example.com (a pointer to that label at 41) A 93.184.216.34.
    private static byte[] Response() => Convert.FromHexString(
        "2b5b81800001000200000000"
        + "076578616d706c6503636f6d0000010001"
        + "c00c000500010000012c0006" + "03777777" + "c00c"
        + "c029000100010000000500045db8d822");

    [Fact]
    public void Tcp_captures_lose_their_length_prefix_only_when_it_gives_the_length_of_the_rest()
    {
        // One send of length + message (RFC 1035 4.2.2): the prefix is removed.
        byte[] framed = [0, (byte)Query.Length, .. Query];
        Assert.Equal(Query, DnsMessage.WithoutTcpLength(framed, (uint)framed.Length).ToArray());
        // The message sent on its own after the length: its id (0x2b5b) is not its length, so it is read as it is.
        Assert.Equal(Query, DnsMessage.WithoutTcpLength(Query, (uint)Query.Length).ToArray());
        // A capture cut short by the 512-byte limit: the length is checked against what the call carried, not what was captured.
        Assert.Equal(Query[..10], DnsMessage.WithoutTcpLength(framed.AsSpan(0, 12), (uint)framed.Length).ToArray());
        // Two pipelined messages in one call: the first is read.
        byte[] two = [.. framed, .. framed];
        Assert.Equal(Query, DnsMessage.WithoutTcpLength(two, (uint)two.Length).ToArray());
        Assert.Empty(DnsMessage.WithoutTcpLength([], 0).ToArray());
    }

    [Fact]
    public void Reads_a_query()
    {
        Assert.True(DnsMessage.TryParse(Query, out var m));
        Assert.Equal(0x2b5b, m!.Id);
        Assert.False(m.IsResponse);
        Assert.Equal([new DnsQuestion("example.com", 1, 1)], m.Questions);
        Assert.False(m.Truncated);
    }

    [Fact]
    public void Reads_answers_through_compression_pointers()
    {
        Assert.True(DnsMessage.TryParse(Response(), out var m));
        Assert.True(m!.IsResponse);
        Assert.Equal(0, m.ResponseCode);
        Assert.Equal(2, m.Answers.Count);
        Assert.Equal(new DnsRecordEntry("example.com", 5, 1, 300, "www.example.com"), m.Answers[0]);
        Assert.Equal(new DnsRecordEntry("www.example.com", 1, 1, 5, "93.184.216.34"), m.Answers[1]);
        Assert.Equal("CNAME", DnsMessage.TypeName(5));
        Assert.Equal("AAAA", DnsMessage.TypeName(28));
    }

    [Fact]
    public void A_capture_cut_short_keeps_what_is_complete()
    {
        var response = Response();
        Assert.True(DnsMessage.TryParse(response.AsSpan(0, response.Length - 2), out var m));
        Assert.True(m!.Truncated);
        Assert.Single(m.Answers);
        Assert.False(DnsMessage.TryParse(response.AsSpan(0, 11), out _));
    }

    [Fact]
    public void Pointer_loops_and_forward_pointers_are_refused_not_followed()
    {
        // Question name is a pointer to itself (offset 12): a loop.
        var loop = Convert.FromHexString("000001000001000000000000c00c00010001");
        Assert.True(DnsMessage.TryParse(loop, out var m));
        Assert.Empty(m!.Questions);
        Assert.True(m.Truncated);
        // Forward pointer.
        var forward = Convert.FromHexString("000001000001000000000000c01000010001");
        Assert.True(DnsMessage.TryParse(forward, out var f));
        Assert.Empty(f!.Questions);
    }

    [Fact]
    public void Huge_counts_are_capped()
    {
        var bytes = Convert.FromHexString("0000010fffff000000000000");
        Assert.True(DnsMessage.TryParse(bytes, out var m));
        Assert.True(m!.Truncated);
        Assert.Empty(m.Questions);
    }
}
