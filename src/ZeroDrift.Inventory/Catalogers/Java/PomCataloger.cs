using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.Java;

/// <summary>
/// The dependencies a Maven project declares in its <c>pom.xml</c>. Versions come from the dependency itself or
/// from <c>&lt;dependencyManagement&gt;</c> (the POM's or a parent's), with <c>${…}</c> resolved from properties of
/// the POM and of the parents found on disk through <c>&lt;parent&gt;&lt;relativePath&gt;</c>. What cannot be known
/// without a repository (versions from imported BOMs or from parents that are not on disk) is skipped with a warning.
/// </summary>
public sealed class PomCataloger : ICataloger
{
    // Maven projects rarely nest parents more than three or four deep; the bound stops a cycle of relativePaths.
    private const int MaxParentDepth = 10;
    private const long MaxPomBytes = 16 << 20;

    public string Name => "java-pom";

    public bool FileRequired(FileEntry entry) => entry.Name == "pom.xml";

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        MavenPom pom;
        using (var stream = context.Open(entry))
            pom = MavenPom.Parse(stream, entry.Path, context.Budget.WithMaxBytes(MaxPomBytes));

        var chain = ParentChain(context, entry.Path, pom);
        var groupId = pom.GroupId ?? pom.Parent?.GroupId;
        var version = pom.Version ?? pom.Parent?.Version;
        var properties = new PomProperties(chain, groupId, version);

        // groupId:artifactId[:type[:classifier]] → the managed entry; the POM's own first, then each parent's.
        var managed = new Dictionary<string, PomDependency>(StringComparer.Ordinal);
        foreach (var m in chain.SelectMany(p => p.DependencyManagement))
        {
            var g = properties.Resolve(m.GroupId);
            var a = properties.Resolve(m.ArtifactId);
            if (g is null || a is null) continue;
            managed.TryAdd(ManagementKey(g, a, m.Type, m.Classifier), m);
        }

        // Maven keeps the last of two declarations of one groupId:artifactId:type:classifier (its model builder warns).
        var declared = new Dictionary<string, Package>(StringComparer.Ordinal);
        foreach (var d in pom.Dependencies)
        {
            var g = properties.Resolve(d.GroupId);
            var a = properties.Resolve(d.ArtifactId);
            if (g is null || a is null)
            {
                context.Warn($"{entry.Path}: dependency {d.GroupId}:{d.ArtifactId} has an unresolvable groupId or artifactId, skipped");
                continue;
            }
            var key = ManagementKey(g, a, d.Type, d.Classifier);
            managed.TryGetValue(key, out var management);
            var written = d.Version ?? management?.Version;
            var v = properties.Resolve(written);
            if (string.IsNullOrWhiteSpace(v))
            {
                context.Warn(written is null
                    ? $"{entry.Path}: dependency {g}:{a} has no version here or in a dependencyManagement on disk (imported BOM or remote parent?), skipped"
                    : $"{entry.Path}: dependency {g}:{a} version '{written}' refers to {PomProperties.FirstReference(written)}, which is not defined on disk, skipped");
                declared.Remove(key);
                continue;
            }
            var range = MavenVersionRange.IsRange(v) ? v : null;
            if (range is not null)
            {
                // Maven picks the highest version of the range a repository has; offline, the lowest one the range
                // admits is the version known to be allowed (what osv-scalibr reports too).
                if (MavenVersionRange.LowestVersion(range) is not { } lowest)
                {
                    context.Warn($"{entry.Path}: dependency {g}:{a} version range '{range}' has no lowest version to report, skipped");
                    declared.Remove(key);
                    continue;
                }
                v = lowest;
            }
            var scope = d.Scope ?? management?.Scope ?? "compile";
            var type = d.Type ?? management?.Type;
            var classifier = properties.Resolve(d.Classifier ?? management?.Classifier);
            var qualifiers = new List<KeyValuePair<string, string>>();
            if (classifier is not null) qualifiers.Add(new("classifier", classifier));
            if (type is not null && type != "jar") qualifiers.Add(new("type", type));
            var purl = PackageUrl.For(Ecosystem.Maven, g, a, v, qualifiers);

            var metadata = new Dictionary<string, string> { ["scope"] = scope };
            if (d.Optional) metadata["optional"] = "true";
            if (d.Version is null) metadata["managedVersion"] = "true";
            if (written != v) metadata["declaredVersion"] = written!;
            if (range is not null) metadata["versionRange"] = range;
            declared.Remove(key);
            declared[key] = new Package
            {
                Name = a,
                Version = v,
                Ecosystem = Ecosystem.Maven,
                Purl = purl,
                FoundBy = Name,
                Locations = [entry.Location],
                Dev = scope == "test",
                Metadata = metadata,
            };
        }
        return declared.Values;
    }

    private static string ManagementKey(string groupId, string artifactId, string? type, string? classifier) =>
        $"{groupId}:{artifactId}:{type ?? "jar"}:{classifier}";

    /// <summary>The POM, then each parent POM found on disk at its relativePath that is the parent it declares.</summary>
    private static List<MavenPom> ParentChain(CatalogContext context, string path, MavenPom pom)
    {
        var chain = new List<MavenPom> { pom };
        var visited = new HashSet<string>(StringComparer.Ordinal) { path };
        var current = pom;
        var currentPath = path;
        while (current.Parent is { } parent && chain.Count <= MaxParentDepth)
        {
            if (parent.RelativePath is "") break; // <relativePath/>: the parent comes from a repository only.
            var relative = parent.RelativePath ?? "../pom.xml";
            var candidate = VirtualPath.Combine(VirtualPath.Parent(currentPath), relative);
            var resolved = context.FileSystem.Resolve(candidate);
            if (resolved is { Kind: FileKind.Directory })
            {
                candidate = VirtualPath.Combine(candidate, "pom.xml");
                resolved = context.FileSystem.Resolve(candidate);
            }
            if (resolved is not { Kind: FileKind.Regular or FileKind.Hardlink } || !visited.Add(resolved.Path)) break;

            MavenPom parentPom;
            try
            {
                using var stream = context.Open(resolved);
                parentPom = MavenPom.Parse(stream, resolved.Path, context.Budget.WithMaxBytes(MaxPomBytes));
            }
            catch (Exception e) when (e is FormatException or Artifacts.ArtifactException or IOException)
            {
                context.Warn($"{path}: parent POM {resolved.Path} not read: {e.Message}");
                break;
            }
            // Maven uses the file only when it is the declared parent; otherwise it would go to a repository.
            if (parentPom.ArtifactId != parent.ArtifactId || (parentPom.GroupId ?? parentPom.Parent?.GroupId) != parent.GroupId) break;
            chain.Add(parentPom);
            current = parentPom;
            currentPath = resolved.Path;
        }
        return chain;
    }
}
