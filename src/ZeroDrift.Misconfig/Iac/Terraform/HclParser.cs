using System.Globalization;
using System.Text;

namespace ZeroDrift.Misconfig.Iac.Terraform;

/// <summary>
/// A recursive-descent parser of HCL2's native syntax (hashicorp/hcl hclsyntax spec): bodies of attributes and
/// blocks; expressions with templates, heredocs, for-expressions, splats, function calls, conditionals and operators.
/// It works on characters (no separate lexer) because newlines end an attribute at body level but are white space
/// inside brackets. Bounded: nesting past <c>maxDepth</c> (blocks, brackets, operators) and heredocs longer than
/// <c>maxHeredocChars</c> stop the file with an <see cref="HclException"/> naming the line; nothing recurses past
/// the bound.
/// </summary>
public sealed class HclParser
{
    private readonly string _s;
    private readonly int _maxDepth;
    private readonly int _maxHeredocChars;
    private readonly int _lineOffset;
    private int _p;
    private int _line = 1;
    private int _nl; // > 0 inside brackets: newlines are white space
    private int _depth;

    private HclParser(string text, int maxDepth, int maxHeredocChars, int lineOffset = 0)
    {
        _s = text;
        _maxDepth = maxDepth;
        _maxHeredocChars = maxHeredocChars;
        _lineOffset = lineOffset;
    }

    public const int DefaultMaxHeredocChars = 1 << 20;

    /// <summary>Parses a whole .tf file.</summary>
    /// <exception cref="HclException">Malformed, or past a limit; the message says which line.</exception>
    public static HclBody ParseFile(string text, int maxDepth = 64, int maxHeredocChars = DefaultMaxHeredocChars)
    {
        var parser = new HclParser(text, maxDepth, maxHeredocChars);
        return parser.Body(nested: false);
    }

    /// <summary>Parses one expression (a .tfvars value, a test case).</summary>
    public static HclExpr ParseExpression(string text, int maxDepth = 64)
    {
        var parser = new HclParser(text, maxDepth, DefaultMaxHeredocChars);
        parser._nl++;
        var e = parser.Expr();
        parser.Ws();
        if (parser._p < parser._s.Length) throw parser.Error("unexpected text after the expression");
        return e;
    }

    private int Line => _line + _lineOffset;

    private HclException Error(string what) => new($"line {Line}: {what}");

    private char Peek(int ahead = 0) => _p + ahead < _s.Length ? _s[_p + ahead] : '\0';

    private bool Eof => _p >= _s.Length;

    private void Enter()
    {
        if (++_depth > _maxDepth) throw Error($"nested deeper than {_maxDepth} levels");
    }

    private void Leave() => _depth--;

    private void Advance()
    {
        if (_s[_p] == '\n') _line++;
        _p++;
    }

    /// <summary>Skips spaces, tabs, comments, and newlines when inside brackets.</summary>
    private void Ws()
    {
        while (!Eof)
        {
            var c = _s[_p];
            if (c is ' ' or '\t' or '\r') _p++;
            else if (c == '\n' && _nl > 0) Advance();
            else if (c == '#' || (c == '/' && Peek(1) == '/'))
            {
                while (!Eof && _s[_p] != '\n') _p++;
            }
            else if (c == '/' && Peek(1) == '*')
            {
                _p += 2;
                while (!Eof && !(_s[_p] == '*' && Peek(1) == '/')) Advance();
                if (Eof) throw Error("unterminated /* comment");
                _p += 2;
            }
            else break;
        }
    }

    private void WsNl()
    {
        var saved = _nl;
        _nl = 1;
        Ws();
        _nl = saved;
    }

    private static bool IdStart(char c) => char.IsLetter(c) || c == '_';

    private static bool IdPart(char c) => char.IsLetterOrDigit(c) || c is '_' or '-';

    private string Identifier()
    {
        if (Eof || !IdStart(_s[_p])) throw Error($"expected a name, found {Describe()}");
        var start = _p;
        while (!Eof && IdPart(_s[_p])) _p++;
        return _s[start.._p];
    }

