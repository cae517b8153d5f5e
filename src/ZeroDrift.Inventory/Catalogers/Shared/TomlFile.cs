using Tomlyn;
using Tomlyn.Model;

namespace ZeroDrift.Inventory.Catalogers.Shared;

/// <summary>Lockfiles in TOML (poetry.lock, uv.lock, Cargo.lock) read as an untyped table, with bounded nesting.</summary>
internal static class TomlFile
{
    public static TomlTable Parse(string text, string path, int maxDepth)
    {
        try
        {
            return TomlSerializer.Deserialize<TomlTable>(text, new TomlSerializerOptions { MaxDepth = maxDepth })
                ?? throw new FormatException($"{path}: empty TOML document");
        }
        catch (TomlException e)
        {
            throw new FormatException($"invalid TOML: {e.Message.Split('\n')[0]}", e);
        }
    }

    public static string? String(this TomlTable table, string key) =>
        table.TryGetValue(key, out var v) && v is string s ? s : null;

    public static TomlTable? Table(this TomlTable table, string key) =>
        table.TryGetValue(key, out var v) ? v as TomlTable : null;

    /// <summary>An array of tables, whether written <c>[[key]]</c> or inline <c>key = [{…}]</c>.</summary>
    public static IEnumerable<TomlTable> Tables(this TomlTable table, string key) => table.TryGetValue(key, out var v)
        ? v switch
        {
            TomlTableArray array => array.OfType<TomlTable>(),
            TomlArray array => array.OfType<TomlTable>(),
            _ => [],
        }
        : [];

    public static IEnumerable<string> Strings(this TomlTable table, string key) =>
        table.TryGetValue(key, out var v) && v is TomlArray array ? array.OfType<string>() : [];
}
