using System.Text.Json;

namespace ZeroDrift.Misconfig.Iac.Terraform;

/// <summary>
/// Terraform's JSON configuration syntax (<c>*.tf.json</c>) read into the same syntax tree as native HCL: top-level
/// <c>resource</c>/<c>data</c> (type, then name), <c>module</c>/<c>variable</c>/<c>output</c>/<c>provider</c> (name) and
/// <c>locals</c>; strings holding <c>${…}</c> are templates, as Terraform reads them. Without the providers' schemas a
/// nested block cannot be told from an object attribute, so both become an object (or a list of objects), which is
/// how the checks read nested blocks anyway. JSON carries no line per value: a block's line is where its name is
/// first written after its type, every attribute takes its block's line.
/// </summary>
public static class TerraformJson
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static bool IsJsonFile(string path) => path.EndsWith(".tf.json", StringComparison.OrdinalIgnoreCase);

    public static HclBody Parse(string text, int maxDepth)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = maxDepth, CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new HclException($"not valid JSON: {e.Message}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new HclException("a Terraform JSON file is an object");
            var blocks = new List<HclBlock>();
            var lines = new LineFinder(text);
            foreach (var top in doc.RootElement.EnumerateObject())
            {
                foreach (var content in Items(top.Value))
                    switch (top.Name)
                    {
                        case "resource" or "data":
                            foreach (var type in content.EnumerateObject())
                                foreach (var named in Items(type.Value))
                                    foreach (var name in named.EnumerateObject())
                                    {
                                        var line = lines.After(type.Name, name.Name);
                                        foreach (var body in Items(name.Value)) blocks.Add(new HclBlock(top.Name, [type.Name, name.Name], Body(body, line), line));
                                    }
                            break;
                        case "module" or "variable" or "output" or "provider":
                            foreach (var name in content.EnumerateObject())
                            {
                                var line = lines.After(top.Name, name.Name);
                                foreach (var body in Items(name.Value)) blocks.Add(new HclBlock(top.Name, [name.Name], Body(body, line), line));
                            }
                            break;
                        case "locals":
                        {
                            var line = lines.After("locals", null);
                            blocks.Add(new HclBlock("locals", [], Body(content, line), line));
                            break;
                        }
                    }
            }
            return new HclBody([], blocks);
        }
    }

    /// <summary>A JSON block value may be one object or an array of them (repeated blocks).</summary>
    private static IEnumerable<JsonElement> Items(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => [e],
        JsonValueKind.Array => e.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Object).ToList(),
        _ => [],
    };

    private static HclBody Body(JsonElement obj, int line) =>
        obj.ValueKind != JsonValueKind.Object ? new HclBody([], [])
            : new HclBody([.. obj.EnumerateObject().Where(p => p.Name != "//").Select(p => new HclAttribute(p.Name, Expr(p.Value, line), line))], []);

    private static HclExpr Expr(JsonElement e, int line) => e.ValueKind switch
    {
        JsonValueKind.String => String(e.GetString()!, line),
        JsonValueKind.Number => e.TryGetInt64(out var n) ? new HclLiteral(line, n) : new HclLiteral(line, e.GetDouble()),
        JsonValueKind.True => new HclLiteral(line, true),
        JsonValueKind.False => new HclLiteral(line, false),
        JsonValueKind.Array => new HclTuple(line, [.. e.EnumerateArray().Select(x => Expr(x, line))]),
        JsonValueKind.Object => new HclObject(line, [.. e.EnumerateObject().Select(p => ((HclExpr)new HclLiteral(line, p.Name), Expr(p.Value, line)))]),
        _ => new HclLiteral(line, null),
    };

    /// <summary>A JSON string is a template: <c>"${var.x}"</c> is the variable, <c>"a-${var.x}"</c> text.</summary>
    private static HclExpr String(string s, int line)
    {
        if (!s.Contains("${", StringComparison.Ordinal) && !s.Contains("%{", StringComparison.Ordinal)) return new HclLiteral(line, s);
        // HCL's quoted strings take the same escapes as JSON's.
        var attribute = HclParser.ParseFile("v = " + JsonSerializer.Serialize(s, Relaxed)).Attributes[0];
        return attribute.Value;
    }

    /// <summary>Lines of names in the text, searched forward so that repeated names resolve in order.</summary>
    private sealed class LineFinder(string text)
    {
        public int After(string first, string? second)
        {
            var at = text.IndexOf('"' + first + '"', StringComparison.Ordinal);
            if (at >= 0 && second is not null)
            {
                var next = text.IndexOf('"' + second + '"', at, StringComparison.Ordinal);
                if (next >= 0) at = next;
            }
            return at < 0 ? 1 : 1 + text.AsSpan(0, at).Count('\n');
        }
    }
}
