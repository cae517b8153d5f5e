using System.Text;
using ZeroDrift.Server.Ingestion;
using ZeroDrift.Server.Storage;

namespace ZeroDrift.Server.Tests.Ingestion;

/// <summary>The event fast path reads what the general parser reads, and leaves everything unusual to it.</summary>
public sealed class AgentBatchParserTests
{
    private static Task<AgentBatch> Parse(string ndjson) => AgentBatchParser.ParseAsync(new MemoryStream(Encoding.UTF8.GetBytes(ndjson)), 42, default);

    [Fact]
    public async Task Events_read_in_one_pass_keep_every_field_and_the_whole_line_as_detail()
    {
        const string line = """{"type":"event","kind":"exec","time":1780000000123,"containerId":"c0ffee","workload":"shop/web","path":"/usr/bin/node","process":"node","pid":7,"args":["node","x.js"],"env":{"A":"1"},"ok":true,"n":null}""";
        var fast = AgentBatchParser.TryReadEvent(Encoding.UTF8.GetBytes(line));
        Assert.Equal(new EventRow("exec", 1_780_000_000_123, "c0ffee", "shop/web", "/usr/bin/node", "node", line), fast);
        Assert.Equal(fast, Assert.Single((await Parse(line + "\r\n")).Events));
    }

    [Theory]
    [InlineData("2026-05-28T20:26:40.5000000+00:00", 1_780_000_000_500)] // DateTimeOffset.ToString("O"), as the agent writes
    [InlineData("2026-05-28T22:26:40.5+02:00", 1_780_000_000_500)]
    [InlineData("2026-05-28T20:26:40.5Z", 1_780_000_000_500)]
    public async Task Event_times_with_an_offset_read_in_one_pass_as_the_general_parser_reads_them(string time, long ms)
    {
        var line = $$"""{"type":"event","kind":"file","time":"{{time}}","containerId":"c","workload":"w"}""";
        Assert.Equal(ms, AgentBatchParser.TryReadEvent(Encoding.UTF8.GetBytes(line))?.At);
        Assert.Equal(ms, AgentBatchParser.Time(System.Text.Json.JsonDocument.Parse(line).RootElement, "time", new AgentBatchParser.Where(1)));
        Assert.Equal(ms, Assert.Single((await Parse(line)).Events).At);
    }

    [Theory]
    [InlineData("""{"type":"event","kind":"file","time":"2026-05-28T20:26:40.5","containerId":"c","workload":"w"}""")] // no offset: UTC assumed by the general path
    [InlineData("""{"type":"event","kin\u0064":"file","time":1780000000500,"containerId":"c","workload":"w"}""")]       // escaped name
    [InlineData("""{"type":"host","name":"node-1"}""")]                                                                  // another type
    public async Task Unusual_records_take_the_general_path_with_the_same_result(string line)
    {
        Assert.Null(AgentBatchParser.TryReadEvent(Encoding.UTF8.GetBytes(line)));
        var batch = await Parse(line);
        Assert.Equal(1, batch.Count);
        if (batch.Events.Count == 1) Assert.Equal("file", batch.Events[0].Kind);
    }

    [Theory]
    [InlineData("""{"type":"event","kind":"exec","time":1,"workload":"w"}""", "line 2: \"containerId\" must be a non-empty string")]
    [InlineData("""{"type":"event","kind":"exec","time":-5,"containerId":"c","workload":"w"}""", "line 2: \"time\" must be an RFC 3339 time or Unix milliseconds")]
    [InlineData("""{"type":"event","kind":"exec","time":1,"containerId":"c","workload":"w"} trailing""", "line 2: not valid JSON")]
    [InlineData("""{"type":"event","kind":7,"time":1,"containerId":"c","workload":"w"}""", "line 2: \"kind\" must be a non-empty string")]
    public async Task Broken_events_are_refused_with_their_line(string line, string error)
    {
        var good = """{"type":"event","kind":"exec","time":1,"containerId":"c","workload":"w"}""";
        var e = await Assert.ThrowsAsync<IngestException>(() => Parse(good + "\n" + line + "\n" + good));
        Assert.StartsWith(error, e.Message, StringComparison.Ordinal);
    }
}
