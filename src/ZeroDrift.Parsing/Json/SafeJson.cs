using System.Text.Json;
using ZeroDrift.Core.Budgets;
using ZeroDrift.Parsing.Streams;

namespace ZeroDrift.Parsing.Json;

/// <summary>
/// JSON from a target or a user within a <see cref="ParseBudget"/>: nesting bounded by the reader itself, bytes and
/// time charged as the stream is read. Parsing straight from the stream keeps one UTF-8 copy of the file in memory
/// (parsing text first costs the file twice over as UTF-16, then once more as UTF-8).
/// </summary>
public static class SafeJson
{
    /// <summary>Package-manager JSON is written by hand too: comments are skipped and trailing commas accepted.</summary>
    public static JsonDocumentOptions DocumentOptions(ParseBudget budget) => new()
    {
        MaxDepth = budget.MaxDepth,
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static JsonReaderOptions ReaderOptions(ParseBudget budget) => new()
    {
        MaxDepth = budget.MaxDepth,
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The whole document. Malformed JSON is a <see cref="JsonException"/>; a limit, <see cref="BudgetExceededException"/>.</summary>
    public static JsonDocument Parse(Stream stream, ParseBudget budget, string what)
    {
        var meter = budget.Start(what, "JSON values");
        return JsonDocument.Parse(new MeteredStream(stream, meter), DocumentOptions(budget));
    }
}