    private string Describe() => Eof ? "end of file" : _s[_p] == '\n' ? "end of line" : $"'{_s[_p]}'";

    private void Expect(char c)
    {
        Ws();
        if (Peek() != c) throw Error($"expected '{c}', found {Describe()}");
        Advance();
    }

    // ---------------------------------------------------------------- bodies

    private HclBody Body(bool nested)
    {
        Enter();
        var attributes = new List<HclAttribute>();
        var blocks = new List<HclBlock>();
        while (true)
        {
            WsNl();
            if (Eof)
            {
                if (nested) throw Error("unexpected end of file: a block is not closed");
                break;
            }
            if (_s[_p] == '}')
            {
                if (!nested) throw Error("unexpected '}'");
                _p++;
                break;
            }
            var line = Line;
            var name = Identifier();
            Ws();
            if (Peek() == '=' && Peek(1) != '=')
            {
                _p++;
                Ws();
                var value = Expr();
                attributes.Add(new HclAttribute(name, value, line));
                Ws();
                if (!Eof && _s[_p] != '\n' && !(nested && _s[_p] == '}')) throw Error($"expected a new line after the attribute {name}, found {Describe()}");
                continue;
            }
            var labels = new List<string>();
            while (true)
            {
                Ws();
                if (Peek() == '{') break;
                if (Peek() == '"')
                {
                    var t = QuotedString();
                    labels.Add(t is HclLiteral { Value: string ls } ? ls : throw Error("a block label may not hold interpolations"));
                }
                else if (!Eof && IdStart(_s[_p])) labels.Add(Identifier());
                else throw Error($"expected '=', a block label or '{{' after {name}, found {Describe()}");
            }
            _p++;
            var body = Body(nested: true);
            blocks.Add(new HclBlock(name, labels, body, line));
        }
        Leave();
        return new HclBody(attributes, blocks);
    }

    // ---------------------------------------------------------------- expressions

    private HclExpr Expr()
    {
        Enter();
        var line = Line;
        var cond = Binary(0);
        Ws();
        if (Peek() == '?')
        {
            _p++;
            Ws();
            var t = Expr();
            Expect(':');
            Ws();
            var f = Expr();
            cond = new HclConditional(line, cond, t, f);
        }
        Leave();
        return cond;
    }

    private static readonly string[][] Levels =
    [
        ["||"], ["&&"], ["==", "!="], ["<=", ">=", "<", ">"], ["+", "-"], ["*", "/", "%"],
    ];

    private HclExpr Binary(int level)
    {
        if (level == Levels.Length) return Unary();
        Enter();
        var left = Binary(level + 1);
        while (true)
        {
            Ws();
            // Longer operators are listed first ("<=" before "<"); '=>' (an object for-expression's arrow) matches none.
            var op = Levels[level].FirstOrDefault(o => string.CompareOrdinal(_s, _p, o, 0, o.Length) == 0);
            if (op is null) break;
            var line = Line;
            _p += op.Length;
            Ws();
            var right = Binary(level + 1);
            left = new HclBinary(line, op, left, right);
        }
        Leave();
        return left;
    }

    private HclExpr Unary()
    {
        Ws();
        if (Peek() is '!' or '-' && !(Peek() == '!' && Peek(1) == '='))
        {
            var line = Line;
            var op = _s[_p].ToString();
            _p++;
            Enter();
            var operand = Unary();
            Leave();
            return new HclUnary(line, op, operand);
        }
        return Postfix(Primary());
    }

