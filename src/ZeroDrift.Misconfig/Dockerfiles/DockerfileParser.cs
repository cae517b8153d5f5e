using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ZeroDrift.Misconfig.Dockerfiles;

/// <summary>A here-document of a RUN, COPY or ADD (<c>&lt;&lt;EOF</c> … <c>EOF</c>).</summary>
public sealed record Heredoc(string Delimiter, bool StripTabs, int FirstLine, IReadOnlyList<string> Lines);

/// <summary>
/// One Dockerfile instruction as BuildKit reads it: continuation lines joined (comment and empty lines inside
/// removed), flags split off, the JSON (exec) form recognized, here-documents attached. <see cref="Text"/> is the
/// arguments followed by the here-document bodies; <see cref="PositionOf"/> maps an offset in it back to the
/// physical line and column.
/// </summary>
public sealed record DockerInstruction
{
    public required string Keyword { get; init; }
    public required int Line { get; init; }
    public required int Column { get; init; }
    public required string Arguments { get; init; }
    public IReadOnlyList<string> Flags { get; init; } = [];
    public IReadOnlyList<string>? JsonArgs { get; init; }
    public IReadOnlyList<Heredoc> Heredocs { get; init; } = [];
    public required string Text { get; init; }
    internal IReadOnlyList<(int Offset, int Line, int Column)> Segments { get; init; } = [];

    public bool IsJsonForm => JsonArgs is not null;

    /// <summary>The flag's value (<c>--from=build</c> gives <c>build</c> for <c>from</c>), or null.</summary>
    public string? Flag(string name)
    {
        foreach (var f in Flags)
        {
            if (f.StartsWith("--" + name + "=", StringComparison.OrdinalIgnoreCase)) return f[(name.Length + 3)..];
            if (f.Equals("--" + name, StringComparison.OrdinalIgnoreCase)) return "";
        }
        return null;
    }

    public (int Line, int Column) PositionOf(int offset)
    {
        var seg = Segments[0];
        foreach (var s in Segments)
        {
            if (s.Offset > offset) break;
            seg = s;
        }
        return (seg.Line, seg.Column + (offset - seg.Offset));
    }
}

public sealed record Dockerfile(IReadOnlyDictionary<string, string> Directives, char Escape, IReadOnlyList<DockerInstruction> Instructions);

/// <summary>Parses Dockerfiles the way BuildKit's front end does, keeping line numbers.</summary>
public static partial class DockerfileParser
{
    public const int MaxInstructions = 100_000;
    private static readonly HashSet<string> KnownDirectives = new(StringComparer.OrdinalIgnoreCase) { "syntax", "escape", "check" };
    private static readonly HashSet<string> HeredocInstructions = new(StringComparer.OrdinalIgnoreCase) { "RUN", "COPY", "ADD" };

    [GeneratedRegex(@"^#[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*(.*?)[ \t]*$")]
    private static partial Regex Directive();

    [GeneratedRegex(@"<<(-?)([""']?)([A-Za-z_][A-Za-z0-9_.-]*)\2")]
    private static partial Regex HeredocMarker();

    [GeneratedRegex(@"^[A-Za-z]+$")]
    private static partial Regex Word();

