using System.Text.RegularExpressions;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;
using ZeroDrift.Inventory.Catalogers.Shared;

namespace ZeroDrift.Inventory.Catalogers.Ruby;

/// <summary>
/// Installed gems: the <c>specifications/*.gemspec</c> (and <c>specifications/default/*.gemspec</c> for default gems)
/// that RubyGems writes when it installs a gem. They are Ruby source and are never run: name, version, platform,
/// licences and run-time dependencies are read with patterns for the form RubyGems generates
/// (<c>s.name = "rake".freeze</c>, <c>s.add_runtime_dependency(%q&lt;x&gt;.freeze, …)</c>). Dependencies are resolved
/// against the gems installed in the same directory (a specifications directory and its default/ subdirectory).
/// </summary>
public sealed partial class GemspecCataloger : ICataloger
{
    private readonly SiblingIndex<Dictionary<string, string>> _siblings = new();

    public string Name => "ruby-gemspec";

    public bool FileRequired(FileEntry entry)
    {
        if (!entry.Name.EndsWith(".gemspec", StringComparison.Ordinal)) return false;
        var parent = VirtualPath.Parent(entry.Path);
        var parentName = VirtualPath.FileName(parent);
        return parentName == "specifications" || (parentName == "default" && VirtualPath.FileName(VirtualPath.Parent(parent)) == "specifications");
    }