    private HclExpr Postfix(HclExpr target)
    {
        var steps = new List<HclStep>();
        while (true)
        {
            // No white space before a traversal step, except inside brackets where a line may continue.
            if (Peek() == '.' && Peek(1) == '*')
            {
                _p += 2;
                steps.Add(new HclSplatStep());
            }
            else if (Peek() == '.' && (IdStart(Peek(1)) || char.IsAsciiDigit(Peek(1))))
            {
                _p++;
                if (char.IsAsciiDigit(Peek()))
                {
                    var start = _p;
                    while (char.IsAsciiDigit(Peek())) _p++;
                    steps.Add(new HclIndexStep(new HclLiteral(Line, long.Parse(_s[start.._p], CultureInfo.InvariantCulture))));
                }
                else steps.Add(new HclAttrStep(Identifier()));
            }
            else if (Peek() == '[')
            {
                _p++;
                _nl++;
                Ws();
                if (Peek() == '*')
                {
                    _p++;
                    Expect(']');
                    _nl--;
                    steps.Add(new HclSplatStep());
                    continue;
                }
                Enter();
                var index = Expr();
                Leave();
                Expect(']');
                _nl--;
                steps.Add(new HclIndexStep(index));
            }
            else break;
        }
        if (steps.Count == 0) return target;
        if (target is HclTraversal t) return t with { Steps = [.. t.Steps, .. steps] };
        return new HclPostfix(target.Line, target, steps);
    }

    private HclExpr Primary()
    {
        Ws();
        var line = Line;
        if (Eof) throw Error("expected an expression, found end of file");
        var c = _s[_p];
        if (char.IsAsciiDigit(c)) return Number();
        if (c == '"') return QuotedString();
        if (c == '<' && Peek(1) == '<') return Heredoc();
        if (c == '(')
        {
            _p++;
            _nl++;
            Ws();
            Enter();
            var e = Expr();
            Leave();
            Expect(')');
            _nl--;
            return e;
        }
        if (c == '[') return TupleOrFor();
        if (c == '{') return ObjectOrFor();
        if (IdStart(c))
        {
            var name = Identifier();
            while (Peek() == ':' && Peek(1) == ':' && IdStart(Peek(2)))
            {
                _p += 2;
                name += "::" + Identifier();
            }
            var save = _p;
            Ws();
            if (Peek() == '(') return Call(name, line);
            _p = save;
            return name switch
            {
                "true" => new HclLiteral(line, true),
                "false" => new HclLiteral(line, false),
                "null" => new HclLiteral(line, null),
                _ => new HclTraversal(line, name, []),
            };
        }
        throw Error($"expected an expression, found {Describe()}");
    }

    private HclExpr Number()
    {
        var line = Line;
        var start = _p;
        while (char.IsAsciiDigit(Peek())) _p++;
        var isFloat = false;
        if (Peek() == '.' && char.IsAsciiDigit(Peek(1)))
        {
            isFloat = true;
            _p++;
            while (char.IsAsciiDigit(Peek())) _p++;
        }
        if (Peek() is 'e' or 'E' && (char.IsAsciiDigit(Peek(1)) || (Peek(1) is '+' or '-' && char.IsAsciiDigit(Peek(2)))))
        {
            isFloat = true;
            _p += 2;
            while (char.IsAsciiDigit(Peek())) _p++;
        }
        var text = _s[start.._p];
        if (!isFloat && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var l)) return new HclLiteral(line, l);
        return new HclLiteral(line, double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
    }

    private HclExpr Call(string name, int line)
    {
        _p++; // (
        _nl++;
        Enter();
        var args = new List<HclExpr>();
        var expand = false;
        while (true)
        {
            Ws();
            if (Peek() == ')') break;
            args.Add(Expr());
            Ws();
            if (Peek() == '.' && Peek(1) == '.' && Peek(2) == '.')
            {
                _p += 3;
                expand = true;
                Ws();
            }
            if (Peek() == ',') { _p++; continue; }
            if (Peek() != ')') throw Error($"expected ',' or ')' in the arguments of {name}, found {Describe()}");
        }
        _p++;
        Leave();
        _nl--;
        return new HclCall(line, name, args, expand);
    }

    private bool AtKeyword(string word)
    {
        if (string.CompareOrdinal(_s, _p, word, 0, word.Length) != 0) return false;
        var after = Peek(word.Length);
        return !IdPart(after);
    }

