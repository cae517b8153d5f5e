using System.Xml.Linq;
using ZeroDrift.Core;

namespace ZeroDrift.Remediation.Dependencies.Editors;

/// <summary>
/// NuGet: <c>PackageReference</c> versions in project files, <c>PackageVersion</c> entries of central package
/// management (Directory.Packages.props), and packages.lock.json (resolved and requested versions; the content
/// hash, which only the downloaded package gives, is removed for <c>dotnet restore --force-evaluate</c>).
/// A vulnerable transitive package under central management is pinned with a new <c>PackageVersion</c> and
/// <c>CentralPackageTransitivePinningEnabled</c>, as NuGet documents for this case.
/// </summary>
internal sealed class NuGetEditor : IManifestEditor
{
    private static readonly string[] ReferenceElements = ["PackageReference", "PackageVersion", "GlobalPackageReference"];

    public Ecosystem Ecosystem => Ecosystem.NuGet;

    public bool Handles(string fileName) =>
        fileName.EndsWith(".csproj", StringComparison.Ordinal) || fileName.EndsWith(".fsproj", StringComparison.Ordinal)
        || fileName.EndsWith(".vbproj", StringComparison.Ordinal) || fileName is "Directory.Packages.props" or "Directory.Build.props" or "packages.lock.json";

    public EditResult Edit(EditContext context, string text) =>
        Path.GetFileName(context.File) == "packages.lock.json" ? EditLock(context, text) : EditProject(context, text);

