using ZeroDrift.Core;

namespace ZeroDrift.Cli.Output;

/// <summary>The package table of <c>zerodrift sbom</c>.</summary>
public static class PackageTable
{
    public static void Write(Inventory.Inventory inventory, TextWriter output, bool rich)
    {
        var rows = inventory.Packages
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Version, StringComparer.Ordinal)
            .Select(p => new[] { p.Name, p.Version, p.Ecosystem.DisplayName(), Vulnerabilities.Reporting.ReportText.Location(p) })
            .ToList();
        var footer = rich
            ? $"{inventory.Packages.Count} packages in {inventory.Target}{(inventory.Distro is { } d ? $" ({d.PrettyName ?? d.ToString()})" : "")}"
            : null;
        TextTable.Write(output, rich, ["NAME", "VERSION", "TYPE", "LOCATION"], rows, footer);
    }
}
