using ZeroDrift.Core;

namespace ZeroDrift.Remediation.Dependencies.Editors;

/// <summary>
/// npm: package.json ranges (the floor raised, the operator kept) and package-lock.json v2/v3 entries (version,
/// registry tarball URL, integrity dropped since it is only known after download; npm fills it again on the
/// next install). A vulnerable package only the lock file holds (a transitive one) gets an <c>overrides</c>
/// entry in package.json, which npm 8.3+ applies to the whole tree.
/// </summary>
internal sealed class NpmEditor : IManifestEditor
{
    private static readonly string[] DependencySections = ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"];

    public Ecosystem Ecosystem => Ecosystem.Npm;

    public bool Handles(string fileName) => fileName is "package.json" or "package-lock.json" or "npm-shrinkwrap.json";

    public EditResult Edit(EditContext context, string text) =>
        Path.GetFileName(context.File) == "package.json" ? EditManifest(context, text) : EditLock(context, text);

    private static EditResult EditManifest(EditContext context, string text)
    {
        var strings = JsonStrings.Read(text);
        var edits = new TextEdits(text);
        var made = new List<ManifestEdit>();
        var notes = new List<string>();
        var direct = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in strings)
        {
            if (s.Path.Count != 2 || !DependencySections.Contains(s.Path[0])) continue;
            var name = s.Path[1];
            direct.Add(name);
            if (context.Upgrades.Highest(Ecosystem.Npm, name) is not { } upgrade) continue;
            RaiseRange(context, edits, made, notes, s, name, upgrade);
        }
        // Overrides for what only the lock holds: the lock beside this manifest says which packages those are.
        var lockText = context.ReadSibling("package-lock.json") ?? context.ReadSibling("npm-shrinkwrap.json");
        var existingOverrides = strings.Where(s => s.Path.Count == 2 && s.Path[0] == "overrides").ToDictionary(s => s.Path[1], s => s, StringComparer.Ordinal);
        var added = new List<(string Name, DependencyUpgrade Upgrade)>();
        if (lockText is not null)
        {
            foreach (var upgrade in context.Upgrades.All.Where(u => u.Ecosystem == Ecosystem.Npm && !direct.Contains(u.Name)).GroupBy(u => u.Name).Select(g => context.Upgrades.Highest(Ecosystem.Npm, g.Key)!))
            {
                if (!lockText.Contains("node_modules/" + upgrade.Name + "\"", StringComparison.Ordinal)) continue;
                if (existingOverrides.TryGetValue(upgrade.Name, out var current))
                {
                    RaiseRange(context, edits, made, notes, current, upgrade.Name, upgrade);
                    continue;
                }
                added.Add((upgrade.Name, upgrade));
            }
        }
        if (added.Count > 0)
        {
            var hasOverrides = strings.Any(s => s.Path.Count >= 1 && s.Path[0] == "overrides");
            var entries = string.Join(",\n", added.Select(a => $"    {JsonStrings.Quote(a.Name)}: {JsonStrings.Quote(a.Upgrade.To!)}"));
            if (hasOverrides)
            {
                notes.Add($"{context.File}: transitive npm packages ({string.Join(", ", added.Select(a => a.Name))}) need entries in the existing \"overrides\" object, which has a form the fixer does not rewrite; add them by hand");
            }
            else
            {
                var close = text.LastIndexOf('}');
                var last = close - 1;
                while (last >= 0 && char.IsWhiteSpace(text[last])) last--;
                if (close > 0 && last >= 0)
                {
                    var separator = text[last] == '{' ? "" : ",";
                    edits.Insert(last + 1, $"{separator}\n  \"overrides\": {{\n{entries}\n  }}");
                    var line = edits.LineOf(last + 1);
                    foreach (var (name, upgrade) in added)
                        made.Add(new ManifestEdit(context.File, line, Ecosystem.Npm, name, upgrade.From, upgrade.To!, "override added for a transitive dependency"));
                }
            }
        }
        return new EditResult(edits.Apply(), made, notes);
    }

    private static void RaiseRange(EditContext context, TextEdits edits, List<ManifestEdit> made, List<string> notes, JsonString s, string name, DependencyUpgrade upgrade)
    {
        var raised = VersionRange.Raise(s.Value, upgrade.To!);
        if (raised is null)
        {
            notes.Add($"{context.File}:{edits.LineOf(s.Start)}: {name} \"{s.Value}\" is not a simple range; make it admit {upgrade.To} by hand");
            return;
        }
        if (raised == s.Value) return;
        edits.Replace(s.Start, s.Length, JsonStrings.Quote(raised));
        made.Add(new ManifestEdit(context.File, edits.LineOf(s.Start), Ecosystem.Npm, name, s.Value, raised, "range raised"));
    }

    private static EditResult EditLock(EditContext context, string text)
    {
        var strings = JsonStrings.Read(text);
        var edits = new TextEdits(text);
        var made = new List<ManifestEdit>();
        var notes = new List<string>();
        var rewritten = new Dictionary<string, DependencyUpgrade>(StringComparer.Ordinal);
        // Pass 1: the versions, keyed by the entry's path ("packages" / "node_modules/a/node_modules/lodash", or the
        // v2 "dependencies" tree); the entry's other fields follow in pass 2.
        foreach (var s in strings)
        {
            if (s.Path.Count < 3 || s.Path[^1] != "version") continue;
            var entry = string.Join('\u0000', s.Path.Take(s.Path.Count - 1));
            string? name = null;
            if (s.Path[0] == "packages" && s.Path.Count == 3 && s.Path[1].Contains("node_modules/", StringComparison.Ordinal))
                name = s.Path[1][(s.Path[1].LastIndexOf("node_modules/", StringComparison.Ordinal) + "node_modules/".Length)..];
            else if (s.Path[0] == "dependencies" && s.Path.Count % 2 == 1 && Enumerable.Range(0, s.Path.Count / 2).All(i => s.Path[i * 2] == "dependencies"))
                name = s.Path[^2];
            if (name is null || context.Upgrades.For(Ecosystem.Npm, name, s.Value) is not { } upgrade) continue;
            edits.Replace(s.Start, s.Length, JsonStrings.Quote(upgrade.To!));
            rewritten[entry] = upgrade;
            made.Add(new ManifestEdit(context.File, edits.LineOf(s.Start), Ecosystem.Npm, name, s.Value, upgrade.To!, "locked version"));
        }
        var integrityDropped = false;
        foreach (var s in strings)
        {
            if (s.Path.Count < 3) continue;
            var entry = string.Join('\u0000', s.Path.Take(s.Path.Count - 1));
            if (rewritten.TryGetValue(entry, out var upgrade))
            {
                if (s.Path[^1] == "resolved")
                {
                    var tarball = Tarball(upgrade.Name, upgrade.To!);
                    if (s.Value.StartsWith("https://registry.npmjs.org/", StringComparison.Ordinal)) edits.Replace(s.Start, s.Length, JsonStrings.Quote(tarball));
                    else notes.Add($"{context.File}:{edits.LineOf(s.Start)}: {upgrade.Name} resolves from {s.Value}, not the public registry: its 'resolved' URL was left for npm to refresh");
                }
                else if (s.Path[^1] == "integrity")
                {
                    JsonStrings.RemoveMember(edits, text, s);
                    integrityDropped = true;
                }
                continue;
            }
            // The root package's copy of package.json's ranges ("packages" / "" / "dependencies" / name).
            if (s.Path.Count == 4 && s.Path[0] == "packages" && s.Path[1].Length == 0 && DependencySections.Contains(s.Path[2])
                && context.Upgrades.Highest(Ecosystem.Npm, s.Path[3]) is { } declared && VersionRange.Raise(s.Value, declared.To!) is { } raised && raised != s.Value)
            {
                edits.Replace(s.Start, s.Length, JsonStrings.Quote(raised));
                made.Add(new ManifestEdit(context.File, edits.LineOf(s.Start), Ecosystem.Npm, s.Path[3], s.Value, raised, "root range raised"));
            }
        }
        if (integrityDropped)
            notes.Add($"{context.File}: integrity hashes of the upgraded entries were removed (only the downloaded tarball gives them); `npm install --package-lock-only --ignore-scripts` (or --lockfile-tool) writes them back");
        return new EditResult(edits.Apply(), made, notes);
    }

    /// <summary>The public registry's tarball URL: scoped packages keep their scope in the path, not in the file name.</summary>
    private static string Tarball(string name, string version)
    {
        var baseName = name.Contains('/', StringComparison.Ordinal) ? name[(name.IndexOf('/', StringComparison.Ordinal) + 1)..] : name;
        return $"https://registry.npmjs.org/{name}/-/{baseName}-{version}.tgz";
    }
}
