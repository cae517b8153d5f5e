using System.Text.Json.Nodes;

namespace ZeroDrift.Remediation.Images;

/// <summary>What the rescan of the patched image showed: the findings the patch claimed to close, and whether any remain or appeared.</summary>
public sealed record RescanCheck(
    IReadOnlyList<(string Package, string Id)> Closed,
    IReadOnlyList<(string Package, string Id)> StillThere,
    IReadOnlyList<(string Package, string Id)> New)
{
    public bool Passed => StillThere.Count == 0 && New.Count == 0;

    /// <summary>Compares the findings before and after (package name, advisory id) against what the upgrades claim.</summary>
    public static RescanCheck Compare(IReadOnlyCollection<(string Package, string Id)> before, IReadOnlyCollection<(string Package, string Id)> after, PatchResult patch)
    {
        var claimed = patch.Upgrades.SelectMany(u => u.Advisories.Select(a => (u.Package.Name, a))).ToHashSet();
        var afterSet = after.ToHashSet();
        var beforeSet = before.ToHashSet();
        return new RescanCheck(
            claimed.Where(c => !afterSet.Contains(c)).OrderBy(c => c.Name, StringComparer.Ordinal).ThenBy(c => c.a, StringComparer.Ordinal).ToList(),
            claimed.Where(afterSet.Contains).ToList(),
            afterSet.Where(a => !beforeSet.Contains(a)).ToList());
    }
}

/// <summary>The patch as JSON (<c>zerodrift fix --format json</c>) and as the in-toto predicate attached to the patched image.</summary>
public static class PatchReport
{
    public const string PredicateType = "https://zerodrift.dev/patch/v1";

    public static JsonObject Json(PatchResult result, RescanCheck rescan, string? published)
    {
        var json = Predicate(result, rescan);
        json["published"] = published;
        json["elapsedSeconds"] = Math.Round(result.Elapsed.TotalSeconds, 3);
        json["unfixable"] = new JsonArray(result.Unfixable.Select(u => (JsonNode)new JsonObject
        {
            ["package"] = u.Name, ["installed"] = u.InstalledVersion, ["fixedIn"] = u.FixedIn, ["reason"] = u.Reason,
        }).ToArray());
        json["warnings"] = new JsonArray(result.Warnings.Select(w => (JsonNode)w).ToArray());
        json["rescan"] = new JsonObject
        {
            ["passed"] = rescan.Passed,
            ["stillPresent"] = Pairs(rescan.StillThere),
            ["new"] = Pairs(rescan.New),
        };
        return json;
    }

    /// <summary>The attested facts: the image it was made from, the packages changed and from which repository, the advisories closed (as the rescan confirmed).</summary>
    public static JsonObject Predicate(PatchResult result, RescanCheck rescan) => new()
    {
        ["original"] = new JsonObject { ["reference"] = result.Image, ["digest"] = result.OriginalManifestDigest },
        ["patched"] = new JsonObject { ["digest"] = result.Patched.ManifestDigest, ["layer"] = result.Patched.LayerDigest, ["diffId"] = result.Patched.LayerDiffId },
        ["repositories"] = new JsonArray(result.Repositories.Select(r => (JsonNode)r).ToArray()),
        ["packages"] = new JsonArray(result.Upgrades.Select(u => (JsonNode)new JsonObject
        {
            ["name"] = u.Package.Name,
            ["from"] = u.FromVersion,
            ["to"] = u.Package.Version,
            ["architecture"] = u.Package.Architecture,
            ["repository"] = u.Package.Repository.ToString(),
            ["url"] = u.Package.Url.ToString(),
            ["sha256"] = u.Package.Sha256,
            ["reason"] = u.Reason,
            ["advisoriesClosed"] = new JsonArray(rescan.Closed.Where(c => c.Package == u.Package.Name).Select(c => (JsonNode)c.Id).ToArray()),
        }).ToArray()),
        ["advisoriesClosed"] = new JsonArray(rescan.Closed.Select(c => c.Id).Distinct(StringComparer.Ordinal).Select(id => (JsonNode)id).ToArray()),
        ["maintainerScriptsNotRun"] = new JsonArray(result.ScriptsNotRun.Select(s => (JsonNode)$"{s.Package}.{s.Script}").ToArray()),
    };

    private static JsonArray Pairs(IEnumerable<(string Package, string Id)> pairs) =>
        new(pairs.Select(p => (JsonNode)new JsonObject { ["package"] = p.Package, ["id"] = p.Id }).ToArray());
}
