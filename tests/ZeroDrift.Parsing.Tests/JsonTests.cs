using System.Text;
using System.Text.Json;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Parsing.Json;

namespace ZeroDrift.Parsing.Tests;

public class JsonTests
{
    /// <summary>Records what the stream hands over, streaming "packages".</summary>
    private sealed class Recorder : IJsonMemberVisitor
    {
        public List<string> Seen { get; } = [];
        public List<string> Begun { get; } = [];

        public bool Streams(string name) => name == "packages";
        public bool Wants(string? parent, string name) => name != "skipped";
        public void Visit(string? parent, string name, JsonElement value) => Seen.Add($"{parent}/{name}={value.GetRawText()}");
        public void Begin(string name, JsonValueKind kind) => Begun.Add($"{name}:{kind}");
    }

    private static Recorder Read(byte[] json, Stream? stream = null, ParseBudget? budget = null)
    {
        var recorder = new Recorder();
        JsonMemberStream.Read(stream ?? new MemoryStream(json), (budget ?? ParseBudget.Default).Start("package-lock.json"), recorder);
        return recorder;
    }

    [Fact]
    public void Members_come_one_by_one_whatever_the_reads_cut()
    {
        const string json = """
            { "lockfileVersion": 3, "skipped": {"big": [1, 2, {"x": "y"}]}, // a comment
              "packages": { "": {"name": "app"}, "node_modules/a": {"version": "1.0.0", "s": "\u00e9\"}"}, "node_modules/b": {"version": "2.0.0"}, },
              "tail": [true, null] }
            """;
        var bytes = Encoding.UTF8.GetBytes(json);
        var whole = Read(bytes);
        Assert.Equal(["/lockfileVersion=3", "packages/={\"name\": \"app\"}", "packages/node_modules/a={\"version\": \"1.0.0\", \"s\": \"\\u00e9\\\"}\"}",
            "packages/node_modules/b={\"version\": \"2.0.0\"}", "/tail=[true, null]"], whole.Seen);
        Assert.Equal(["packages:Object"], whole.Begun);
        // Every cut between two reads: one byte at a time, and three.
        Assert.Equal(whole.Seen, Read(bytes, new TrickleStream(bytes)).Seen);
        Assert.Equal(whole.Seen, Read(bytes, new TrickleStream(bytes, 3)).Seen);
    }

    [Fact]
    public void A_streamed_array_hands_over_its_elements_by_index()
    {
        var recorder = Read("""{"packages": [{"a": 1}, 2]}"""u8.ToArray());
        Assert.Equal(["packages/0={\"a\": 1}", "packages/1=2"], recorder.Seen);
        Assert.Equal(["packages:Array"], recorder.Begun);
    }

    [Fact]
    public void A_member_larger_than_the_window_is_read_whole()
    {
        var big = new string('x', 300_000);
        var recorder = Read(Encoding.UTF8.GetBytes($$$"""{"packages": {"a": "{{{big}}}", "b": 1}}"""));
        Assert.Equal(2, recorder.Seen.Count);
        Assert.Equal(big.Length + "packages/a=\"\"".Length, recorder.Seen[0].Length);
    }

    [Fact]
    public void Malformed_nested_or_oversized_json_is_refused()
    {
        Assert.ThrowsAny<JsonException>(() => Read("""{"packages": {"a": }"""u8.ToArray()));
        Assert.ThrowsAny<JsonException>(() => Read("""{"packages": {"a": 1}"""u8.ToArray()));
        var notObject = Assert.ThrowsAny<JsonException>(() => Read("[1, 2]"u8.ToArray()));
        Assert.Contains("expected a JSON object", notObject.Message, StringComparison.Ordinal);
        var deep = Encoding.UTF8.GetBytes("{\"packages\": {\"a\": " + new string('[', 100) + new string(']', 100) + "}}");
        Assert.Contains("depth", Assert.ThrowsAny<JsonException>(() => Read(deep)).Message, StringComparison.OrdinalIgnoreCase);
        var large = Encoding.UTF8.GetBytes("{\"a\": \"" + new string('x', 2000) + "\"}");
        Assert.Equal(BudgetLimit.Bytes, Assert.Throws<BudgetExceededException>(() => Read(large, budget: new ParseBudget { MaxBytes = 1000 })).Limit);
        var many = Encoding.UTF8.GetBytes("{\"packages\": {" + string.Join(", ", Enumerable.Range(0, 20).Select(i => $"\"p{i}\": {i}")) + "}}");
        Assert.Equal(BudgetLimit.Items, Assert.Throws<BudgetExceededException>(() => Read(many, budget: new ParseBudget { MaxItems = 10 })).Limit);
    }

    [Fact]
    public void A_whole_document_is_parsed_from_the_stream_within_the_budget()
    {
        using var document = SafeJson.Parse(new MemoryStream("{\"a\": [1, 2] /* c */, }"u8.ToArray()), ParseBudget.Default, "deps.json");
        Assert.Equal(2, document.RootElement.GetProperty("a").GetArrayLength());
        Assert.Throws<BudgetExceededException>(() => SafeJson.Parse(new MemoryStream(new byte[2000]), new ParseBudget { MaxBytes = 1000 }, "x.json"));
    }
}
