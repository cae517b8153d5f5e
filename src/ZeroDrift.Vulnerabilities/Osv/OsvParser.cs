using System.Text.Json;

namespace ZeroDrift.Vulnerabilities.Osv;

/// <summary>Reads OSV records, bounded against hostile input; a bad record is one <see cref="OsvFormatException"/>.</summary>
public static class OsvParser
{
    private static readonly JsonSerializerOptions Options = new(OsvJsonContext.Default.Options) { MaxDepth = 64 };

    public static OsvRecord Parse(ReadOnlySpan<byte> json, string source)
    {
        OsvRecord? record;
        try
        {
            record = JsonSerializer.Deserialize(json, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<OsvRecord>)Options.GetTypeInfo(typeof(OsvRecord)));
        }
        catch (JsonException e)
        {
            throw new OsvFormatException($"{source}: not a valid OSV record ({FirstLine(e.Message)})");
        }
        if (record is null || string.IsNullOrWhiteSpace(record.Id))
            throw new OsvFormatException($"{source}: not a valid OSV record (no id)");
        record = WithoutNulls(record);
        foreach (var affected in record.Affected)
        {
            foreach (var range in affected.Ranges)
            {
                if (range.Type is not ("SEMVER" or "ECOSYSTEM" or "GIT"))
                    throw new OsvFormatException($"{source}: {record.Id}: unknown range type '{range.Type}'");
                if (range.Events.Count == 0)
                    throw new OsvFormatException($"{source}: {record.Id}: a range without events");
            }
        }
        return record;
    }

    /// <summary>Records in the wild write <c>"aliases": null</c> and the like; treat null lists as empty.</summary>
    private static OsvRecord WithoutNulls(OsvRecord r) => r with
    {
        Aliases = r.Aliases ?? [],
        Related = r.Related ?? [],
        Upstream = r.Upstream ?? [],
        Severity = r.Severity ?? [],
        References = r.References ?? [],
        Credits = r.Credits ?? [],
        Affected = (r.Affected ?? []).Select(a => a with
        {
            Severity = a.Severity ?? [],
            Versions = a.Versions ?? [],
            Ranges = (a.Ranges ?? []).Select(x => x with { Events = x.Events ?? [] }).ToList(),
        }).ToList(),
    };

    private static string FirstLine(string s) => s.Split('\n')[0];
}

public sealed class OsvFormatException(string message) : Exception(message);
