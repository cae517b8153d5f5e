using System.Text.Json;
using ZeroDrift.Vulnerabilities.Matching;

namespace ZeroDrift.Vulnerabilities.Suppression;

/// <summary>
/// An OpenVEX document (https://github.com/openvex/spec): statements whose status is <c>not_affected</c> or
/// <c>fixed</c> suppress the vulnerability for the products (and subcomponents) they name. Products and
/// subcomponents are matched by purl; a product that is not a package purl (the image itself) covers every
/// package unless subcomponents narrow it.
/// </summary>
public sealed class OpenVexDocument : ISuppressionRule
{
    private sealed record Statement(IReadOnlyList<string> Vulnerabilities, IReadOnlyList<string> Products, IReadOnlyList<string> Subcomponents, string Status, string? Justification);

    private readonly string _path;
    private readonly List<Statement> _statements;

    private OpenVexDocument(string path, List<Statement> statements)
    {
        _path = path;
        _statements = statements;
    }

    /// <summary>Largest VEX document read (its size from stat, before reading).</summary>
    public const long MaxBytes = 16 << 20;

    public static OpenVexDocument Parse(string path, string json)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException e) { throw new FormatException($"{path}: not valid JSON ({e.Message.Split('\n')[0]})"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("@context", out var context) || context.GetString()?.StartsWith("https://openvex.dev/ns", StringComparison.Ordinal) != true)
                throw new FormatException($"{path}: not an OpenVEX document (no https://openvex.dev/ns @context)");
            if (!root.TryGetProperty("statements", out var statements) || statements.ValueKind != JsonValueKind.Array)
                throw new FormatException($"{path}: OpenVEX document without statements");
            var list = new List<Statement>();
            var index = 0;
            foreach (var s in statements.EnumerateArray())
            {
                index++;
                var status = s.TryGetProperty("status", out var st) ? st.GetString() : null;
                if (status is not ("not_affected" or "affected" or "fixed" or "under_investigation"))
                    throw new FormatException($"{path}: statement {index}: unknown status '{status}'");
                var vulns = Names(s, "vulnerability", index, path);
                var products = s.TryGetProperty("products", out var p) ? Ids(p).ToList() : [];
                var subcomponents = s.TryGetProperty("products", out var p2) && p2.ValueKind == JsonValueKind.Array
                    ? p2.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Object && x.TryGetProperty("subcomponents", out _))
                        .SelectMany(x => Ids(x.GetProperty("subcomponents"))).ToList()
                    : [];
                var justification = s.TryGetProperty("justification", out var j) ? j.GetString() : null;
                var impact = s.TryGetProperty("impact_statement", out var im) ? im.GetString() : null;
                list.Add(new Statement(vulns, products, subcomponents, status, justification is null ? impact : impact is null ? justification : $"{justification}: {impact}"));
            }
            return new OpenVexDocument(path, list);
        }
    }

    /// <summary>v0.2 names the vulnerability as an object (name, @id, aliases); v0.0.1 as a string.</summary>
    private static List<string> Names(JsonElement s, string property, int index, string path)
    {
        if (!s.TryGetProperty(property, out var v)) throw new FormatException($"{path}: statement {index}: no vulnerability");
        if (v.ValueKind == JsonValueKind.String) return [v.GetString()!];
        var names = new List<string>();
        if (v.TryGetProperty("name", out var n) && n.GetString() is { } name) names.Add(name);
        if (v.TryGetProperty("@id", out var id) && id.GetString() is { } i) names.Add(i);
        if (v.TryGetProperty("aliases", out var a) && a.ValueKind == JsonValueKind.Array) names.AddRange(a.EnumerateArray().Select(x => x.GetString()!).Where(x => x is not null));
        return names;
    }

    private static IEnumerable<string> Ids(JsonElement list) =>
        list.ValueKind != JsonValueKind.Array ? [] : list.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : x.TryGetProperty("@id", out var id) ? id.GetString() : null)
            .Where(x => x is not null).Select(x => x!);

    public SuppressionReason? Suppresses(VulnerabilityFinding finding)
    {
        // The last statement about a vulnerability and product wins, as VEX documents are read in order.
        SuppressionReason? result = null;
        foreach (var s in _statements)
        {
            if (!s.Vulnerabilities.Any(v => finding.Ids.Contains(v, StringComparer.OrdinalIgnoreCase))) continue;
            if (!Applies(s, finding)) continue;
            result = s.Status is "not_affected" or "fixed" ? new SuppressionReason(_path, s.Status, s.Justification) : null;
        }
        return result;
    }

    private static bool Applies(Statement s, VulnerabilityFinding finding)
    {
        var purl = finding.Package.Purl;
        if (s.Subcomponents.Count > 0) return s.Subcomponents.Any(c => PurlMatch.Covers(c, purl));
        var packageProducts = s.Products.Where(p => p.StartsWith("pkg:", StringComparison.Ordinal) && !p.StartsWith("pkg:oci/", StringComparison.Ordinal)).ToList();
        return packageProducts.Count == 0 || packageProducts.Any(p => PurlMatch.Covers(p, purl));
    }
}