    private HclExpr TupleOrFor()
    {
        var line = Line;
        _p++;
        _nl++;
        Enter();
        Ws();
        HclExpr result;
        if (AtKeyword("for")) result = For(line, '[', ']');
        else
        {
            var items = new List<HclExpr>();
            while (true)
            {
                Ws();
                if (Peek() == ']') break;
                items.Add(Expr());
                Ws();
                if (Peek() == ',') { _p++; continue; }
                if (Peek() != ']') throw Error($"expected ',' or ']' in a list, found {Describe()}");
            }
            _p++;
            result = new HclTuple(line, items);
        }
        Leave();
        _nl--;
        return result;
    }

    private HclExpr ObjectOrFor()
    {
        var line = Line;
        _p++;
        _nl++;
        Enter();
        Ws();
        HclExpr result;
        if (AtKeyword("for")) result = For(line, '{', '}');
        else
        {
            var items = new List<(HclExpr, HclExpr)>();
            while (true)
            {
                Ws();
                if (Peek() == '}') break;
                var key = Expr();
                Ws();
                if (Peek() == '=' && Peek(1) != '=') _p++;
                else if (Peek() == ':') _p++;
                else throw Error($"expected '=' or ':' after an object key, found {Describe()}");
                Ws();
                var value = Expr();
                items.Add((key, value));
                Ws();
                if (Peek() == ',') _p++;
            }
            _p++;
            result = new HclObject(line, items);
        }
        Leave();
        _nl--;
        return result;
    }

    private HclExpr For(int line, char open, char close)
    {
        _p += 3;
        Ws();
        string? keyVar = null;
        var valueVar = Identifier();
        Ws();
        if (Peek() == ',')
        {
            _p++;
            Ws();
            keyVar = valueVar;
            valueVar = Identifier();
            Ws();
        }
        if (!AtKeyword("in")) throw Error($"expected 'in' in a for expression, found {Describe()}");
        _p += 2;
        Ws();
        var collection = Expr();
        Expect(':');
        Ws();
        HclExpr? keyExpr = null;
        var valueExpr = Expr();
        Ws();
        if (open == '{')
        {
            if (!(Peek() == '=' && Peek(1) == '>')) throw Error($"expected '=>' in an object for expression, found {Describe()}");
            _p += 2;
            Ws();
            keyExpr = valueExpr;
            valueExpr = Expr();
            Ws();
        }
        var grouping = false;
        if (Peek() == '.' && Peek(1) == '.' && Peek(2) == '.')
        {
            _p += 3;
            grouping = true;
            Ws();
        }
        HclExpr? condition = null;
        if (AtKeyword("if"))
        {
            _p += 2;
            Ws();
            condition = Expr();
        }
        Expect(close);
        return new HclFor(line, keyVar, valueVar, collection, keyExpr, valueExpr, condition, grouping);
    }

    // ---------------------------------------------------------------- templates

    private HclExpr QuotedString()
    {
        var line = Line;
        _p++; // "
        var parts = TemplateParts(quoted: true);
        return Simplify(line, parts);
    }

    private static HclExpr Simplify(int line, List<HclExpr> parts)
    {
        if (parts.Count == 0) return new HclLiteral(line, "");
        if (parts.Count == 1 && parts[0] is HclLiteral { Value: string }) return parts[0] with { Line = line };
        return new HclTemplate(line, parts);
    }

