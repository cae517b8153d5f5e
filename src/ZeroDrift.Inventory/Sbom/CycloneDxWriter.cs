using System.Text.Json;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Sbom;

/// <summary>
/// CycloneDX 1.6 JSON. The target is the metadata component (a container image or a file tree), packages are
/// components with their purl, licences, the files they were found in (evidence occurrences) and their layer
/// (properties), and the dependency graph where the source gave one.
/// </summary>
public sealed class CycloneDxWriter : IInventoryWriter
{
    public void Write(Inventory inventory, Stream output) => Write(inventory, output, null);

    /// <summary>Writes the BOM; <paramref name="extraSections"/> adds top-level sections (a scan's vulnerabilities).</summary>
    public void Write(Inventory inventory, Stream output, Action<Utf8JsonWriter>? extraSections)
    {
        using var w = new Utf8JsonWriter(output, InventoryWriters.JsonOptions);
        var rootRef = "target";
        w.WriteStartObject();
        w.WriteString("$schema", "http://cyclonedx.org/schema/bom-1.6.schema.json");
        w.WriteString("bomFormat", "CycloneDX");
        w.WriteString("specVersion", "1.6");
        w.WriteString("serialNumber", $"urn:uuid:{Guid.NewGuid()}");
        w.WriteNumber("version", 1);

        w.WriteStartObject("metadata");
        w.WriteString("timestamp", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteStartObject("tools");
        w.WriteStartArray("components");
        w.WriteStartObject();
        w.WriteString("type", "application");
        w.WriteString("author", "ZeroDrift");
        w.WriteString("name", "zerodrift");
        w.WriteString("version", InventoryWriters.ToolVersion);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartObject("component");
        w.WriteString("bom-ref", rootRef);
        w.WriteString("type", inventory.Image is null ? "file" : "container");
        w.WriteString("name", inventory.Target);
        if ((inventory.Image?.ManifestDigest ?? inventory.Image?.ConfigDigest) is { } digest)
        {
            w.WriteString("version", digest);
            w.WriteStartArray("hashes");
            w.WriteStartObject();
            w.WriteString("alg", "SHA-256");
            w.WriteString("content", digest.Split(':').Last());
            w.WriteEndObject();
            w.WriteEndArray();
        }
        var targetProperties = TargetProperties(inventory).ToList();
        if (targetProperties.Count > 0) WriteProperties(w, targetProperties);
        w.WriteEndObject();
        w.WriteEndObject();

        w.WriteStartArray("components");
        if (inventory.Distro is { } distro)
        {
            w.WriteStartObject();
            w.WriteString("bom-ref", "os");
            w.WriteString("type", "operating-system");
            w.WriteString("name", distro.Id);
            if (distro.VersionId is not null) w.WriteString("version", distro.VersionId);
            if (distro.PrettyName is not null) w.WriteString("description", distro.PrettyName);
            w.WriteEndObject();
        }
        foreach (var p in inventory.Packages) WriteComponent(w, p);
        w.WriteEndArray();

        w.WriteStartArray("dependencies");
        w.WriteStartObject();
        w.WriteString("ref", rootRef);
        w.WriteStartArray("dependsOn");
        foreach (var id in inventory.Packages.Select(p => p.Id).Distinct()) w.WriteStringValue(id);
        w.WriteEndArray();
        w.WriteEndObject();
        var known = inventory.Packages.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var p in inventory.Packages.DistinctBy(p => p.Id))
        {
            w.WriteStartObject();
            w.WriteString("ref", p.Id);
            w.WriteStartArray("dependsOn");
            foreach (var d in p.DependsOn.Where(known.Contains).Distinct()) w.WriteStringValue(d);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        extraSections?.Invoke(w);
        w.WriteEndObject();
    }

    private static IEnumerable<(string, string)> TargetProperties(Inventory inventory)
    {
        if (inventory.Image is { } image)
        {
            if (image.ConfigDigest is not null) yield return ("zerodrift:image:configDigest", image.ConfigDigest);
            yield return ("zerodrift:image:platform", image.Platform);
            foreach (var tag in image.RepoTags) yield return ("zerodrift:image:tag", tag);
            foreach (var layer in image.Layers) yield return ($"zerodrift:image:layer:{layer.Index}", layer.DiffId ?? layer.Digest ?? "");
        }
        if (inventory.Distro is { } distro) yield return ("zerodrift:distro", distro.ToString());
    }

    private static void WriteComponent(Utf8JsonWriter w, Package p)
    {
        w.WriteStartObject();
        w.WriteString("bom-ref", p.Id);
        w.WriteString("type", "library");
        if (p.Ecosystem == Ecosystem.Maven && p.Purl.Namespace is { } group) w.WriteString("group", group);
        w.WriteString("name", p.Name);
        w.WriteString("version", p.Version);
        if (p.Licenses.Count > 0)
        {
            w.WriteStartArray("licenses");
            foreach (var license in p.Licenses)
            {
                w.WriteStartObject();
                w.WriteStartObject("license");
                w.WriteString("name", license);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteString("purl", p.Purl.ToString());
        if (p.Locations.Count > 0)
        {
            w.WriteStartObject("evidence");
            w.WriteStartArray("occurrences");
            foreach (var l in p.Locations)
            {
                w.WriteStartObject();
                w.WriteString("location", l.Path);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        var properties = new List<(string, string)> { ("zerodrift:package:type", p.Ecosystem.DisplayName()), ("zerodrift:package:foundBy", p.FoundBy) };
        foreach (var l in p.Locations)
        {
            if (l.Layer is { } layer)
            {
                properties.Add(("zerodrift:location:layerDigest", layer.Digest));
                properties.Add(("zerodrift:location:layerIndex", layer.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
        }
        if (p.SourceName is not null) properties.Add(("zerodrift:package:sourceName", p.SourceName));
        if (p.SourceVersion is not null) properties.Add(("zerodrift:package:sourceVersion", p.SourceVersion));
        if (p.Arch is not null) properties.Add(("zerodrift:package:arch", p.Arch));
        if (p.OwnedBy is not null) properties.Add(("zerodrift:package:ownedBy", p.OwnedBy));
        if (p.Dev) properties.Add(("zerodrift:package:dev", "true"));
        WriteProperties(w, properties);
        w.WriteEndObject();
    }

    private static void WriteProperties(Utf8JsonWriter w, IEnumerable<(string Name, string Value)> properties)
    {
        w.WriteStartArray("properties");
        foreach (var (name, value) in properties)
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteString("value", value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