    internal sealed record Gemspec(string Name, string Version, string? Platform, IReadOnlyList<string> Licenses,
        IReadOnlyList<string> Dependencies, string? Homepage, string? Summary);

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        var spec = Parse(context.ReadText(entry));
        var directory = VirtualPath.Parent(entry.Path);
        // Gems and default gems of one installation depend on one another (net-ftp on the default gem net-protocol).
        var root = VirtualPath.FileName(directory) == "default" ? VirtualPath.Parent(directory) : directory;
        var installed = _siblings.Get(context.FileSystem, root, d => IndexInstalled(context, d));
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (spec.Platform is not null) metadata["platform"] = spec.Platform;
        if (spec.Homepage is not null) metadata["homepage"] = spec.Homepage;
        if (spec.Summary is not null) metadata["summary"] = spec.Summary;
        if (VirtualPath.FileName(directory) == "default") metadata["defaultGem"] = "true";
        yield return new Package
        {
            Name = spec.Name,
            Version = spec.Version,
            Ecosystem = Ecosystem.RubyGems,
            Purl = GemPackages.Purl(spec.Name, spec.Version, spec.Platform),
            FoundBy = Name,
            Locations = [entry.Location],
            Licenses = spec.Licenses,
            DependsOn = spec.Dependencies.Select(d => installed.GetValueOrDefault(d)).Where(d => d is not null).Select(d => d!).Distinct().ToList(),
            Metadata = metadata,
        };
    }

    internal static Gemspec Parse(string text)
    {
        var name = NameField().Match(text) is { Success: true } n ? Literal(n.Groups["value"].Value) : null;
        var version = VersionField().Match(text) is { Success: true } v ? Literal(v.Groups["value"].Value) : null;
        if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(version))
            throw new FormatException("gemspec without a literal name or version");
        var platform = PlatformField().Match(text) is { Success: true } p ? Literal(p.Groups["value"].Value) : null;
        var licenses = new List<string>();
        if (LicensesField().Match(text) is { Success: true } list)
            licenses.AddRange(StringLiteral().Matches(list.Groups["list"].Value).Select(m => Literal(m.Value)).Where(l => l.Length > 0));
        else if (LicenseField().Match(text) is { Success: true } single)
            licenses.Add(Literal(single.Groups["value"].Value));
        var dependencies = RuntimeDependency().Matches(WithoutLegacyBranch(text)).Select(m => Literal(m.Groups["value"].Value)).Distinct(StringComparer.Ordinal).ToList();
        var homepage = HomepageField().Match(text) is { Success: true } h ? Literal(h.Groups["value"].Value) : null;
        var summary = SummaryField().Match(text) is { Success: true } s ? Literal(s.Groups["value"].Value) : null;
        return new Gemspec(name, version, platform is "ruby" ? null : platform, licenses, dependencies, homepage, summary);
    }

    /// <summary>
    /// Older RubyGems wrote dependencies twice: <c>if s.respond_to? :add_runtime_dependency then</c> run-time and
    /// development ones, <c>else</c> all of them again as <c>add_dependency</c> for RubyGems that cannot tell them
    /// apart. The else branch is dropped so development dependencies do not count as run-time ones.
    /// </summary>
    private static string WithoutLegacyBranch(string text)
    {
        if (!text.Contains("respond_to? :add_runtime_dependency", StringComparison.Ordinal)) return text;
        var kept = new System.Text.StringBuilder(text.Length);
        var state = 0; // 0 outside, 1 in the "then" branch, 2 in the "else" branch
        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.Trim();
            if (state == 0 && trimmed.StartsWith("if ", StringComparison.Ordinal) && trimmed.Contains("respond_to? :add_runtime_dependency", StringComparison.Ordinal)) state = 1;
            else if (state == 1 && trimmed == "else") state = 2;
            else if (state != 0 && trimmed == "end") state = 0;
            else if (state != 2) kept.Append(line).Append('\n');
        }
        return kept.ToString();
    }

    /// <summary>The text of a Ruby string literal as RubyGems writes them: "x", 'x', %q{x}, %q&lt;x&gt;.</summary>
    private static string Literal(string literal)
    {
        if (literal.StartsWith("%q", StringComparison.Ordinal) && literal.Length >= 4) return literal[3..^1];
        if (literal.Length >= 2 && literal[0] is '"' or '\'' && literal[^1] == literal[0])
            return literal[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\'", "'", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
        return literal;
    }

    /// <summary>Gem name → package id of every gem specified in <paramref name="specifications"/> and its default/ directory.</summary>
    private Dictionary<string, string> IndexInstalled(CatalogContext context, string specifications)
    {
        var index = new Dictionary<string, string>(StringComparer.Ordinal);
        var children = context.FileSystem.List(specifications).Concat(context.FileSystem.List(specifications + "/default"));
        foreach (var child in children.Where(c => c.Kind is FileKind.Regular or FileKind.Hardlink && FileRequired(c)).OrderBy(c => c.Path, StringComparer.Ordinal))
        {
            try
            {
                var text = context.FileSystem.ReadText(child.Path, context.Limits.MaxFileBytes);
                if (text is null) continue;
                var spec = Parse(text);
                index.TryAdd(spec.Name, PackageId.For(GemPackages.Purl(spec.Name, spec.Version, spec.Platform), child.Path));
            }
            catch (Exception e) when (e is FormatException or Artifacts.ArtifactException or IOException)
            {
                // Reported by the gemspec's own Catalog call; here it only cannot be a dependency target.
            }
        }
        return index;
    }

    private const string Str = @"(?:""(?:[^""\\\n]|\\.)*""|'(?:[^'\\\n]|\\.)*'|%q\{[^}\n]*\}|%q<[^>\n]*>|%q\([^)\n]*\)|%q\[[^\]\n]*\])";

    [GeneratedRegex(@"^\s*\w+\.name\s*=\s*(?<value>" + Str + ")", RegexOptions.Multiline)]
    private static partial Regex NameField();

    [GeneratedRegex(@"^\s*\w+\.version\s*=\s*(?:Gem::Version\.new\(\s*)?(?<value>" + Str + ")", RegexOptions.Multiline)]
    private static partial Regex VersionField();

    [GeneratedRegex(@"^\s*\w+\.platform\s*=\s*(?<value>" + Str + ")", RegexOptions.Multiline)]
    private static partial Regex PlatformField();

    [GeneratedRegex(@"^\s*\w+\.licenses\s*=\s*\[(?<list>[^\]\n]*)\]", RegexOptions.Multiline)]
    private static partial Regex LicensesField();

    [GeneratedRegex(@"^\s*\w+\.license\s*=\s*(?<value>" + Str + ")", RegexOptions.Multiline)]
    private static partial Regex LicenseField();

    [GeneratedRegex(@"^\s*\w+\.homepage\s*=\s*(?<value>" + Str + ")", RegexOptions.Multiline)]
    private static partial Regex HomepageField();

    [GeneratedRegex(@"^\s*\w+\.summary\s*=\s*(?<value>" + Str + ")", RegexOptions.Multiline)]
    private static partial Regex SummaryField();

    [GeneratedRegex(Str)]
    private static partial Regex StringLiteral();

    // add_dependency and add_runtime_dependency are run time; add_development_dependency is not.
    [GeneratedRegex(@"^\s*\w+\.add_(?:runtime_)?dependency\s*\(?\s*(?<value>" + Str + ")", RegexOptions.Multiline)]
    private static partial Regex RuntimeDependency();
}
