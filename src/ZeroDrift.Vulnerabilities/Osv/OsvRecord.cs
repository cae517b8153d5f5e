using System.Text.Json;
using System.Text.Json.Serialization;

namespace ZeroDrift.Vulnerabilities.Osv;

/// <summary>
/// One OSV record, covering the whole OSV schema (https://ossf.github.io/osv-schema/). Free-form parts
/// (<c>ecosystem_specific</c>, <c>database_specific</c>) are kept as JSON.
/// </summary>
public sealed record OsvRecord
{
    [JsonPropertyName("schema_version")] public string? SchemaVersion { get; init; }
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("modified")] public required DateTimeOffset Modified { get; init; }
    [JsonPropertyName("published")] public DateTimeOffset? Published { get; init; }
    [JsonPropertyName("withdrawn")] public DateTimeOffset? Withdrawn { get; init; }
    [JsonPropertyName("aliases")] public IReadOnlyList<string> Aliases { get; init; } = [];
    [JsonPropertyName("related")] public IReadOnlyList<string> Related { get; init; } = [];
    [JsonPropertyName("upstream")] public IReadOnlyList<string> Upstream { get; init; } = [];
    [JsonPropertyName("summary")] public string? Summary { get; init; }
    [JsonPropertyName("details")] public string? Details { get; init; }
    [JsonPropertyName("severity")] public IReadOnlyList<OsvSeverity> Severity { get; init; } = [];
    [JsonPropertyName("affected")] public IReadOnlyList<OsvAffected> Affected { get; init; } = [];
    [JsonPropertyName("references")] public IReadOnlyList<OsvReference> References { get; init; } = [];
    [JsonPropertyName("credits")] public IReadOnlyList<OsvCredit> Credits { get; init; } = [];
    [JsonPropertyName("database_specific")] public JsonElement? DatabaseSpecific { get; init; }

    public bool IsWithdrawn => Withdrawn is not null;
}

/// <summary>A severity score: <c>CVSS_V2</c>, <c>CVSS_V3</c>, <c>CVSS_V4</c> or <c>Ubuntu</c> with its vector or rating.</summary>
public sealed record OsvSeverity(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("score")] string Score);

public sealed record OsvPackage
{
    [JsonPropertyName("ecosystem")] public required string Ecosystem { get; init; }
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("purl")] public string? Purl { get; init; }
}

public sealed record OsvAffected
{
    [JsonPropertyName("package")] public OsvPackage? Package { get; init; }
    [JsonPropertyName("severity")] public IReadOnlyList<OsvSeverity> Severity { get; init; } = [];
    [JsonPropertyName("ranges")] public IReadOnlyList<OsvRange> Ranges { get; init; } = [];
    [JsonPropertyName("versions")] public IReadOnlyList<string> Versions { get; init; } = [];
    [JsonPropertyName("ecosystem_specific")] public JsonElement? EcosystemSpecific { get; init; }
    [JsonPropertyName("database_specific")] public JsonElement? DatabaseSpecific { get; init; }
}

public sealed record OsvRange
{
    /// <summary><c>SEMVER</c>, <c>ECOSYSTEM</c> or <c>GIT</c>.</summary>
    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("repo")] public string? Repo { get; init; }
    [JsonPropertyName("events")] public IReadOnlyList<OsvEvent> Events { get; init; } = [];
    [JsonPropertyName("database_specific")] public JsonElement? DatabaseSpecific { get; init; }
}

/// <summary>One range event; exactly one of its fields is set.</summary>
public sealed record OsvEvent
{
    [JsonPropertyName("introduced")] public string? Introduced { get; init; }
    [JsonPropertyName("fixed")] public string? Fixed { get; init; }
    [JsonPropertyName("last_affected")] public string? LastAffected { get; init; }
    [JsonPropertyName("limit")] public string? Limit { get; init; }
}

public sealed record OsvReference(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("url")] string Url);

public sealed record OsvCredit
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("contact")] public IReadOnlyList<string> Contact { get; init; } = [];
    [JsonPropertyName("type")] public string? Type { get; init; }
}

[JsonSerializable(typeof(OsvRecord))]
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = false, ReadCommentHandling = JsonCommentHandling.Disallow)]
internal sealed partial class OsvJsonContext : JsonSerializerContext;
