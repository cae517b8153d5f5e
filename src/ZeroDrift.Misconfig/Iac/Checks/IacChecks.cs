using ZeroDrift.Core.Findings;

namespace ZeroDrift.Misconfig.Iac.Checks;

/// <summary>Every built-in infrastructure check (AWS, Azure, GCP), by id.</summary>
public static class IacChecks
{
    public static IReadOnlyList<IacCheck> All { get; } = [.. AwsChecks.All(), .. AzureChecks.All(), .. GcpChecks.All()];

    private static readonly Dictionary<string, IacCheck> ById = All.ToDictionary(c => c.Rule.Id, StringComparer.Ordinal);

    private static readonly Dictionary<string, List<IacCheck>> ByType = All
        .SelectMany(c => c.ByType.Keys.Select(t => (Type: t, Check: c)))
        .GroupBy(x => x.Type, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Select(x => x.Check).ToList(), StringComparer.Ordinal);

    public static IEnumerable<RuleDescriptor> Rules => All.Select(c => c.Rule);

    public static IacCheck? Get(string id) => ById.GetValueOrDefault(id);

    /// <summary>The checks that judge a resource type.</summary>
    public static IReadOnlyList<IacCheck> For(string type) => ByType.TryGetValue(type, out var list) ? list : [];
}
