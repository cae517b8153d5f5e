using Spectre.Console;

namespace ZeroDrift.Cli.Output;

/// <summary>A table of text: drawn by Spectre.Console on a terminal, aligned plain columns otherwise (for grep and awk).</summary>
public static class TextTable
{
    public static void Write(TextWriter output, bool rich, string[] headers, IReadOnlyList<string[]> rows, string? footer)
    {
        if (rich)
        {
            var table = new Table().Border(TableBorder.Rounded);
            foreach (var h in headers) table.AddColumn(h);
            foreach (var row in rows) table.AddRow(row.Select(Markup.Escape).ToArray());
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
            console.Write(table);
            if (footer is not null) console.MarkupLine($"[grey]{Markup.Escape(footer)}[/]");
            return;
        }
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine(Line(headers, widths));
        foreach (var row in rows) output.WriteLine(Line(row, widths));
        if (footer is not null) output.WriteLine(footer);
    }

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
}