    /// <summary>Literal text and interpolations up to the closing quote (quoted) or the end of the text (heredoc).</summary>
    private List<HclExpr> TemplateParts(bool quoted)
    {
        var parts = new List<HclExpr>();
        var text = new StringBuilder();
        var textLine = Line;
        void Flush()
        {
            if (text.Length > 0) parts.Add(new HclLiteral(textLine, text.ToString()));
            text.Clear();
            textLine = Line;
        }
        while (true)
        {
            if (Eof)
            {
                if (quoted) throw Error("unterminated string");
                break;
            }
            var c = _s[_p];
            if (quoted && c == '"') { _p++; break; }
            if (quoted && c == '\n') throw Error("a quoted string may not span lines (use a heredoc)");
            if ((c == '$' || c == '%') && Peek(1) == c && Peek(2) == '{')
            {
                text.Append(c).Append('{');
                _p += 3;
                continue;
            }
            if (c == '$' && Peek(1) == '{')
            {
                Flush();
                _p += 2;
                _nl++;
                Ws();
                if (Peek() == '~') _p++;
                Enter();
                parts.Add(Expr());
                Leave();
                Ws();
                if (Peek() == '~') _p++;
                Expect('}');
                _nl--;
                textLine = Line;
                continue;
            }
            if (c == '%' && Peek(1) == '{')
            {
                Flush();
                _p += 2;
                _nl++;
                Ws();
                if (Peek() == '~') _p++;
                Ws();
                var line = Line;
                var keyword = Identifier();
                Ws();
                Enter();
                switch (keyword)
                {
                    case "if":
                        Expr();
                        break;
                    case "for":
                        Identifier();
                        Ws();
                        if (Peek() == ',') { _p++; Ws(); Identifier(); Ws(); }
                        if (!AtKeyword("in")) throw Error("expected 'in' in a %{for} directive");
                        _p += 2;
                        Ws();
                        Expr();
                        break;
                    case "else" or "endif" or "endfor":
                        break;
                    default:
                        throw Error($"unknown template directive %{{{keyword}}}");
                }
                Leave();
                Ws();
                if (Peek() == '~') _p++;
                Expect('}');
                _nl--;
                parts.Add(new HclTemplateDirective(line, keyword));
                textLine = Line;
                continue;
            }
            if (quoted && c == '\\')
            {
                _p++;
                var e = Peek();
                _p++;
                switch (e)
                {
                    case 'n': text.Append('\n'); break;
                    case 'r': text.Append('\r'); break;
                    case 't': text.Append('\t'); break;
                    case '"': text.Append('"'); break;
                    case '\\': text.Append('\\'); break;
                    case 'u' or 'U':
                        var n = e == 'u' ? 4 : 8;
                        if (_p + n > _s.Length || !int.TryParse(_s.AsSpan(_p, n), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var cp)
                            || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                            throw Error("invalid \\u escape");
                        text.Append(char.ConvertFromUtf32(cp));
                        _p += n;
                        break;
                    default:
                        throw Error($"invalid escape \\{e}");
                }
                continue;
            }
            text.Append(c);
            Advance();
        }
        Flush();
        return parts;
    }

    private HclExpr Heredoc()
    {
        var line = Line;
        _p += 2;
        var indent = false;
        if (Peek() == '-') { indent = true; _p++; }
        var marker = Identifier();
        while (Peek() is ' ' or '\t' or '\r') _p++;
        if (Peek() != '\n') throw Error("expected a new line after the heredoc marker");
        Advance();
        var startLine = Line;
        var lines = new List<string>();
        var total = 0;
        while (true)
        {
            if (Eof) throw Error($"heredoc <<{marker} opened at line {line} is not closed");
            var end = _s.IndexOf('\n', _p);
            if (end < 0) end = _s.Length;
            var text = _s[_p..end].TrimEnd('\r');
            _p = end;
            if (text.Trim() == marker) break;
            total += text.Length + 1;
            if (total > _maxHeredocChars) throw Error($"heredoc <<{marker} is longer than {_maxHeredocChars} characters");
            lines.Add(text);
            if (!Eof) Advance();
        }
        if (indent)
        {
            var common = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart(' ', '\t').Length).DefaultIfEmpty(0).Min();
            lines = [.. lines.Select(l => l.Length >= common ? l[common..] : l.TrimStart(' ', '\t'))];
        }
        var body = lines.Count == 0 ? "" : string.Join('\n', lines) + "\n";
        var sub = new HclParser(body, _maxDepth - _depth, _maxHeredocChars, startLine - 1);
        return Simplify(line, sub.TemplateParts(quoted: false));
    }
}
