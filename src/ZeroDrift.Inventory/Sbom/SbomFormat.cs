namespace ZeroDrift.Inventory.Sbom;

public enum SbomFormat { Table, Json, CycloneDx, Spdx }

/// <summary>Writes an inventory in one format.</summary>
public interface IInventoryWriter
{
    void Write(Inventory inventory, Stream output);
}

public static class InventoryWriters
{
    public static IInventoryWriter For(SbomFormat format) => format switch
    {
        SbomFormat.Json => new JsonInventoryWriter(),
        SbomFormat.CycloneDx => new CycloneDxWriter(),
        SbomFormat.Spdx => new SpdxWriter(),
        _ => throw new ArgumentOutOfRangeException(nameof(format), "the table is written by the command line, not by a stream writer"),
    };

    /// <summary>Indented, and without escaping '+' or '&amp;' (purls are full of them): these files are not HTML.</summary>
    public static System.Text.Json.JsonWriterOptions JsonOptions { get; } = new()
    {
        Indented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The tool's name and version, as SBOMs credit their creator.</summary>
    public static string ToolVersion =>
        typeof(InventoryWriters).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "0.0.0";
}
