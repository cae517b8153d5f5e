using System.CommandLine;
using Spectre.Console;
using ZeroDrift.Artifacts.Images.Layers;
using ZeroDrift.Cli.Output;
using ZeroDrift.Inventory;
using ZeroDrift.Inventory.Sbom;

namespace ZeroDrift.Cli.Commands;

/// <summary><c>zerodrift sbom TARGET</c>: the package inventory of a directory or image, as a table or an SBOM.</summary>
public static class SbomCommand
{
    public static Command Create()
    {
        var target = new TargetOptionsBinder();
        var format = new Option<SbomFormat>("--format", "-o")
        {
            Description = "Output format: table, json, cyclonedx (1.6 JSON) or spdx (2.3 JSON)",
            DefaultValueFactory = _ => SbomFormat.Table,
            CustomParser = r => ParseFormat(r.Tokens.Count == 0 ? "table" : r.Tokens[0].Value, r),
        };
        var output = new Option<FileInfo?>("--output", "-f") { Description = "Write the report to this file instead of standard output" };
        var command = new Command("sbom", "List the packages in a directory or container image (SBOM)");
        target.AddTo(command);
        command.Options.Add(format);
        command.Options.Add(output);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, async token =>
        {
            var inventory = await target.InventoryAsync(parse, token).ConfigureAwait(false);
            foreach (var warning in inventory.Warnings) Terminal.Warn(warning);
            await WriteAsync(inventory, parse.GetValue(format), parse.GetValue(output)).ConfigureAwait(false);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static SbomFormat ParseFormat(string value, System.CommandLine.Parsing.ArgumentResult result)
    {
        switch (value.ToLowerInvariant())
        {
            case "table": return SbomFormat.Table;
            case "json": return SbomFormat.Json;
            case "cyclonedx" or "cyclonedx-json" or "cdx": return SbomFormat.CycloneDx;
            case "spdx" or "spdx-json": return SbomFormat.Spdx;
            default:
                result.AddError($"unknown format '{value}' (table, json, cyclonedx, spdx)");
                return SbomFormat.Table;
        }
    }

    private static Task WriteAsync(Inventory.Inventory inventory, SbomFormat format, FileInfo? output) =>
        format == SbomFormat.Table
            ? ReportOutput.WriteTableAsync(output, (writer, rich) => PackageTable.Write(inventory, writer, rich))
            : ReportOutput.WriteDocumentAsync(output, stream => InventoryWriters.For(format).Write(inventory, stream));
}
