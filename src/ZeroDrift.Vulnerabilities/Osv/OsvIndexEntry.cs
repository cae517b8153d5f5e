using System.Globalization;
using System.Text.Json;

namespace ZeroDrift.Vulnerabilities.Osv;

/// <summary>
/// What the database indexes of a record (id, modified, withdrawn, aliases, affected packages), read from one
/// JsonDocument pass without materialising the whole record: imports parse each record once, like a plain read.
/// The checks are those of <see cref="OsvParser"/>, so what imports also parses when matched.
/// </summary>
public sealed record OsvIndexEntry(string Id, DateTimeOffset Modified, bool Withdrawn, IReadOnlyList<string> Aliases, IReadOnlyList<(string Ecosystem, string Name)> Packages)
{
    /// <summary>The (ecosystem base, normalised name) keys the record is found under, computed once by the reader.</summary>
    public IReadOnlyList<(string Base, string Name)> Keys { get; } =
        Packages.Select(p => (EcosystemNames.Base(p.Ecosystem), EcosystemNames.NormalizeName(p.Ecosystem, p.Name))).Distinct().ToList();

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    public static OsvIndexEntry Read(ReadOnlyMemory<byte> json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, Options);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Invalid(source, "not a JSON object");
            var id = root.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString()! : throw Invalid(source, "no id");
            if (string.IsNullOrWhiteSpace(id)) throw Invalid(source, "no id");
            if (!root.TryGetProperty("modified", out var m) || m.ValueKind != JsonValueKind.String
                || !DateTimeOffset.TryParse(m.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var modified))
                throw Invalid(source, $"{id}: no valid 'modified' time");
            var withdrawn = root.TryGetProperty("withdrawn", out var w) && w.ValueKind == JsonValueKind.String;
            var aliases = root.TryGetProperty("aliases", out var a) && a.ValueKind == JsonValueKind.Array
                ? a.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
                : [];
            var packages = new List<(string, string)>();
            if (root.TryGetProperty("affected", out var affected))
            {
                if (affected.ValueKind == JsonValueKind.Null) return new OsvIndexEntry(id, modified, withdrawn, aliases, packages);
                if (affected.ValueKind != JsonValueKind.Array) throw Invalid(source, $"{id}: 'affected' is not a list");
                foreach (var entry in affected.EnumerateArray())
                {
                    if (entry.ValueKind != JsonValueKind.Object) throw Invalid(source, $"{id}: an 'affected' entry is not an object");
                    CheckRanges(entry, id, source);
                    if (entry.TryGetProperty("package", out var p) && p.ValueKind == JsonValueKind.Object
                        && p.TryGetProperty("ecosystem", out var e) && e.ValueKind == JsonValueKind.String
                        && p.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
                        packages.Add((e.GetString()!, n.GetString()!));
                }
            }
            return new OsvIndexEntry(id, modified, withdrawn, aliases, packages);
        }
        catch (JsonException e)
        {
            throw new OsvFormatException($"{source}: not a valid OSV record ({e.Message.Split('\n')[0]})");
        }
    }

    private static void CheckRanges(JsonElement entry, string id, string source)
    {
        if (!entry.TryGetProperty("ranges", out var ranges) || ranges.ValueKind == JsonValueKind.Null) return;
        if (ranges.ValueKind != JsonValueKind.Array) throw Invalid(source, $"{id}: 'ranges' is not a list");
        foreach (var range in ranges.EnumerateArray())
        {
            var type = range.ValueKind == JsonValueKind.Object && range.TryGetProperty("type", out var t) ? t.GetString() : null;
            if (type is not ("SEMVER" or "ECOSYSTEM" or "GIT")) throw Invalid(source, $"{id}: unknown range type '{type}'");
            if (!range.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array || events.GetArrayLength() == 0)
                throw Invalid(source, $"{id}: a range without events");
        }
    }

    private static OsvFormatException Invalid(string source, string reason) => new($"{source}: not a valid OSV record ({reason})");
}
