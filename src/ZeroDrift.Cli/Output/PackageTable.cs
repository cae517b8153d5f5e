using Spectre.Console;
using ZeroDrift.Core;

namespace ZeroDrift.Cli.Output;

/// <summary>The package table: a Spectre table on a terminal, aligned plain columns otherwise.</summary>
public static class PackageTable
{
    public static void Write(Inventory.Inventory inventory, TextWriter output, bool rich)
    {
        var rows = inventory.Packages
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Version, StringComparer.Ordinal)
            .Select(p => new[] { p.Name, p.Version, p.Ecosystem.DisplayName(), Where(p) })
            .ToList();
        string[] headers = ["NAME", "VERSION", "TYPE", "LOCATION"];
        if (rich)
        {
            var table = new Table().Border(TableBorder.Rounded);
            foreach (var h in headers) table.AddColumn(h);
            foreach (var row in rows) table.AddRow(row.Select(Markup.Escape).ToArray());
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
            console.Write(table);
            console.MarkupLine($"[grey]{inventory.Packages.Count} packages in {Markup.Escape(inventory.Target)}{(inventory.Distro is { } d ? $" ({Markup.Escape(d.PrettyName ?? d.ToString())})" : "")}[/]");
            return;
        }
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine(Line(headers, widths));
        foreach (var row in rows) output.WriteLine(Line(row, widths));
    }

    private static string Where(Package p)
    {
        if (p.Locations.Count == 0) return "";
        var l = p.Locations[0];
        return l.Layer is null ? l.Path : $"{l.Path} (layer {l.Layer.Index})";
    }

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
}
