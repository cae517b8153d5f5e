using ZeroDrift.Core;
using System.Text.Json;

namespace ZeroDrift.Inventory.Sbom;

/// <summary>
/// ZeroDrift's own JSON form (docs/formats.md): stable field names, schema version 1; new fields may be added,
/// none removed or renamed without a new schema version.
/// </summary>
public sealed class JsonInventoryWriter : IInventoryWriter
{
    public const int SchemaVersion = 1;

    public void Write(Inventory inventory, Stream output)
    {
        using var w = new Utf8JsonWriter(output, InventoryWriters.JsonOptions);
        w.WriteStartObject();
        w.WriteNumber("schemaVersion", SchemaVersion);
        w.WriteString("tool", $"zerodrift {InventoryWriters.ToolVersion}");
        w.WriteStartObject("target");
        w.WriteString("name", inventory.Target);
        w.WriteString("kind", inventory.TargetKind);
        if (inventory.Distro is { } distro)
        {
            w.WriteStartObject("distro");
            w.WriteString("id", distro.Id);
            w.WriteString("versionId", distro.VersionId);
            w.WriteString("prettyName", distro.PrettyName);
            w.WriteEndObject();
        }
        if (inventory.Image is { } image)
        {
            w.WriteStartObject("image");
            w.WriteString("manifestDigest", image.ManifestDigest);
            w.WriteString("configDigest", image.ConfigDigest);
            w.WriteString("platform", image.Platform);
            WriteStrings(w, "repoTags", image.RepoTags);
            WriteStrings(w, "env", image.Env);
            w.WriteString("user", image.User);
            WriteStrings(w, "entrypoint", image.Entrypoint);
            WriteStrings(w, "cmd", image.Cmd);
            w.WriteStartObject("labels");
            foreach (var (k, v) in image.Labels.OrderBy(l => l.Key, StringComparer.Ordinal)) w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteStartArray("layers");
            foreach (var layer in image.Layers)
            {
                w.WriteStartObject();
                w.WriteNumber("index", layer.Index);
                w.WriteString("digest", layer.Digest);
                w.WriteString("diffId", layer.DiffId);
                w.WriteString("mediaType", layer.MediaType);
                w.WriteNumber("size", layer.Size);
                w.WriteString("createdBy", layer.CreatedBy);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();

        w.WriteStartArray("packages");
        foreach (var p in inventory.Packages)
        {
            w.WriteStartObject();
            w.WriteString("id", p.Id);
            w.WriteString("name", p.Name);
            w.WriteString("version", p.Version);
            w.WriteString("type", p.Ecosystem.DisplayName());
            w.WriteString("purl", p.Purl.ToString());
            w.WriteString("foundBy", p.FoundBy);
            WriteStrings(w, "licenses", p.Licenses);
            w.WriteStartArray("locations");
            foreach (var l in p.Locations)
            {
                w.WriteStartObject();
                w.WriteString("path", l.Path);
                if (l.Layer is { } layer)
                {
                    w.WriteString("layerDigest", layer.Digest);
                    w.WriteNumber("layerIndex", layer.Index);
                    w.WriteString("layerCreatedBy", layer.CreatedBy);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (p.SourceName is not null) w.WriteString("sourceName", p.SourceName);
            if (p.SourceVersion is not null) w.WriteString("sourceVersion", p.SourceVersion);
            if (p.Arch is not null) w.WriteString("arch", p.Arch);
            if (p.OwnedBy is not null) w.WriteString("ownedBy", p.OwnedBy);
            if (p.Dev) w.WriteBoolean("dev", true);
            if (p.Files.Count > 0) WriteStrings(w, "files", p.Files);
            if (p.DependsOn.Count > 0) WriteStrings(w, "dependsOn", p.DependsOn);
            if (p.Metadata.Count > 0)
            {
                w.WriteStartObject("metadata");
                foreach (var (k, v) in p.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        WriteStrings(w, "warnings", inventory.Warnings);
        w.WriteStartArray("catalogers");
        foreach (var c in inventory.Catalogers.Where(c => c.FilesRead > 0))
        {
            w.WriteStartObject();
            w.WriteString("name", c.Name);
            w.WriteNumber("filesRead", c.FilesRead);
            w.WriteNumber("packages", c.Packages);
            w.WriteNumber("errors", c.Errors);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }
}
