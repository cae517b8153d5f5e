using System.Text.RegularExpressions;

namespace ZeroDrift.Artifacts.Registry;

/// <summary>
/// An image reference parsed with the distribution reference grammar
/// (https://github.com/distribution/reference/blob/main/reference.go):
/// <c>[host[:port]/]path[:tag][@digest]</c>. Docker Hub is the default registry; its single-component
/// names live under <c>library/</c>.
/// </summary>
/// <param name="Registry">The registry as named: <c>host[:port]</c>, <c>docker.io</c> for Docker Hub.</param>
/// <param name="Repository">The repository path (<c>library/alpine</c>, <c>team/app</c>).</param>
/// <param name="Tag">The tag; <c>latest</c> when neither tag nor digest was given; null for digest-only references.</param>
/// <param name="Digest">The manifest digest, when pinned; it wins over the tag.</param>
public sealed partial record ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public const string DockerHub = "docker.io";
    public const string DefaultTag = "latest";
    private const int MaxNameLength = 255;

    /// <summary>The host the registry API is served from (Docker Hub's API is not on docker.io itself).</summary>
    public string ApiHost => Registry == DockerHub ? "registry-1.docker.io" : Registry;

    /// <summary>What to ask the manifests endpoint for: the digest when pinned, else the tag.</summary>
    public string ManifestReference => Digest ?? Tag ?? DefaultTag;

    /// <summary>The repository this reference lives in, as the registry client addresses it.</summary>
    public RepositoryRef RepositoryRef => new(Registry, Repository);

    /// <summary><c>registry/repository</c>, fully qualified.</summary>
    public string Name => $"{Registry}/{Repository}";

    /// <summary>The reference with its tag and no digest, or null when only a digest was given.</summary>
    public string? TaggedName => Tag is null ? null : $"{Name}:{Tag}";

    /// <summary><c>repository:tag</c> or <c>repository@digest</c>, as error messages name what was asked for.</summary>
    public string RepositoryReference => Digest is not null ? $"{Repository}@{Digest}" : $"{Repository}:{Tag}";

    public override string ToString() => Name + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    public static ImageReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) throw Invalid(text, "empty reference");
        if (text.Any(char.IsWhiteSpace)) throw Invalid(text, "whitespace is not allowed");

        string? digest = null;
        var rest = text;
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            try { Images.Oci.Digest.Parse(digest); }
            catch (ArtifactException) { throw Invalid(text, $"invalid digest '{digest}' (expected sha256:<64 hex> or sha512:<128 hex>)"); }
        }

        // A tag follows the last ':' that comes after the last '/' (a ':' before it belongs to host:port).
        string? tag = null;
        var lastSlash = rest.LastIndexOf('/');
        var colon = rest.IndexOf(':', lastSlash + 1);
        if (colon >= 0)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagPattern().IsMatch(tag)) throw Invalid(text, $"invalid tag '{tag}' (letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-')");
        }
        if (rest.Length == 0) throw Invalid(text, "no repository name");
        if (rest.Length > MaxNameLength) throw Invalid(text, $"name longer than {MaxNameLength} characters");

        var (registry, path) = SplitDomain(rest);
        if (registry is not null && !DomainPattern().IsMatch(registry))
            throw Invalid(text, $"invalid registry host '{registry}'");
        if (path.Length == 0) throw Invalid(text, "no repository name");
        foreach (var component in path.Split('/'))
        {
            if (component.Length == 0) throw Invalid(text, "empty path component");
            if (component.Any(char.IsAsciiLetterUpper)) throw Invalid(text, "repository names must be lowercase");
            if (!PathComponentPattern().IsMatch(component)) throw Invalid(text, $"invalid repository path component '{component}'");
        }

        registry ??= DockerHub;
        if (registry == "index.docker.io") registry = DockerHub;
        if (registry == DockerHub && !path.Contains('/', StringComparison.Ordinal)) path = "library/" + path;
        if (tag is null && digest is null) tag = DefaultTag;
        return new ImageReference(registry, path, tag, digest);
    }

    /// <summary>Docker's rule: the first component is a registry when it has a '.' or ':', is "localhost", or has upper case.</summary>
    private static (string? Registry, string Path) SplitDomain(string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0) return (null, name);
        var first = name[..slash];
        var isDomain = first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal)
            || first == "localhost" || first.Any(char.IsAsciiLetterUpper);
        return isDomain ? (first, name[(slash + 1)..]) : (null, name);
    }

    private static ArtifactException Invalid(string text, string why) =>
        new($"invalid image reference '{(text.Length > 300 ? text[..300] + "…" : text)}': {why}");

    // domain-component ('.' domain-component)* or [IPv6], then an optional :port.
    [GeneratedRegex(@"^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]{1,5})?$")]
    private static partial Regex DomainPattern();

    // alpha-numeric (separator alpha-numeric)*, separator := [_.] | __ | [-]+
    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$")]
    private static partial Regex PathComponentPattern();

    [GeneratedRegex(@"^[\w][\w.-]{0,127}$", RegexOptions.ECMAScript)]
    private static partial Regex TagPattern();
}

/// <summary>A repository of a registry: where manifests and blobs are read and written.</summary>
/// <param name="Registry">host[:port] as named (<c>docker.io</c> for Docker Hub).</param>
/// <param name="Name">The repository path, e.g. <c>library/alpine</c>.</param>
public sealed record RepositoryRef(string Registry, string Name)
{
    public override string ToString() => $"{Registry}/{Name}";
}
