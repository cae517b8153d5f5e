using System.Text.Json.Nodes;
using Json.Schema;

namespace ZeroDrift.TestSupport;

/// <summary>Validates documents against the official schemas in ../shared/data/schemas.</summary>
public static class SchemaValidator
{
    private static readonly Lazy<BuildOptions> Options = new(() => new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    private static readonly Dictionary<string, JsonSchema> Schemas = [];
    private static readonly Lock Gate = new();

    private static JsonSchema Load(string schemaFile)
    {
        lock (Gate)
        {
            if (Schemas.Count == 0)
            {
                // CycloneDX refers to its SPDX licence list and JSF schemas by id: load them all into one registry.
                // (SARIF's draft-04 schema is not supported by this validator.)
                foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.SharedData, "schemas"), "*.json"))
                    if (!file.Contains("sarif", StringComparison.Ordinal))
                        Schemas[Path.GetFileName(file)] = JsonSchema.FromFile(file, Options.Value);
            }
            return Schemas[schemaFile];
        }
    }

    public static IReadOnlyList<string> Validate(string schemaFile, string json)
    {
        var schema = Load(schemaFile);
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