    /// <exception cref="FormatException">The text is not a Dockerfile (an instruction keyword is not a word, or a limit is passed).</exception>
    public static Dockerfile Parse(string source)
    {
        var lines = source.Split('\n').Select(l => l.EndsWith('\r') ? l[..^1] : l).ToArray();
        var directives = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        // Parser directives: only at the very top, before any comment, blank line or instruction.
        for (; i < lines.Length; i++)
        {
            var line = i == 0 ? lines[i].TrimStart('\uFEFF') : lines[i];
            var m = Directive().Match(line);
            if (!m.Success || !KnownDirectives.Contains(m.Groups[1].Value) || directives.ContainsKey(m.Groups[1].Value)) break;
            directives[m.Groups[1].Value] = m.Groups[2].Value;
        }
        var escape = directives.TryGetValue("escape", out var e) ? e switch
        {
            "`" => '`',
            "\\" => '\\',
            _ => throw new FormatException($"invalid escape directive '{e}': only \\ and ` are allowed"),
        } : '\\';

        var instructions = new List<DockerInstruction>();
        while (i < lines.Length)
        {
            var first = lines[i];
            var trimmed = first.TrimStart();
            if (trimmed.Length == 0 || trimmed[0] == '#') { i++; continue; }

            var startLine = i + 1;
            var indent = first.Length - trimmed.Length;
            var sb = new StringBuilder();
            var segments = new List<(int, int, int)>();
            var current = trimmed;
            var currentColumn = indent + 1;
            var lineIndex = i;
            while (true)
            {
                var (body, continues) = Continuation(current, escape);
                segments.Add((sb.Length, lineIndex + 1, currentColumn));
                sb.Append(body);
                i = lineIndex + 1;
                if (!continues) break;
                // Comment and empty lines inside a continued instruction are dropped.
                while (i < lines.Length && (lines[i].TrimStart().StartsWith('#') || lines[i].Trim().Length == 0)) i++;
                if (i >= lines.Length) break;
                lineIndex = i;
                current = lines[i];
                currentColumn = 1;
            }

            var joined = sb.ToString();
            var keywordLength = 0;
            while (keywordLength < joined.Length && !char.IsWhiteSpace(joined[keywordLength])) keywordLength++;
            var keyword = joined[..keywordLength];
            if (!Word().IsMatch(keyword)) throw new FormatException($"line {startLine}: '{Truncate(keyword)}' is not a Dockerfile instruction");
            var argStart = keywordLength;
            while (argStart < joined.Length && char.IsWhiteSpace(joined[argStart])) argStart++;
            var args = joined[argStart..];

            var flags = new List<string>();
            var rest = args;
            var restOffset = argStart;
            while (rest.StartsWith("--", StringComparison.Ordinal))
            {
                var end = rest.IndexOfAny([' ', '\t']);
                flags.Add(end < 0 ? rest : rest[..end]);
                var skip = end < 0 ? rest.Length : end;
                while (skip < rest.Length && char.IsWhiteSpace(rest[skip])) skip++;
                rest = rest[skip..];
                restOffset += skip;
            }

            IReadOnlyList<string>? json = null;
            if (rest.StartsWith('['))
            {
                try
                {
                    json = JsonSerializer.Deserialize<string[]>(rest);
                }
                catch (JsonException)
                {
                    // Not valid JSON: BuildKit then treats the arguments as shell form.
                }
            }

            var heredocs = new List<Heredoc>();
            var text = new StringBuilder(rest);
            var textSegments = new List<(int Offset, int Line, int Column)>();
            foreach (var (off, line, column) in segments)
            {
                // The arguments start inside the last physical segment that begins at or before them.
                var relative = off - restOffset;
                if (relative <= 0) { textSegments.Clear(); textSegments.Add((0, line, column - relative)); }
                else textSegments.Add((relative, line, column));
            }
            if (json is null && HeredocInstructions.Contains(keyword))
            {
                foreach (Match m in HeredocMarker().Matches(rest))
                {
                    var delimiter = m.Groups[3].Value;
                    var strip = m.Groups[1].Value == "-";
                    var bodyLines = new List<string>();
                    var bodyStart = i + 1;
                    while (i < lines.Length)
                    {
                        var candidate = strip ? lines[i].TrimStart('\t') : lines[i];
                        i++;
                        if (candidate == delimiter) break;
                        if (bodyLines.Count == 0) text.Append('\n');
                        textSegments.Add((text.Length, i, 1));
                        text.Append(candidate).Append('\n');
                        bodyLines.Add(candidate);
                    }
                    heredocs.Add(new Heredoc(delimiter, strip, bodyStart, bodyLines));
                }
            }

            instructions.Add(new DockerInstruction
            {
                Keyword = keyword.ToUpperInvariant(),
                Line = startLine,
                Column = indent + 1,
                Arguments = rest,
                Flags = flags,
                JsonArgs = json,
                Heredocs = heredocs,
                Text = text.ToString(),
                Segments = textSegments,
            });
            if (instructions.Count > MaxInstructions) throw new FormatException($"more than {MaxInstructions} instructions");
        }
        return new Dockerfile(directives, escape, instructions);
    }

    /// <summary>Splits a trailing escape character (the line continues) from a physical line.</summary>
    private static (string Body, bool Continues) Continuation(string line, char escape)
    {
        var t = line.TrimEnd(' ', '\t');
        return t.Length > 0 && t[^1] == escape ? (t[..^1], true) : (line, false);
    }

    private static string Truncate(string s) => s.Length > 40 ? s[..40] + "…" : s;

    /// <summary>Splits shell-form words, honouring quotes and the escape character (for ENV, ARG, FROM, EXPOSE, USER).</summary>
    public static List<string> Words(string s, char escape = '\\')
    {
        var words = new List<string>();
        var sb = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        for (var k = 0; k < s.Length; k++)
        {
            var c = s[k];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else if (c == escape && quote == '"' && k + 1 < s.Length) sb.Append(s[++k]);
                else sb.Append(c);
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                if (inWord) { words.Add(sb.ToString()); sb.Clear(); inWord = false; }
                continue;
            }
            inWord = true;
            if (c is '"' or '\'') quote = c;
            else if (c == escape && k + 1 < s.Length) sb.Append(s[++k]);
            else sb.Append(c);
        }
        if (inWord) words.Add(sb.ToString());
        return words;
    }
}
