using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Parsing.Yaml;

namespace ZeroDrift.Parsing.Tests;

public class YamlTests
{
    /// <summary>Runs on a thread with a small stack: a consumer that recursed past the budget would overflow it and kill the run.</summary>
    private static Exception? OnSmallStack(Action action)
    {
        Exception? caught = null;
        var thread = new Thread(() =>
        {
            try { action(); }
            catch (Exception e) { caught = e; }
        }, maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();
        return caught;
    }

    [Theory]
    [InlineData("[")]
    [InlineData("{a: ")]
    [InlineData("- ")]
    public void Nesting_is_refused_before_a_recursive_consumer_descends(string opener)
    {
        var deep = opener == "- "
            ? string.Concat(Enumerable.Range(0, 1_000).Select(i => new string(' ', i * 2) + "-\n"))
            : "x: " + string.Concat(Enumerable.Repeat(opener, 100_000));
        var e = OnSmallStack(() => SafeYaml.LoadStream(deep, ParseBudget.Default, "deep.yaml"));
        var budget = Assert.IsType<BudgetExceededException>(e);
        Assert.Equal(BudgetLimit.Depth, budget.Limit);
        Assert.Equal("deep.yaml: nested deeper than 64 levels", budget.Message);
    }

    [Fact]
    public void Nesting_within_the_budget_loads()
    {
        var yaml = "x: " + new string('[', 63) + new string(']', 63);
        Assert.Single(SafeYaml.LoadStream(yaml, ParseBudget.Default, "ok.yaml").Documents);
        Assert.Throws<BudgetExceededException>(() => SafeYaml.LoadStream("x: " + new string('[', 64) + new string(']', 64), ParseBudget.Default, "x"));
    }

    [Fact]
    public void An_alias_bomb_stops_at_the_alias_that_crosses_the_bound()
    {
        var sb = new StringBuilder("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i < 12; i++) sb.Append($"a{i}: &a{i} [").Append(string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))).Append("]\n");
        var e = Assert.Throws<BudgetExceededException>(() => SafeYaml.LoadStream(sb.ToString(), ParseBudget.Default, "bomb.yaml"));
        Assert.Contains("aliases expand to more than 2000000 nodes (an alias bomb?)", e.Message, StringComparison.Ordinal);
        // Seven nodes, and three aliases of a three-node sequence: sixteen nodes for whatever walks the document.
        var small = "a: &a [x, y]\nb: [*a, *a, *a]\n";
        Assert.Single(SafeYaml.LoadStream(small, new ParseBudget { MaxItems = 16 }, "small.yaml").Documents);
        Assert.Throws<BudgetExceededException>(() => SafeYaml.LoadStream(small, new ParseBudget { MaxItems = 15 }, "small.yaml"));
    }

    [Fact]
    public void Each_document_of_a_stream_has_the_whole_item_budget()
    {
        var doc = "k: [" + string.Join(", ", Enumerable.Range(0, 50)) + "]\n";
        var three = string.Join("---\n", Enumerable.Repeat(doc, 3));
        Assert.Equal(3, SafeYaml.LoadStream(three, new ParseBudget { MaxItems = 60 }, "s.yaml").Documents.Count);
        var e = Assert.Throws<BudgetExceededException>(() => SafeYaml.LoadStream(doc, new ParseBudget { MaxItems = 40 }, "s.yaml"));
        Assert.Equal("s.yaml: more than 40 YAML nodes", e.Message);
    }

    [Fact]
    public void A_stream_read_from_bytes_is_charged_to_the_budget_as_it_goes()
    {
        var yaml = Encoding.UTF8.GetBytes("k: " + new string('v', 10_000) + "\n");
        var parser = SafeYaml.Parser(new MemoryStream(yaml), new ParseBudget { MaxBytes = 5_000 }, "big.yaml");
        Assert.Equal(BudgetLimit.Bytes, Assert.Throws<BudgetExceededException>(() => { while (parser.MoveNext()) { } }).Limit);
    }

    [Fact]
    public void The_deserializer_reports_a_limit_as_the_limit()
    {
        var deserializer = new DeserializerBuilder().Build();
        var e = Assert.Throws<BudgetExceededException>(() =>
            SafeYaml.Deserialize<Dictionary<string, object>>(deserializer, "a: " + new string('[', 200), ParseBudget.Default, "policy.yaml"));
        Assert.Equal(BudgetLimit.Depth, e.Limit);
        Assert.Equal("policy.yaml: nested deeper than 64 levels", e.Message);
    }

    [Fact]
    public void Malformed_yaml_is_a_yaml_exception_with_its_position()
    {
        var parser = SafeYaml.Parser("a: [unclosed\nb: c\n", ParseBudget.Default, "bad.yaml");
        var e = Assert.ThrowsAny<YamlException>(() => { while (parser.MoveNext()) { } });
        Assert.True(e.Start.Line >= 1);
        var events = new List<ParsingEvent>();
        var good = SafeYaml.Parser("a: 1\n", ParseBudget.Default, "good.yaml");
        while (good.MoveNext()) events.Add(good.Current!);
        Assert.Contains(events, ev => ev is Scalar { Value: "1" });
        Assert.IsType<YamlStream>(SafeYaml.LoadStream("", ParseBudget.Default, "empty.yaml"));
    }
}
