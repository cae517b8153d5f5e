using System.Xml.Linq;
using ZeroDrift.Core;

namespace ZeroDrift.Remediation.Dependencies.Editors;

/// <summary>
/// Maven: a dependency's <c>&lt;version&gt;</c> in dependencies, dependencyManagement and plugin dependencies,
/// or, when the version is <c>${property}</c>, the property in this pom's <c>&lt;properties&gt;</c> (so every
/// dependency sharing it moves together, as the pom's author meant). A property defined elsewhere (a parent)
/// is named in a note.
/// </summary>
internal sealed class MavenEditor : IManifestEditor
{
    public Ecosystem Ecosystem => Ecosystem.Maven;

    public bool Handles(string fileName) => fileName == "pom.xml";

    public EditResult Edit(EditContext context, string text)
    {
        var document = XmlText.Load(text);
        var edits = new TextEdits(text);
        var made = new List<ManifestEdit>();
        var notes = new List<string>();
        var properties = document.Root is { } root
            ? XmlText.Child(root, "properties")?.Elements().GroupBy(e => e.Name.LocalName).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal) ?? []
            : [];
        foreach (var dependency in document.Descendants().Where(e => e.Name.LocalName == "dependency"))
        {
            var group = XmlText.Child(dependency, "groupId")?.Value.Trim();
            var artifact = XmlText.Child(dependency, "artifactId")?.Value.Trim();
            if (XmlText.Child(dependency, "version") is not { } versionElement || group is null || artifact is null) continue;
            var name = $"{group}:{artifact}";
            var written = versionElement.Value.Trim();
            var target = versionElement;
            var what = "version";
            if (written.StartsWith("${", StringComparison.Ordinal) && written.EndsWith('}'))
            {
                var property = written[2..^1];
                if (!properties.TryGetValue(property, out var defined))
                {
                    if (context.Upgrades.For(Ecosystem.Maven, name).Count > 0)
                        notes.Add($"{context.File}:{((System.Xml.IXmlLineInfo)versionElement).LineNumber}: {name}'s version is ${{{property}}}, which this pom does not define (a parent's?): set it there");
                    continue;
                }
                target = defined;
                written = defined.Value.Trim();
                what = $"property {property}";
            }
            if (context.Upgrades.For(Ecosystem.Maven, name, written) is not { } upgrade || XmlText.ValueOf(edits, target) is not { } span) continue;
            edits.Replace(span.Start, span.Length, upgrade.To!);
            made.Add(new ManifestEdit(context.File, edits.LineOf(span.Start), Ecosystem.Maven, name, written, upgrade.To!, what));
        }
        return new EditResult(edits.Apply(), made, notes);
    }
}
