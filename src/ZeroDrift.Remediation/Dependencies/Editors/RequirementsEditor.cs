using System.Text.RegularExpressions;
using ZeroDrift.Core;

namespace ZeroDrift.Remediation.Dependencies.Editors;

/// <summary>
/// pip requirements files: <c>name==version</c> and <c>name===version</c> pins, extras and markers kept. A pin
/// with <c>--hash</c> options keeps them and is named in a note: the hashes belong to the old release's files.
/// </summary>
internal sealed partial class RequirementsEditor : IManifestEditor
{
    [GeneratedRegex(@"^(?<lead>\s*(?<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*===?\s*)(?<version>[^\s;#\\,]+)", RegexOptions.Multiline)]
    private static partial Regex Pin();

    public Ecosystem Ecosystem => Ecosystem.PyPI;

    public bool Handles(string fileName) =>
        fileName.EndsWith(".txt", StringComparison.Ordinal) && fileName.StartsWith("requirements", StringComparison.Ordinal)
        || fileName is "constraints.txt";

    public EditResult Edit(EditContext context, string text)
    {
        var edits = new TextEdits(text);
        var made = new List<ManifestEdit>();
        var notes = new List<string>();
        foreach (Match m in Pin().Matches(text))
        {
            var name = m.Groups["name"].Value;
            var version = m.Groups["version"];
            if (context.Upgrades.For(Ecosystem.PyPI, name, version.Value) is not { } upgrade) continue;
            edits.Replace(version.Index, version.Length, upgrade.To!);
            var line = edits.LineOf(m.Index);
            made.Add(new ManifestEdit(context.File, line, Ecosystem.PyPI, name, version.Value, upgrade.To!, "pin"));
            var end = LogicalLineEnd(text, m.Index);
            if (text[m.Index..end].Contains("--hash", StringComparison.Ordinal))
                notes.Add($"{context.File}:{line}: {name}'s --hash options are for {version.Value}'s files; regenerate them (pip-compile --generate-hashes) or pip refuses the install");
        }
        return new EditResult(edits.Apply(), made, notes);
    }

    /// <summary>The end of a requirement, continuation lines ("\" at the end) included.</summary>
    private static int LogicalLineEnd(string text, int from)
    {
        var end = text.IndexOf('\n', from);
        while (end > 0 && text[..end].TrimEnd('\r').EndsWith('\\')) end = text.IndexOf('\n', end + 1) is var n and >= 0 ? n : text.Length;
        return end < 0 ? text.Length : end;
    }
}
