using System.Text.Json.Nodes;
using Json.Schema;

namespace ZeroDrift.TestSupport;

/// <summary>Validates documents against the official schemas in ../shared/data/schemas.</summary>
public static class SchemaValidator
{
    private static readonly Lazy<BuildOptions> Options = new(() =>
    {
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        // CycloneDX refers to its SPDX licence list and JSF schemas by relative id: register them under theirs.
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.SharedData, "schemas"), "*.json"))
            JsonSchema.FromFile(file, options);
        return options;
    });

    public static IReadOnlyList<string> Validate(string schemaFile, string json)
    {
        var schema = JsonSchema.FromFile(RepoPaths.Schema(schemaFile), Options.Value);
        var result = schema.Evaluate(System.Text.Json.JsonDocument.Parse(json).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return [];
        return result.Details?.Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}"))
            .Take(20).ToList() ?? ["invalid"];
    }

    public static void AssertValid(string schemaFile, string json)
    {
        var errors = Validate(schemaFile, json);
        Xunit.Assert.True(errors.Count == 0, $"{schemaFile}: {string.Join("\n", errors)}");
    }
}
