using System.Text;
using System.Text.Json;
using ZeroDrift.Core;

namespace ZeroDrift.Inventory.Sbom;

/// <summary>
/// SPDX 2.3 JSON: one package for the target, which DESCRIBES the document and CONTAINS every package found;
/// each package carries its purl as a PACKAGE-MANAGER external reference; DEPENDS_ON relationships give the graph.
/// </summary>
public sealed class SpdxWriter : IInventoryWriter
{
    public void Write(Inventory inventory, Stream output)
    {
        using var w = new Utf8JsonWriter(output, InventoryWriters.JsonOptions);
        const string rootId = "SPDXRef-Target";
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in inventory.Packages) ids.TryAdd(p.Id, "SPDXRef-Package-" + SpdxIdPart(p.Id));

        w.WriteStartObject();
        w.WriteString("spdxVersion", "SPDX-2.3");
        w.WriteString("dataLicense", "CC0-1.0");
        w.WriteString("SPDXID", "SPDXRef-DOCUMENT");
        w.WriteString("name", inventory.Target);
        w.WriteString("documentNamespace", $"https://zerodrift.dev/spdx/{Uri.EscapeDataString(inventory.Target)}-{Guid.NewGuid()}");
        w.WriteStartObject("creationInfo");
        w.WriteString("created", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteStartArray("creators");
        w.WriteStringValue($"Tool: zerodrift-{InventoryWriters.ToolVersion}");
        w.WriteStringValue("Organization: ZeroDrift");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartArray("documentDescribes");
        w.WriteStringValue(rootId);
        w.WriteEndArray();

        w.WriteStartArray("packages");
        w.WriteStartObject();
        w.WriteString("SPDXID", rootId);
        w.WriteString("name", inventory.Target);
        if ((inventory.Image?.ManifestDigest ?? inventory.Image?.ConfigDigest) is { } digest)
        {
            w.WriteString("versionInfo", digest);
            w.WriteStartArray("checksums");
            w.WriteStartObject();
            w.WriteString("algorithm", "SHA256");
            w.WriteString("checksumValue", digest.Split(':').Last());
            w.WriteEndObject();
            w.WriteEndArray();
        }
        w.WriteString("downloadLocation", "NOASSERTION");
        w.WriteBoolean("filesAnalyzed", false);
        w.WriteString("primaryPackagePurpose", inventory.Image is null ? "FILE" : "CONTAINER");
        if (inventory.Distro is { } distro) w.WriteString("comment", $"operating system: {distro.PrettyName ?? distro.ToString()}");
        w.WriteEndObject();
        foreach (var p in inventory.Packages.DistinctBy(p => p.Id)) WritePackage(w, p, ids[p.Id]);
        w.WriteEndArray();

        w.WriteStartArray("relationships");
        WriteRelationship(w, "SPDXRef-DOCUMENT", "DESCRIBES", rootId);
        foreach (var id in ids.Values) WriteRelationship(w, rootId, "CONTAINS", id);
        foreach (var p in inventory.Packages.DistinctBy(p => p.Id))
            foreach (var d in p.DependsOn.Distinct())
                if (ids.TryGetValue(d, out var target)) WriteRelationship(w, ids[p.Id], "DEPENDS_ON", target);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WritePackage(Utf8JsonWriter w, Package p, string spdxId)
    {
        w.WriteStartObject();
        w.WriteString("SPDXID", spdxId);
        w.WriteString("name", p.Name);
        w.WriteString("versionInfo", p.Version);
        w.WriteString("downloadLocation", "NOASSERTION");
        w.WriteBoolean("filesAnalyzed", false);
        w.WriteString("licenseConcluded", "NOASSERTION");
        // Declared licences are free text in package metadata, not always valid SPDX expressions: keep them as a comment.
        w.WriteString("licenseDeclared", "NOASSERTION");
        if (p.Licenses.Count > 0) w.WriteString("licenseComments", "declared: " + string.Join("; ", p.Licenses));
        w.WriteString("copyrightText", "NOASSERTION");
        var source = new StringBuilder($"found by {p.FoundBy} in ");
        source.AppendJoin(", ", p.Locations.Select(l => l.ToString()));
        w.WriteString("sourceInfo", source.ToString());
        w.WriteString("primaryPackagePurpose", p.Ecosystem.IsOperatingSystem() ? "INSTALL" : "LIBRARY");
        w.WriteStartArray("externalRefs");
        w.WriteStartObject();
        w.WriteString("referenceCategory", "PACKAGE-MANAGER");
        w.WriteString("referenceType", "purl");
        w.WriteString("referenceLocator", p.Purl.ToString());
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteRelationship(Utf8JsonWriter w, string from, string type, string to)
    {
        w.WriteStartObject();
        w.WriteString("spdxElementId", from);
        w.WriteString("relationshipType", type);
        w.WriteString("relatedSpdxElement", to);
        w.WriteEndObject();
    }

    /// <summary>SPDX ids allow letters, digits, '.' and '-' only.</summary>
    private static string SpdxIdPart(string id) =>
        new(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '-').ToArray());
}
