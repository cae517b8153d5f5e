using System.Text.RegularExpressions;
using ZeroDrift.Core;

namespace ZeroDrift.Remediation.Dependencies.Editors;

/// <summary>
/// Cargo: Cargo.toml requirements in the dependency tables (<c>name = "1.6"</c> and
/// <c>name = { version = "1.6", … }</c>) get their floor raised, operator kept; Cargo.lock's
/// <c>[[package]]</c> entry gets the new version, its references from other entries follow, and its checksum
/// (which only the downloaded crate gives) is removed for cargo to write again.
/// </summary>
internal sealed partial class CargoEditor : IManifestEditor
{
    [GeneratedRegex(@"^\s*\[(?<table>[^\]]+)\]\s*$")]
    private static partial Regex Table();

    [GeneratedRegex(@"^\s*(?<name>[A-Za-z0-9_-]+)\s*=\s*(?<req>""[^""]*"")")]
    private static partial Regex Plain();

    [GeneratedRegex(@"^\s*(?<name>[A-Za-z0-9_-]+)\s*=\s*\{.*?\bversion\s*=\s*(?<req>""[^""]*"")")]
    private static partial Regex Inline();

    [GeneratedRegex(@"^\s*(?<key>name|version|checksum)\s*=\s*""(?<value>[^""]*)""")]
    private static partial Regex LockField();

    public Ecosystem Ecosystem => Ecosystem.Cargo;

    public bool Handles(string fileName) => fileName is "Cargo.toml" or "Cargo.lock";

    public EditResult Edit(EditContext context, string text) =>
        Path.GetFileName(context.File) == "Cargo.toml" ? EditManifest(context, text) : EditLock(context, text);

    private static EditResult EditManifest(EditContext context, string text)
    {
        var edits = new TextEdits(text);
        var made = new List<ManifestEdit>();
        var notes = new List<string>();
        var inDependencies = false;
        var offset = 0;
        foreach (var raw in text.Split('\n'))
        {
            var table = Table().Match(raw);
            if (table.Success) inDependencies = table.Groups["table"].Value.Trim().EndsWith("dependencies", StringComparison.Ordinal);
            else if (inDependencies && FirstMatch(raw) is { } m)
            {
                var name = m.Groups["name"].Value;
                var req = m.Groups["req"];
                if (context.Upgrades.Highest(Ecosystem.Cargo, name) is { } upgrade)
                {
                    var current = req.Value.Trim('"');
                    var raised = VersionRange.Raise(current, upgrade.To!);
                    if (raised is null) notes.Add($"{context.File}:{edits.LineOf(offset)}: {name} \"{current}\" is not a simple requirement; make it admit {upgrade.To} by hand");
                    else if (raised != current)
                    {
                        edits.Replace(offset + req.Index, req.Length, "\"" + raised + "\"");
                        made.Add(new ManifestEdit(context.File, edits.LineOf(offset), Ecosystem.Cargo, name, current, raised, "requirement raised"));
                    }
                }
            }
            offset += raw.Length + 1;
        }
        return new EditResult(edits.Apply(), made, notes);
    }

    private static Match? FirstMatch(string line)
    {
        var m = Inline().Match(line);
        if (!m.Success) m = Plain().Match(line);
        return m.Success ? m : null;
    }

    private static EditResult EditLock(EditContext context, string text)
    {
        var edits = new TextEdits(text);
        var made = new List<ManifestEdit>();
        var moved = new List<DependencyUpgrade>();
        string? name = null;
        DependencyUpgrade? current = null;
        var offset = 0;
        foreach (var raw in text.Split('\n'))
        {
            if (raw.Trim() == "[[package]]") { name = null; current = null; }
            else if (LockField().Match(raw) is { Success: true } m)
            {
                var value = m.Groups["value"];
                switch (m.Groups["key"].Value)
                {
                    case "name": name = value.Value; break;
                    case "version" when name is not null && context.Upgrades.For(Ecosystem.Cargo, name, value.Value) is { } upgrade:
                        current = upgrade;
                        moved.Add(upgrade);
                        edits.Replace(offset + value.Index, value.Length, upgrade.To!);
                        made.Add(new ManifestEdit(context.File, edits.LineOf(offset), Ecosystem.Cargo, name, value.Value, upgrade.To!, "locked version"));
                        break;
                    case "checksum" when current is not null:
                        edits.RemoveLine(offset);
                        break;
                }
            }
            offset += raw.Length + 1;
        }
        // Other entries name a dependency as "smallvec 1.6.0" when two versions are locked.
        foreach (var upgrade in moved)
        {
            var reference = $"\"{upgrade.Name} {upgrade.From}";
            for (var i = text.IndexOf(reference, StringComparison.Ordinal); i >= 0; i = text.IndexOf(reference, i + 1, StringComparison.Ordinal))
            {
                var end = i + reference.Length;
                if (end < text.Length && text[end] is '"' or ' ') edits.Replace(i, reference.Length, $"\"{upgrade.Name} {upgrade.To}");
            }
        }
        var notes = moved.Count > 0
            ? new[] { $"{context.File}: checksums of {string.Join(", ", moved.Select(u => u.Name + " " + u.To))} were removed (only the downloaded crate gives them): the next `cargo build`/`cargo fetch` writes them back" }
            : [];
        return new EditResult(edits.Apply(), made, notes);
    }
}
