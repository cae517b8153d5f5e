using System.Xml.Linq;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Parsing.Xml;

namespace ZeroDrift.Inventory.Catalogers.Java;

/// <summary>One <c>&lt;dependency&gt;</c> as written, before any <c>${…}</c> is resolved.</summary>
internal sealed record PomDependency(string? GroupId, string? ArtifactId, string? Version, string? Scope, string? Type, string? Classifier, bool Optional);

/// <summary>The <c>&lt;parent&gt;</c> block. <see cref="RelativePath"/> is null when absent (Maven's default ../pom.xml), "" when empty.</summary>
internal sealed record PomParent(string? GroupId, string? ArtifactId, string? Version, string? RelativePath);

internal sealed record PomLicense(string? Name, string? Url);

/// <summary>The parts of a Maven POM a scanner needs, as written in the file.</summary>
internal sealed record MavenPom
{
    public string? GroupId { get; init; }
    public string? ArtifactId { get; init; }
    public string? Version { get; init; }
    public string? Packaging { get; init; }
    public PomParent? Parent { get; init; }
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<PomDependency> Dependencies { get; init; } = [];
    public IReadOnlyList<PomDependency> DependencyManagement { get; init; } = [];
    public IReadOnlyList<PomLicense> Licenses { get; init; } = [];

    /// <summary>
    /// Parses POM XML within <paramref name="budget"/> (<see cref="SafeXml"/>: no DTD, so no external entities and no
    /// entity expansion bombs, no resolver, bounded bytes, nesting, elements and time). Throws <see cref="FormatException"/>
    /// naming <paramref name="what"/>.
    /// </summary>
    public static MavenPom Parse(Stream stream, string what, ParseBudget budget)
    {
        var document = SafeXml.Load(stream, budget, what);
        var project = document.Root;
        if (project is null || project.Name.LocalName != "project")
            throw new FormatException($"{what}: not a Maven POM (root element is <{project?.Name.LocalName}>, not <project>)");

        var parent = Child(project, "parent") is { } p
            ? new PomParent(Text(p, "groupId"), Text(p, "artifactId"), Text(p, "version"), Child(p, "relativePath") is { } rel ? rel.Value.Trim() : null)
            : null;
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Child(project, "properties") is { } props)
            foreach (var property in props.Elements())
                properties.TryAdd(property.Name.LocalName, property.Value.Trim());
        var dependencies = ReadDependencies(Child(project, "dependencies"));
        var management = ReadDependencies(Child(Child(project, "dependencyManagement"), "dependencies"));
        // A profile active by default adds to the project what it declares, its properties overriding the project's.
        // Other activations (JDK, OS, a property, a file) depend on the build machine and are not guessed.
        foreach (var profile in ActiveByDefaultProfiles(project))
        {
            if (Child(profile, "properties") is { } profileProps)
                foreach (var property in profileProps.Elements())
                    properties[property.Name.LocalName] = property.Value.Trim();
            dependencies.AddRange(ReadDependencies(Child(profile, "dependencies")));
            // The managed entry found first is used: the profile's is put before the project's it overrides.
            management.InsertRange(0, ReadDependencies(Child(Child(profile, "dependencyManagement"), "dependencies")));
        }
        return new MavenPom
        {
            GroupId = Text(project, "groupId"),
            ArtifactId = Text(project, "artifactId"),
            Version = Text(project, "version"),
            Packaging = Text(project, "packaging"),
            Parent = parent,
            Properties = properties,
            Dependencies = dependencies,
            DependencyManagement = management,
            Licenses = Child(project, "licenses")?.Elements().Where(e => e.Name.LocalName == "license")
                .Select(l => new PomLicense(Text(l, "name"), Text(l, "url")))
                .Where(l => l.Name is not null || l.Url is not null)
                .ToList() ?? [],
        };
    }

    private static IEnumerable<XElement> ActiveByDefaultProfiles(XElement project) =>
        Child(project, "profiles")?.Elements().Where(e => e.Name.LocalName == "profile")
            .Where(p => string.Equals(Text(Child(p, "activation"), "activeByDefault"), "true", StringComparison.OrdinalIgnoreCase))
        ?? [];

    private static List<PomDependency> ReadDependencies(XElement? dependencies) =>
        dependencies?.Elements().Where(e => e.Name.LocalName == "dependency")
            .Select(d => new PomDependency(Text(d, "groupId"), Text(d, "artifactId"), Text(d, "version"), Text(d, "scope"),
                Text(d, "type"), Text(d, "classifier"), string.Equals(Text(d, "optional"), "true", StringComparison.OrdinalIgnoreCase)))
            .ToList() ?? [];

    // POMs are written with and without the http://maven.apache.org/POM/4.0.0 namespace: match local names.
    private static XElement? Child(XElement? element, string name) =>
        element?.Elements().FirstOrDefault(e => e.Name.LocalName == name);

    private static string? Text(XElement? element, string name) =>
        Child(element, name)?.Value.Trim() is { Length: > 0 } value ? value : null;
}
