using System.Text;

namespace ZeroDrift.Inventory.Catalogers.Go;

/// <summary>
/// A parsed go.mod: the module, its requirements (with <c>// indirect</c>), replacements and exclusions. The grammar is
/// the one cmd/go reads: one directive a line or a parenthesised block of them, "//" comments, and quoted or raw
/// (backquoted) strings for paths.
/// </summary>
public sealed record GoModFile(string? Module, string? GoVersion, string? Toolchain, IReadOnlyList<GoModFile.Requirement> Requires,
    IReadOnlyList<GoModFile.Replacement> Replaces, IReadOnlyList<GoModFile.Exclusion> Excludes)
{
    public sealed record Requirement(string Path, string Version, bool Indirect);

    /// <summary><c>old [version] => new [version]</c>; a new path with no version is a directory.</summary>
    public sealed record Replacement(string OldPath, string? OldVersion, string NewPath, string? NewVersion);

    public sealed record Exclusion(string Path, string Version);

    private const int MaxLines = 1_000_000;

    public static GoModFile Parse(string text)
    {
        string? module = null, go = null, toolchain = null;
        var requires = new List<Requirement>();
        var replaces = new List<Replacement>();
        var excludes = new List<Exclusion>();
        string? block = null;
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            if (++lineNumber > MaxLines) throw new FormatException($"go.mod: more than {MaxLines} lines");
            var (tokens, comment) = Tokenize(raw, lineNumber);
            if (tokens.Count == 0) continue;
            string verb;
            List<string> args;
            if (block is not null)
            {
                if (tokens is [")"]) { block = null; continue; }
                verb = block;
                args = tokens;
            }
            else
            {
                verb = tokens[0];
                args = tokens.GetRange(1, tokens.Count - 1);
                if (args is ["("])
                {
                    block = verb;
                    continue;
                }
            }
            switch (verb)
            {
                case "module":
                    module = Expect(args, 1, verb, lineNumber)[0];
                    break;
                case "go":
                    go = Expect(args, 1, verb, lineNumber)[0];
                    break;
                case "toolchain":
                    toolchain = Expect(args, 1, verb, lineNumber)[0];
                    break;
                case "require":
                    Expect(args, 2, verb, lineNumber);
                    requires.Add(new Requirement(args[0], args[1], IsIndirect(comment)));
                    break;
                case "exclude":
                    Expect(args, 2, verb, lineNumber);
                    excludes.Add(new Exclusion(args[0], args[1]));
                    break;
                case "replace":
                    var arrow = args.IndexOf("=>");
                    if (arrow is not (1 or 2) || args.Count - arrow - 1 is not (1 or 2))
                        throw new FormatException($"go.mod line {lineNumber}: replace expects 'old [version] => new [version]'");
                    replaces.Add(new Replacement(args[0], arrow == 2 ? args[1] : null, args[arrow + 1], args.Count - arrow - 1 == 2 ? args[^1] : null));
                    break;
                default:
                    // retract, godebug, tool, ignore and future directives name no dependency.
                    break;
            }
        }
        if (block is not null) throw new FormatException($"go.mod: unterminated '{block} (' block");
        return new GoModFile(module, go, toolchain, requires, replaces, excludes);
    }

    private static bool IsIndirect(string? comment) =>
        comment is not null && (comment.Trim() == "indirect" || comment.TrimStart().StartsWith("indirect;", StringComparison.Ordinal));

    private static List<string> Expect(List<string> args, int count, string verb, int line) =>
        args.Count == count ? args : throw new FormatException($"go.mod line {line}: {verb} expects {count} argument{(count == 1 ? "" : "s")}, found {args.Count}");

    /// <summary>Splits one line into tokens; returns the text of a trailing "//" comment.</summary>
    private static (List<string> Tokens, string? Comment) Tokenize(string line, int lineNumber)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < line.Length)
        {
            var c = line[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '/' && i + 1 < line.Length && line[i + 1] == '/') return (tokens, line[(i + 2)..]);
            if (c is '(' or ')') { tokens.Add(c.ToString()); i++; continue; }
            if (c == '=' && i + 1 < line.Length && line[i + 1] == '>') { tokens.Add("=>"); i += 2; continue; }
            if (c is '"' or '`')
            {
                var sb = new StringBuilder();
                var j = i + 1;
                for (; j < line.Length && line[j] != c; j++)
                {
                    if (c == '"' && line[j] == '\\' && j + 1 < line.Length) j++;
                    sb.Append(line[j]);
                }
                if (j >= line.Length) throw new FormatException($"go.mod line {lineNumber}: unterminated quoted string");
                tokens.Add(sb.ToString());
                i = j + 1;
                continue;
            }
            var start = i;
            while (i < line.Length && !char.IsWhiteSpace(line[i]) && line[i] is not ('(' or ')' or '"' or '`')
                   && !(line[i] == '/' && i + 1 < line.Length && line[i + 1] == '/') && !(line[i] == '=' && i + 1 < line.Length && line[i + 1] == '>'))
                i++;
            tokens.Add(line[start..i]);
        }
        return (tokens, null);
    }
}
