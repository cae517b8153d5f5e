using System.Text;

namespace ZeroDrift.Core;

/// <summary>
/// A package URL as the purl specification defines it: <c>pkg:type/namespace/name@version?qualifiers#subpath</c>.
/// Type-specific normalisation (PyPI names, lower-cased distro types) is applied on construction.
/// </summary>
public sealed record PackageUrl
{
    public string Type { get; }
    public string? Namespace { get; }
    public string Name { get; }
    public string? Version { get; }
    public IReadOnlyList<KeyValuePair<string, string>> Qualifiers { get; }
    public string? Subpath { get; }

    public PackageUrl(string type, string? @namespace, string name, string? version,
        IEnumerable<KeyValuePair<string, string>>? qualifiers = null, string? subpath = null)
    {
        // Names come from the files a scan reads: an empty one is bad input, not a caller's mistake.
        if (string.IsNullOrWhiteSpace(type)) throw new FormatException("a package without a type");
        if (string.IsNullOrWhiteSpace(name)) throw new FormatException("a package without a name");
        Type = type.ToLowerInvariant();
        (Namespace, Name) = Normalise(Type, string.IsNullOrEmpty(@namespace) ? null : @namespace.Trim('/'), name);
        Version = string.IsNullOrEmpty(version) ? null : version;
        Qualifiers = (qualifiers ?? [])
            .Where(q => !string.IsNullOrEmpty(q.Value))
            .Select(q => KeyValuePair.Create(q.Key.ToLowerInvariant(), q.Value))
            .OrderBy(q => q.Key, StringComparer.Ordinal)
            .ToArray();
        Subpath = string.IsNullOrEmpty(subpath) ? null : subpath.Trim('/');
    }

    public static PackageUrl For(Ecosystem ecosystem, string? @namespace, string name, string? version,
        IEnumerable<KeyValuePair<string, string>>? qualifiers = null) =>
        new(ecosystem.PurlType(), @namespace, name, version, qualifiers);

    private static (string? Namespace, string Name) Normalise(string type, string? ns, string name)
    {
        switch (type)
        {
            case "pypi":
                return (ns, name.ToLowerInvariant().Replace('_', '-'));
            case "deb" or "apk" or "alpm" or "bitbucket" or "github" or "composer":
                return (ns?.ToLowerInvariant(), name.ToLowerInvariant());
            case "npm":
                return (ns?.ToLowerInvariant(), name.ToLowerInvariant());
            case "golang" when ns is null && name.Contains('/'):
                var slash = name.LastIndexOf('/');
                return (name[..slash], name[(slash + 1)..]);
            default:
                return (ns, name);
        }
    }

    public string? Qualifier(string key) =>
        Qualifiers.FirstOrDefault(q => q.Key == key).Value;

    public override string ToString()
    {
        var sb = new StringBuilder("pkg:").Append(Type).Append('/');
        if (Namespace is not null)
        {
            foreach (var segment in Namespace.Split('/', StringSplitOptions.RemoveEmptyEntries))
                sb.Append(Encode(segment)).Append('/');
        }
        sb.Append(Encode(Name));
        if (Version is not null) sb.Append('@').Append(Encode(Version));
        if (Qualifiers.Count > 0)
        {
            sb.Append('?');
            sb.AppendJoin('&', Qualifiers.Select(q => $"{q.Key}={Encode(q.Value)}"));
        }
        if (Subpath is not null)
        {
            sb.Append('#');
            sb.AppendJoin('/', Subpath.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Encode));
        }
        return sb.ToString();
    }

    /// <summary>Parses a purl string; throws <see cref="FormatException"/> with the reason when it is not one.</summary>
    public static PackageUrl Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.StartsWith("pkg:", StringComparison.OrdinalIgnoreCase))
            throw new FormatException($"not a package URL (no 'pkg:' scheme): {text}");
        var rest = text[4..].TrimStart('/');
        string? subpath = null, query = null;
        var hash = rest.IndexOf('#');
        if (hash >= 0) { subpath = rest[(hash + 1)..]; rest = rest[..hash]; }
        var question = rest.IndexOf('?');
        if (question >= 0) { query = rest[(question + 1)..]; rest = rest[..question]; }
        var slash = rest.IndexOf('/');
        if (slash <= 0) throw new FormatException($"package URL has no type or name: {text}");
        var type = rest[..slash];
        rest = rest[(slash + 1)..].Trim('/');
        string? version = null;
        var at = rest.LastIndexOf('@');
        if (at >= 0 && at > rest.LastIndexOf('/')) { version = Decode(rest[(at + 1)..]); rest = rest[..at]; }
        var lastSlash = rest.LastIndexOf('/');
        var name = Decode(lastSlash >= 0 ? rest[(lastSlash + 1)..] : rest);
        if (name.Length == 0) throw new FormatException($"package URL has an empty name: {text}");
        var ns = lastSlash >= 0 ? string.Join('/', rest[..lastSlash].Split('/').Select(Decode)) : null;
        var qualifiers = query?.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .Select(kv => KeyValuePair.Create(kv[0], Decode(kv[1])));
        var sub = subpath is null ? null : string.Join('/', subpath.Split('/').Select(Decode));
        return new PackageUrl(type, ns, name, version, qualifiers, sub);
    }

    public bool Equals(PackageUrl? other) => other is not null && ToString() == other.ToString();

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());

    private static string Encode(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '~')
                sb.Append(c);
            else
                sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    private static string Decode(string value) => Uri.UnescapeDataString(value);
}
