using System.Text.Json;
using ZeroDrift.Core;

namespace ZeroDrift.Remediation.Dependencies;

/// <summary>
/// The plan as JSON: each upgrade with its advisories, major-version crossing, skip reason and the manifest
/// lines it changes; then the per-file diffs, notes and warnings.
/// </summary>
public static class FixJsonWriter
{
    public static void Write(DependencyFixPlan plan, bool applied, Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("root", plan.Root);
        json.WriteBoolean("applied", applied);
        json.WriteStartArray("upgrades");
        foreach (var u in plan.Upgrades)
        {
            json.WriteStartObject();
            json.WriteString("ecosystem", u.Ecosystem.DisplayName());
            json.WriteString("package", u.Name);
            json.WriteString("from", u.From);
            if (u.To is not null) json.WriteString("to", u.To); else json.WriteNull("to");
            if (u.Smallest is not null) json.WriteString("smallestFix", u.Smallest);
            json.WriteBoolean("crossesMajor", u.CrossesMajor);
            json.WriteString("status", u.Taken ? "proposed" : "skipped");
            if (u.SkipReason is not null) json.WriteString("reason", u.SkipReason);
            json.WriteString("registry", u.Confirmed switch { true => "confirmed", false => "not found", null => "not checked" });
            json.WriteStartArray("advisories");
            foreach (var id in u.Advisories) json.WriteStringValue(id);
            json.WriteEndArray();
            json.WriteStartArray("remaining");
            foreach (var id in u.Remaining) json.WriteStringValue(id);
            json.WriteEndArray();
            json.WriteStartArray("edits");
            foreach (var e in plan.Changes.SelectMany(c => c.Edits).Where(e => e.Ecosystem == u.Ecosystem && string.Equals(e.Package, u.Name, StringComparison.OrdinalIgnoreCase)))
            {
                json.WriteStartObject();
                json.WriteString("file", e.File);
                json.WriteNumber("line", e.Line);
                json.WriteString("from", e.From);
                json.WriteString("to", e.To);
                json.WriteString("what", e.What);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("files");
        foreach (var c in plan.Changes)
        {
            json.WriteStartObject();
            json.WriteString("file", c.File);
            json.WriteString("diff", UnifiedDiff.Of(c.File, c.Before, c.After));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        WriteStrings(json, "notes", plan.Notes);
        WriteStrings(json, "unedited", plan.Unedited);
        WriteStrings(json, "warnings", plan.Warnings);
        json.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var v in values) json.WriteStringValue(v);
        json.WriteEndArray();
    }
}
