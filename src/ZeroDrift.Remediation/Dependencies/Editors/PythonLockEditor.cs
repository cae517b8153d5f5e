using System.Text.RegularExpressions;
using ZeroDrift.Core;

namespace ZeroDrift.Remediation.Dependencies.Editors;

/// <summary>
/// poetry.lock and uv.lock: the <c>[[package]]</c> entry's version. Their file lists and hashes belong to the
/// old release and only the index gives the new ones, so the note asks for <c>poetry lock --no-update</c> or
/// <c>uv lock</c>: until then the installers refuse the lock (they check hashes), which is the safe failure.
/// </summary>
internal sealed partial class PythonLockEditor : IManifestEditor
{
    [GeneratedRegex(@"^\s*(?<key>name|version)\s*=\s*""(?<value>[^""]*)""")]
    private static partial Regex Field();

    public Ecosystem Ecosystem => Ecosystem.PyPI;

    public bool Handles(string fileName) => fileName is "poetry.lock" or "uv.lock";

    public EditResult Edit(EditContext context, string text)
    {
        var edits = new TextEdits(text);
        var made = new List<ManifestEdit>();
        string? name = null;
        var offset = 0;
        foreach (var raw in text.Split('\n'))
        {
            if (raw.TrimStart().StartsWith('[')) name = null;
            if (Field().Match(raw) is { Success: true } m && !char.IsWhiteSpace(raw.Length > 0 ? raw[0] : 'x'))
            {
                var value = m.Groups["value"];
                if (m.Groups["key"].Value == "name") name = value.Value;
                else if (name is not null && context.Upgrades.For(Ecosystem.PyPI, name, value.Value) is { } upgrade)
                {
                    edits.Replace(offset + value.Index, value.Length, upgrade.To!);
                    made.Add(new ManifestEdit(context.File, edits.LineOf(offset), Ecosystem.PyPI, name, value.Value, upgrade.To!, "locked version"));
                    name = null;
                }
            }
            offset += raw.Length + 1;
        }
        var tool = Path.GetFileName(context.File) == "uv.lock" ? "uv lock" : "poetry lock --no-update";
        var notes = made.Count > 0 ? new[] { $"{context.File}: the upgraded entries still list the old release's files and hashes: run `{tool}` before installing (installers refuse the mismatch)" } : [];
        return new EditResult(edits.Apply(), made, notes);
    }
}
