using System.Text.RegularExpressions;
using ZeroDrift.Core;

namespace ZeroDrift.Remediation.Dependencies.Editors;

/// <summary>
/// go.mod: require lines, single or in a block, the <c>// indirect</c> comment kept. A module only go.sum names
/// (a dependency of a dependency that go.mod does not list) gets its own <c>require … // indirect</c> line, which
/// is how Go raises a transitive module's minimum. go.sum is never edited: it holds hashes only the module
/// download gives, so the note asks for <c>go mod tidy</c>.
/// </summary>
internal sealed partial class GoModEditor : IManifestEditor
{
    [GeneratedRegex(@"^(?<lead>\s*(require\s+)?)(?<path>[^\s()/][^\s()]*)\s+(?<version>v[^\s/]+)", RegexOptions.None)]
    private static partial Regex Require();

    public Ecosystem Ecosystem => Ecosystem.Go;

    public bool Handles(string fileName) => fileName == "go.mod";

    public EditResult Edit(EditContext context, string text)
    {
        var edits = new TextEdits(text);
        var made = new List<ManifestEdit>();
        var inRequire = false;
        var offset = 0;
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var trimmed = line.Trim();
            if (inRequire && trimmed.StartsWith(')')) inRequire = false;
            else if (trimmed.StartsWith("require", StringComparison.Ordinal) && trimmed.EndsWith('(')) inRequire = true;
            else if (inRequire || trimmed.StartsWith("require ", StringComparison.Ordinal))
            {
                var m = Require().Match(line);
                if (m.Success)
                {
                    var path = m.Groups["path"].Value;
                    listed.Add(path);
                    var version = m.Groups["version"];
                    if (context.Upgrades.For(Ecosystem.Go, path, version.Value) is { } upgrade)
                    {
                        var to = "v" + upgrade.To!.TrimStart('v');
                        edits.Replace(offset + version.Index, version.Length, to);
                        made.Add(new ManifestEdit(context.File, edits.LineOf(offset), Ecosystem.Go, path, version.Value, to, "require"));
                    }
                }
            }
            offset += raw.Length + 1;
        }
        // Transitive modules (from go.sum): a new require line raises their minimum version selection.
        var sum = context.ReadSibling("go.sum");
        var additions = new List<string>();
        if (sum is not null)
        {
            foreach (var upgrade in context.Upgrades.All.Where(u => u.Ecosystem == Ecosystem.Go && !listed.Contains(u.Name)))
            {
                if (!sum.Contains(upgrade.Name + " " + "v" + upgrade.From.TrimStart('v') + " ", StringComparison.Ordinal)) continue;
                var to = "v" + upgrade.To!.TrimStart('v');
                additions.Add($"require {upgrade.Name} {to} // indirect");
                made.Add(new ManifestEdit(context.File, edits.LineOf(text.Length) + (text.EndsWith('\n') ? 0 : 1), Ecosystem.Go, upgrade.Name, upgrade.From, to, "require added for a transitive module"));
            }
        }
        if (additions.Count > 0) edits.Insert(text.Length, (text.EndsWith('\n') || text.Length == 0 ? "" : "\n") + "\n" + string.Join('\n', additions) + "\n");
        var notes = made.Count > 0 ? new[] { $"{context.File}: go.sum has no hashes for the new versions: run `go mod tidy` (it downloads them)" } : [];
        return new EditResult(edits.Apply(), made, notes);
    }
}
