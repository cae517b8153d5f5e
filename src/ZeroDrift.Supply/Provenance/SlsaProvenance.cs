using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ZeroDrift.Supply.Signing;

namespace ZeroDrift.Supply.Provenance;

/// <summary>
/// What a SLSA provenance predicate says about a build, read the same way for v0.2 and v1 (GitHub artifact
/// attestations are v1 with GitHub's workflow build type): who built it, how, from which repository and ref.
/// </summary>
public sealed record SlsaProvenance(string PredicateType, string? BuilderId, string? BuildType, string? SourceRepository, string? Ref)
{
    public const string V02 = "https://slsa.dev/provenance/v0.2";
    public const string V1 = "https://slsa.dev/provenance/v1";

    public static bool IsProvenance(string predicateType) => predicateType is V02 or V1;

    /// <summary>The provenance of a statement, or null when its predicate is not SLSA provenance.</summary>
    public static SlsaProvenance? Of(InTotoStatement statement)
    {
        if (statement.Predicate is not JsonObject predicate) return null;
        return statement.PredicateType switch
        {
            V02 => FromV02(predicate),
            V1 => FromV1(predicate),
            _ => null,
        };
    }

    /// <summary>v0.2: builder.id, buildType, and the source as invocation.configSource.uri (<c>git+https://…@ref</c>),
    /// else the first material.</summary>
    private static SlsaProvenance FromV02(JsonObject p)
    {
        var source = Text(p["invocation"]?["configSource"]?["uri"]) ?? Text((p["materials"] as JsonArray)?.FirstOrDefault()?["uri"]);
        var (repository, reference) = SplitGitUri(source);
        return new SlsaProvenance(V02, Text(p["builder"]?["id"]), Text(p["buildType"]), repository, reference);
    }

    /// <summary>v1: runDetails.builder.id, buildDefinition.buildType; the source from GitHub's
    /// externalParameters.workflow (repository, ref), else the first resolved dependency's <c>git+…@ref</c> URI.</summary>
    private static SlsaProvenance FromV1(JsonObject p)
    {
        var definition = p["buildDefinition"];
        var workflow = definition?["externalParameters"]?["workflow"];
        string? repository = Text(workflow?["repository"]);
        string? reference = Text(workflow?["ref"]);
        if (repository is null)
            (repository, reference) = SplitGitUri(Text((definition?["resolvedDependencies"] as JsonArray)?.FirstOrDefault()?["uri"]));
        return new SlsaProvenance(V1, Text(p["runDetails"]?["builder"]?["id"]), Text(definition?["buildType"]), repository, reference);
    }

    /// <summary><c>git+https://github.com/o/r@refs/heads/main</c> → (<c>https://github.com/o/r</c>, <c>refs/heads/main</c>).</summary>
    private static (string? Repository, string? Ref) SplitGitUri(string? uri)
    {
        if (uri is null) return (null, null);
        var text = uri.StartsWith("git+", StringComparison.Ordinal) ? uri[4..] : uri;
        // The ref follows the first '@' in the path (refs themselves hold slashes; a user@host is before the path).
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        var path = text.IndexOf('/', scheme < 0 ? 0 : scheme + 3);
        var at = path < 0 ? -1 : text.IndexOf('@', path);
        return at > 0 ? (text[..at], text[(at + 1)..]) : (text, null);
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

/// <summary>One provenance field a policy requires: equal to a value or matching a regular expression (anchor it).</summary>
public sealed record ProvenanceField(string Name, string? Exact, string? Pattern)
{
    private readonly Regex? _regex = Pattern is null ? null : new Regex(Pattern, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);

    public bool Matches(string? value) => value is not null && (value == Exact || (_regex?.IsMatch(value) ?? false));

    public string Expected => Exact ?? Pattern ?? "";
}

/// <summary>A policy's <c>provenance:</c>: every field given must match one verified provenance attestation.</summary>
public sealed record ProvenanceRequirement(IReadOnlyList<ProvenanceField> Fields)
{
    /// <summary>Null when <paramref name="provenance"/> satisfies every field, else the first mismatch in words.</summary>
    public string? Mismatch(SlsaProvenance provenance)
    {
        foreach (var field in Fields)
        {
            var value = field.Name switch
            {
                "builderId" => provenance.BuilderId,
                "buildType" => provenance.BuildType,
                "sourceRepository" => provenance.SourceRepository,
                "ref" => provenance.Ref,
                _ => null,
            };
            if (!field.Matches(value)) return $"{field.Name} is {(value is null ? "missing" : $"'{value}'")}, not {field.Expected}";
        }
        return null;
    }
}
