using System.Text;
using System.Text.Json;

namespace ZeroDrift.Supply.Tuf;

/// <summary>
/// OLPC canonical JSON, what TUF signs (securesystemslib's encode_canonical, go-tuf's cjson): object keys sorted by
/// code point, no whitespace, strings escaping only <c>\</c> and <c>"</c>, integers only.
/// </summary>
public static class CanonicalJson
{
    public static byte[] Encode(JsonElement element)
    {
        var builder = new StringBuilder();
        Write(element, builder);
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private static void Write(JsonElement e, StringBuilder s)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                s.Append('{');
                var first = true;
                foreach (var p in e.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    if (!first) s.Append(',');
                    first = false;
                    String(p.Name, s);
                    s.Append(':');
                    Write(p.Value, s);
                }
                s.Append('}');
                break;
            case JsonValueKind.Array:
                s.Append('[');
                var firstItem = true;
                foreach (var item in e.EnumerateArray())
                {
                    if (!firstItem) s.Append(',');
                    firstItem = false;
                    Write(item, s);
                }
                s.Append(']');
                break;
            case JsonValueKind.String: String(e.GetString()!, s); break;
            case JsonValueKind.Number:
                if (!e.TryGetInt64(out var n)) throw new SupplyException("TUF metadata: a number that is not an integer cannot be canonicalized");
                s.Append(n.ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case JsonValueKind.True: s.Append("true"); break;
            case JsonValueKind.False: s.Append("false"); break;
            default: s.Append("null"); break;
        }
    }

    private static void String(string value, StringBuilder s)
    {
        s.Append('"');
        foreach (var c in value)
        {
            if (c is '\\' or '"') s.Append('\\');
            s.Append(c);
        }
        s.Append('"');
    }
}
