using ZeroDrift.Core.Budgets;

namespace ZeroDrift.Parsing.Tests;

public class ParseBudgetTests
{
    [Fact]
    public void Each_bound_stops_a_read_with_a_line_naming_it()
    {
        var budget = new ParseBudget { MaxBytes = 10, MaxDepth = 2, MaxItems = 3 };
        var meter = budget.Start("a.yaml", "YAML nodes");
        meter.Depth(2);
        Assert.Equal(BudgetLimit.Depth, Assert.Throws<BudgetExceededException>(() => meter.Depth(3)).Limit);
        meter.Item(3);
        var items = Assert.Throws<BudgetExceededException>(() => meter.Item());
        Assert.Equal("a.yaml: more than 3 YAML nodes", items.Message);
        meter.Read(10);
        Assert.Equal(BudgetLimit.Bytes, Assert.Throws<BudgetExceededException>(() => meter.Read(1)).Limit);
        Assert.Contains("20 bytes", Assert.Throws<BudgetExceededException>(() => budget.CheckSize(20, "big.json")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Items_reset_per_document_but_time_does_not()
    {
        var meter = new ParseBudget { MaxItems = 2, MaxTime = TimeSpan.FromTicks(1) }.Start("x");
        meter.Item(2);
        meter.ResetItems();
        meter.Item(2);
        Thread.Sleep(2);
        Assert.True(meter.Expired);
        Assert.Equal(BudgetLimit.Time, Assert.Throws<BudgetExceededException>(meter.CheckTime).Limit);
    }

    [Fact]
    public void The_clock_is_read_while_items_are_counted()
    {
        var meter = new ParseBudget { MaxTime = TimeSpan.FromTicks(1) }.Start("slow.yaml");
        Thread.Sleep(2);
        var e = Assert.Throws<BudgetExceededException>(() =>
        {
            for (var i = 0; i < ParseMeter.ClockInterval; i++) meter.Item();
        });
        Assert.Equal(BudgetLimit.Time, e.Limit);
        Assert.StartsWith("slow.yaml: not read within", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_narrower_byte_bound_never_widens_the_budget()
    {
        var budget = new ParseBudget { MaxBytes = 100 };
        Assert.Equal(50, budget.WithMaxBytes(50).MaxBytes);
        Assert.Same(budget, budget.WithMaxBytes(1000));
    }
}
