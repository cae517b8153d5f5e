using System.Text.RegularExpressions;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Catalogers.Ruby;

/// <summary>
/// Gemfile.lock (Bundler): the specs of every GEM, GIT, PATH and PLUGIN SOURCE section, four spaces in, each with its
/// dependencies six spaces in. "nokogiri (1.15.4-x86_64-linux)" is version 1.15.4 for platform x86_64-linux, split
/// at the first '-' as Bundler does. The lockfile records no groups, so nothing is marked dev.
/// </summary>
public sealed partial class GemfileLockCataloger : ICataloger
{
    public string Name => "ruby-gemfile-lock";

    public bool FileRequired(FileEntry entry) => entry.Name is "Gemfile.lock" or "gems.locked";

    private sealed record Spec(string Name, string Version, string? Platform, string SourceType, Dictionary<string, string> Source, List<string> Dependencies)
    {
        public PackageUrl Purl { get; } = GemPackages.Purl(Name, Version, Platform);
    }

    public IEnumerable<Package> Catalog(CatalogContext context, FileEntry entry)
    {
        var specs = Parse(context.ReadText(entry));
        var byName = specs.GroupBy(s => s.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            var metadata = new Dictionary<string, string>(spec.Source, StringComparer.Ordinal) { ["sourceType"] = spec.SourceType };
            if (spec.Platform is not null) metadata["platform"] = spec.Platform;
            yield return new Package
            {
                Name = spec.Name,
                Version = spec.Version,
                Ecosystem = Ecosystem.RubyGems,
                Purl = spec.Purl,
                FoundBy = Name,
                Locations = [entry.Location],
                // A dependency locked for several platforms points at every variant: the lockfile does not say which one runs.
                DependsOn = spec.Dependencies.SelectMany(d => byName.GetValueOrDefault(d) ?? [])
                    .Select(d => PackageId.For(d.Purl, entry.Path)).Distinct().ToList(),
                Metadata = metadata,
            };
        }
    }

    private static List<Spec> Parse(string text)
    {
        var specs = new List<Spec>();
        string? section = null;
        var source = new Dictionary<string, string>(StringComparer.Ordinal);
        var inSpecs = false;
        Spec? current = null;
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            if (line[0] != ' ')
            {
                section = line.Trim();
                source = new Dictionary<string, string>(StringComparer.Ordinal);
                inSpecs = false;
                current = null;
                continue;
            }
            if (section is not ("GEM" or "GIT" or "PATH" or "PLUGIN SOURCE")) continue;
            var indent = line.Length - line.TrimStart(' ').Length;
            if (indent == 2)
            {
                var option = line.Trim();
                if (option == "specs:") { inSpecs = true; continue; }
                var colon = option.IndexOf(": ", StringComparison.Ordinal);
                if (colon > 0) source[option[..colon]] = option[(colon + 2)..];
                continue;
            }
            if (!inSpecs) continue;
            var m = SpecLine().Match(line);
            if (!m.Success) throw new FormatException($"Gemfile.lock line {lineNumber}: not a spec or dependency: \"{line.Trim()}\"");
            if (indent == 4)
            {
                if (!m.Groups["version"].Success) throw new FormatException($"Gemfile.lock line {lineNumber}: spec without a version");
                current = new Spec(m.Groups["name"].Value, m.Groups["version"].Value, m.Groups["platform"].Success ? m.Groups["platform"].Value : null,
                    section switch { "GEM" => "gem", "GIT" => "git", "PATH" => "path", _ => "plugin" }, source, []);
                specs.Add(current);
            }
            else if (indent == 6 && current is not null)
            {
                current.Dependencies.Add(m.Groups["name"].Value);
            }
        }
        return specs;
    }

    // Bundler's NAME_VERSION: a name, then optionally " (version[-platform])" or " (requirements)", then an optional "!".
    [GeneratedRegex(@"^ {4,6}(?! )(?<name>[^ (]+)(?: \((?<version>[^-)]*)(?:-(?<platform>[^)]*))?\))?!?$")]
    private static partial Regex SpecLine();
}
