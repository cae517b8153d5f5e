using Tomlyn;
using Tomlyn.Model;
using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Core.Budgets;

namespace ZeroDrift.Inventory.Catalogers.Shared;

/// <summary>Lockfiles in TOML (poetry.lock, uv.lock, Cargo.lock) read as an untyped table, within the scan's budget.</summary>
internal static class TomlFile
{
    public static TomlTable Parse(CatalogContext context, FileEntry entry) => Parse(context.ReadText(entry), entry.Path, context.Budget);

    /// <summary>Text already read within the budget's bytes; Tomlyn's reader bounds the nesting (its parse is linear in the text).</summary>
    public static TomlTable Parse(string text, string path, ParseBudget budget)
    {
        try
        {
            return TomlSerializer.Deserialize<TomlTable>(text, new TomlSerializerOptions { MaxDepth = budget.MaxDepth })
                ?? throw new FormatException($"{path}: empty TOML document");
        }
        catch (TomlException e)
        {
            // Tomlyn's depth message goes on to name its option: what the user can change is --max-nesting.
            var message = e.Message.Split('\n')[0];
            var hint = message.IndexOf(" Change TomlSerializerOptions", StringComparison.Ordinal);
            throw new FormatException($"invalid TOML: {(hint > 0 ? message[..hint] : message)}", e);
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
