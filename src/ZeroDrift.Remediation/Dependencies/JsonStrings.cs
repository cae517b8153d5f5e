using System.Text;
using System.Text.Json;

namespace ZeroDrift.Remediation.Dependencies;

/// <summary>A string value in a JSON document: its property path, value and character span (quotes included).</summary>
internal sealed record JsonString(IReadOnlyList<string> Path, string Value, int Start, int Length, int PropertyStart);

/// <summary>
/// Every string value of a JSON document with its path and position, read with <see cref="Utf8JsonReader"/>
/// (bounded depth, comments refused) so an edit can replace exactly the token and leave the formatting alone.
/// </summary>
internal static class JsonStrings
{
    public const int MaxDepth = 64;

    public static List<JsonString> Read(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
        var path = new List<string>();
        var arrayIndex = new Stack<int>();
        var containers = new Stack<bool>();
        string? property = null;
        var propertyStart = -1L;
        var found = new List<JsonString>();
        // Byte offsets become character offsets by counting incrementally: tokens only move forward.
        var charAt = 0;
        var byteAt = 0;
        int Chars(long bytePosition)
        {
            charAt += Encoding.UTF8.GetCharCount(bytes, byteAt, (int)bytePosition - byteAt);
            byteAt = (int)bytePosition;
            return charAt;
        }

        string? Key()
        {
            if (containers.Count == 0) return null;
            if (containers.Peek())
            {
                var i = arrayIndex.Pop();
                arrayIndex.Push(i + 1);
                return i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            return property;
        }

        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    property = reader.GetString();
                    propertyStart = reader.TokenStartIndex;
                    break;
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                {
                    var key = Key();
                    if (key is not null) path.Add(key);
                    containers.Push(reader.TokenType == JsonTokenType.StartArray);
                    if (reader.TokenType == JsonTokenType.StartArray) arrayIndex.Push(0);
                    break;
                }
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    if (containers.Pop()) arrayIndex.Pop();
                    if (path.Count > 0 && containers.Count > 0) path.RemoveAt(path.Count - 1);
                    break;
                case JsonTokenType.String:
                {
                    var key = Key();
                    var start = reader.TokenStartIndex;
                    var end = start + reader.ValueSpan.Length + 2;
                    var propStart = containers.Peek() ? -1 : Chars(propertyStart);
                    var s = Chars(start);
                    var e = Chars(end);
                    found.Add(new JsonString([.. path, key ?? ""], reader.GetString() ?? "", s, e - s, propStart));
                    break;
                }
                default:
                    Key();
                    break;
            }
        }
        return found;
    }

    /// <summary>A JSON string literal for a value that holds no quote or backslash (versions, URLs).</summary>
    public static string Quote(string value) => JsonSerializer.Serialize(value);

    /// <summary>Removes a "key": "value" member on its own line, and the comma before it when it was the object's last.</summary>
    internal static void RemoveMember(TextEdits edits, string text, JsonString s)
    {
        var lineStart = text.LastIndexOf('\n', Math.Max(0, s.PropertyStart - 1)) + 1;
        var after = s.Start + s.Length;
        var next = after;
        while (next < text.Length && char.IsWhiteSpace(text[next])) next++;
        if (next < text.Length && text[next] == ',')
        {
            var end = text.IndexOf('\n', next);
            edits.Replace(lineStart, (end < 0 ? text.Length : end + 1) - lineStart, "");
            return;
        }
        // The last member: drop from the end of the previous value (its comma included) to the end of this one.
        var prev = lineStart - 1;
        while (prev >= 0 && char.IsWhiteSpace(text[prev])) prev--;
        if (prev >= 0 && text[prev] == ',') edits.Replace(prev, after - prev, "");
    }
}