    private static EditResult EditProject(EditContext context, string text)
    {
        var document = XmlText.Load(text);
        var edits = new TextEdits(text);
        var made = new List<ManifestEdit>();
        var declared = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var element in document.Descendants().Where(e => ReferenceElements.Contains(e.Name.LocalName)))
        {
            var name = (XmlText.Attribute(element, "Include") ?? XmlText.Attribute(element, "Update"))?.Value;
            if (string.IsNullOrWhiteSpace(name)) continue;
            declared.Add(name);
            foreach (var (value, span) in Versions(edits, element))
            {
                if (context.Upgrades.For(Ecosystem.NuGet, name, value) is not { } upgrade || span is not { } s) continue;
                edits.Replace(s.Start, s.Length, upgrade.To!);
                made.Add(new ManifestEdit(context.File, edits.LineOf(s.Start), Ecosystem.NuGet, name, value, upgrade.To!, element.Name.LocalName));
            }
        }
        var notes = new List<string>();
        if (Path.GetFileName(context.File) == "Directory.Packages.props")
            PinTransitive(context, document, edits, made, notes, declared);
        return new EditResult(edits.Apply(), made, notes);
    }

    private static IEnumerable<(string Value, (int Start, int Length)? Span)> Versions(TextEdits edits, XElement element)
    {
        foreach (var attribute in new[] { "Version", "VersionOverride" }.Select(n => XmlText.Attribute(element, n)).OfType<XAttribute>())
            yield return (attribute.Value.Trim(), XmlText.ValueOf(edits, attribute));
        if (XmlText.Child(element, "Version") is { } child)
            yield return (child.Value.Trim(), XmlText.ValueOf(edits, child));
    }

    /// <summary>Transitive packages the lock files or assets name but no PackageVersion declares.</summary>
    private static void PinTransitive(EditContext context, XDocument document, TextEdits edits, List<ManifestEdit> made, List<string> notes, HashSet<string> declared)
    {
        var pending = context.Upgrades.All.Where(u => u.Ecosystem == Ecosystem.NuGet && !declared.Contains(u.Name) && context.IsTransitive(u)).ToList();
        if (pending.Count == 0) return;
        var group = document.Root?.Elements().FirstOrDefault(e => e.Name.LocalName == "ItemGroup" && e.Elements().Any(c => c.Name.LocalName == "PackageVersion"));
        if (group is null || group.LastNode is not XElement last || ((System.Xml.IXmlLineInfo)last).LineNumber <= 0)
        {
            notes.Add($"{context.File}: no ItemGroup of PackageVersion entries to pin {string.Join(", ", pending.Select(p => p.Name))} in; add them by hand");
            return;
        }
        var lastLine = ((System.Xml.IXmlLineInfo)last).LineNumber;
        var lineStart = edits.LineStart(lastLine);
        var indent = new string(edits.Text[lineStart..].TakeWhile(c => c is ' ' or '\t').ToArray());
        var lineEnd = edits.Text.IndexOf('\n', lineStart);
        var at = lineEnd < 0 ? edits.Text.Length : lineEnd + 1;
        var inserted = string.Concat(pending.Select(p => $"{indent}<PackageVersion Include=\"{p.Name}\" Version=\"{p.To}\" />\n"));
        edits.Insert(at, inserted);
        foreach (var p in pending)
            made.Add(new ManifestEdit(context.File, lastLine + 1, Ecosystem.NuGet, p.Name, p.From, p.To!, "transitive pin added"));
        var pinning = document.Descendants().FirstOrDefault(e => e.Name.LocalName == "CentralPackageTransitivePinningEnabled");
        if (pinning is null)
        {
            var property = document.Descendants().FirstOrDefault(e => e.Name.LocalName == "ManagePackageVersionsCentrally");
            if (property is not null && ((System.Xml.IXmlLineInfo)property).LineNumber > 0)
            {
                var line = ((System.Xml.IXmlLineInfo)property).LineNumber;
                var start = edits.LineStart(line);
                var propertyIndent = new string(edits.Text[start..].TakeWhile(c => c is ' ' or '\t').ToArray());
                var end = edits.Text.IndexOf('\n', start);
                edits.Insert(end < 0 ? edits.Text.Length : end + 1, $"{propertyIndent}<CentralPackageTransitivePinningEnabled>true</CentralPackageTransitivePinningEnabled>\n");
            }
            else notes.Add($"{context.File}: set <CentralPackageTransitivePinningEnabled>true</CentralPackageTransitivePinningEnabled> so the added pins apply to transitive packages");
        }
        else if (!string.Equals(pinning.Value.Trim(), "true", StringComparison.OrdinalIgnoreCase))
            notes.Add($"{context.File}: CentralPackageTransitivePinningEnabled is not true, so the added pins do not reach transitive packages");
    }

    private static EditResult EditLock(EditContext context, string text)
    {
        var strings = JsonStrings.Read(text);
        var edits = new TextEdits(text);
        var made = new List<ManifestEdit>();
        var moved = new Dictionary<string, DependencyUpgrade>(StringComparer.Ordinal);
        foreach (var s in strings.Where(s => s.Path.Count == 4 && s.Path[0] == "dependencies" && s.Path[3] == "resolved"))
        {
            if (context.Upgrades.For(Ecosystem.NuGet, s.Path[2], s.Value) is not { } upgrade) continue;
            edits.Replace(s.Start, s.Length, JsonStrings.Quote(upgrade.To!));
            moved[s.Path[1] + "\u0000" + s.Path[2]] = upgrade;
            made.Add(new ManifestEdit(context.File, edits.LineOf(s.Start), Ecosystem.NuGet, s.Path[2], s.Value, upgrade.To!, "locked version"));
        }
        foreach (var s in strings.Where(s => s.Path.Count == 4 && s.Path[0] == "dependencies"))
        {
            if (!moved.TryGetValue(s.Path[1] + "\u0000" + s.Path[2], out var upgrade)) continue;
            if (s.Path[3] == "contentHash") JsonStrings.RemoveMember(edits, text, s);
            else if (s.Path[3] == "requested" && s.Value.Contains(upgrade.From, StringComparison.OrdinalIgnoreCase))
                edits.Replace(s.Start, s.Length, JsonStrings.Quote(s.Value.Replace(upgrade.From, upgrade.To!, StringComparison.OrdinalIgnoreCase)));
        }
        var notes = moved.Count > 0
            ? new[] { $"{context.File}: content hashes of the upgraded packages were removed (only the downloaded package gives them): run `dotnet restore --force-evaluate` to write them back" }
            : [];
        return new EditResult(edits.Apply(), made, notes);
    }
}
