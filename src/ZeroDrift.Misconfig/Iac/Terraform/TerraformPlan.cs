using ZeroDrift.Misconfig.Documents;

namespace ZeroDrift.Misconfig.Iac.Terraform;

/// <summary>
/// <c>terraform show -json</c> output: the resources of <c>planned_values</c> (root module and child modules, with
/// their full addresses), or, when a plan has none, the <c>after</c> values of <c>resource_changes</c> that are not
/// deletions. Values are what Terraform computed; attributes only known after apply are absent, as in the plan.
/// </summary>
public static class TerraformPlan
{
    public static bool MayBe(string text) => text.Contains("\"format_version\"", StringComparison.Ordinal)
        && (text.Contains("\"planned_values\"", StringComparison.Ordinal) || text.Contains("\"resource_changes\"", StringComparison.Ordinal));

    public static bool Is(DocNode? doc) => doc?["format_version"] is not null && (doc["planned_values"] is MapNode || doc["resource_changes"] is SeqNode);

    public static IEnumerable<IacResource> Resources(DocNode doc, string path)
    {
        var output = new List<IacResource>();
        if (doc["planned_values"]?["root_module"] is MapNode root) Module(root, path, output, 0);
        if (output.Count > 0) return output;
        foreach (var change in doc["resource_changes"]?.Items ?? [])
        {
            if (change["change"]?["actions"]?.Items.Any(a => a.Str == "delete") == true && change["change"]?["after"] is not MapNode) continue;
            if (change["change"]?["after"] is MapNode after && change["type"]?.Str is { } type && change["address"]?.Str is { } address)
                output.Add(new IacResource(Type(change, type), address, after, path, change.Start?.Line ?? 0, IacFormat.TerraformPlan));
        }
        return output;
    }

    private static string Type(DocNode r, string type) => r["mode"]?.Str == "data" ? "data." + type : type;

    private static void Module(MapNode module, string path, List<IacResource> output, int depth)
    {
        if (depth > 32) return;
        foreach (var r in module["resources"]?.Items ?? [])
            if (r["type"]?.Str is { } type && r["address"]?.Str is { } address)
                output.Add(new IacResource(Type(r, type), address, r["values"] as MapNode ?? Trees.EmptyMap(r.Start), path, r.Start?.Line ?? 0, IacFormat.TerraformPlan));
        foreach (var child in module["child_modules"]?.Items.OfType<MapNode>() ?? []) Module(child, path, output, depth + 1);
    }
}
