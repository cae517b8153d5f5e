using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Parsing.Streams;

namespace ZeroDrift.Parsing.Yaml;

/// <summary>The ways ZeroDrift reads YAML, all through <see cref="BoundedYamlParser"/>.</summary>
public static class SafeYaml
{
    /// <summary>A parser over text already in memory (its size is checked against the budget first).</summary>
    public static BoundedYamlParser Parser(string text, ParseBudget budget, string what)
    {
        var meter = budget.Start(what, "YAML nodes");
        meter.Read(text.Length);
        return new BoundedYamlParser(new StringReader(text), meter);
    }

    /// <summary>A parser that reads <paramref name="stream"/> as it goes, charging the bytes to the budget.</summary>
    public static BoundedYamlParser Parser(Stream stream, ParseBudget budget, string what)
    {
        var meter = budget.Start(what, "YAML nodes");
        return new BoundedYamlParser(new StreamReader(new MeteredStream(stream, meter), detectEncodingFromByteOrderMarks: true), meter);
    }

    /// <summary>Every document of a YAML stream as YamlDotNet's representation model.</summary>
    public static YamlStream LoadStream(string text, ParseBudget budget, string what)
    {
        var stream = new YamlStream();
        Unwrapped(() => stream.Load(Parser(text, budget, what)));
        return stream;
    }

    /// <summary>One document deserialized into <typeparamref name="T"/> by <paramref name="deserializer"/>.</summary>
    public static T? Deserialize<T>(IDeserializer deserializer, string text, ParseBudget budget, string what)
    {
        T? result = default;
        Unwrapped(() => result = deserializer.Deserialize<T>(Parser(text, budget, what)));
        return result;
    }

    /// <summary>YamlDotNet wraps what a parser throws inside deserialization into its own exception: a limit comes
    /// back out as itself, so it reads the same whichever way the YAML was loaded.</summary>
    private static void Unwrapped(Action load)
    {
        try
        {
            load();
        }
        catch (YamlException e) when (Innermost(e) is BudgetExceededException budget)
        {
            throw new BudgetExceededException(budget.Limit, budget.Message);
        }
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is { } inner) e = inner;
        return e;
    }
}
