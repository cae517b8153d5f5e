using System.Text;

namespace ZeroDrift.Runtime.Rules;

/// <summary>A condition that does not follow the grammar; the message says where and what was expected.</summary>
public sealed class ConditionSyntaxException(string message) : Exception(message);

/// <summary>
/// Recursive-descent parser for Falco's condition language, following the grammar of libsinsp's filter parser:
/// <c>or</c> binds looser than <c>and</c>, which binds looser than <c>not</c>; a check is a field (optionally with an
/// argument and transformers) and an operator, a bare identifier (a macro) or a parenthesised expression. Tokens
/// use libsinsp's lexical rules (bare strings stop at blanks, parentheses, commas, <c>=</c> and quotes).
/// Nesting is capped, as libsinsp caps it, so hostile input cannot exhaust the stack.
/// </summary>
public sealed class ConditionParser
{
    public const int MaxDepth = 100;
    public const int MaxLength = 256 * 1024;

    private static readonly string[] UnaryOperators = ["exists"];
    private static readonly string[] NumberOperators = ["<=", "<", ">=", ">"];
    // Word operators need a blank after them so that "in" is not read as the start of "intersects" and so on.
    private static readonly string[] StringOperators =
        ["==", "=", "!=", "glob ", "iglob ", "contains ", "icontains ", "bcontains ", "startswith ", "bstartswith ", "endswith ", "regex "];
    private static readonly string[] ListOperators = ["intersects", "in", "pmatch"];
    private static readonly string[] Transformers = ["tolower", "toupper", "b64", "basename", "len"];

    /// <summary>Every operator the language knows, for documentation and error messages.</summary>
    public static IReadOnlyList<string> Operators { get; } =
        [.. UnaryOperators, .. NumberOperators, .. StringOperators.Select(o => o.Trim()), .. ListOperators];

    public static IReadOnlyList<string> FieldTransformers => Transformers;

    private readonly string _input;
    private int _pos;
    private int _depth;

    private ConditionParser(string input) => _input = input;

    public static Expr Parse(string condition)
    {
        if (string.IsNullOrWhiteSpace(condition)) throw new ConditionSyntaxException("condition is empty");
        if (condition.Length > MaxLength) throw new ConditionSyntaxException($"condition is longer than {MaxLength} characters");
        var parser = new ConditionParser(condition);
        var expr = parser.ParseOr();
        parser.Blank();
        if (parser._pos != condition.Length)
            throw parser.Error("unexpected token, expecting 'or', 'and'");
        return expr;
    }

    /// <summary>Parses a field as written in an exception's <c>fields</c> or an output template: <c>name[arg]</c>.</summary>
    public static FieldRef ParseField(string text)
    {
        var parser = new ConditionParser(text);
        parser.Blank();
        var field = parser.TryField() ?? throw new ConditionSyntaxException($"'{text}' is not a field name");
        parser.Blank();
        if (parser._pos != text.Length) throw new ConditionSyntaxException($"'{text}' is not a field name");
        return field;
    }

    private ConditionSyntaxException Error(string message)
    {
        var (line, col) = Position();
        var near = _pos < _input.Length ? _input.Substring(_pos, Math.Min(20, _input.Length - _pos)).ReplaceLineEndings(" ") : "end of condition";
        return new ConditionSyntaxException($"{message} at line {line} column {col} (near '{near}')");
    }

    private (int Line, int Col) Position()
    {
        int line = 1, col = 1;
        for (var i = 0; i < _pos && i < _input.Length; i++)
        {
            if (_input[i] == '\n') { line++; col = 1; }
            else col++;
        }
        return (line, col);
    }

    private void Enter()
    {
        if (++_depth >= MaxDepth) throw Error($"exceeded max depth limit of {MaxDepth}");
    }

    private void Leave() => _depth--;

    private Expr ParseOr()
    {
        Enter();
        var children = new List<Expr>();
        Blank();
        children.Add(ParseAnd());
        Blank();
        while (Keyword("or"))
        {
            children.Add(ParseOperandAfterKeyword("or", ParseAnd));
            Blank();
        }
        Leave();
        return children.Count == 1 ? children[0] : new OrExpr(children);
    }

    private Expr ParseAnd()
    {
        Enter();
        var children = new List<Expr>();
        Blank();
        children.Add(ParseNot());
        Blank();
        while (Keyword("and"))
        {
            children.Add(ParseOperandAfterKeyword("and", ParseNot));
            Blank();
        }
        Leave();
        return children.Count == 1 ? children[0] : new AndExpr(children);
    }

    /// <summary>After <c>and</c>/<c>or</c> comes a blank or an opening parenthesis, as in libsinsp.</summary>
    private Expr ParseOperandAfterKeyword(string keyword, Func<Expr> next)
    {
        if (Blank()) return next();
        if (Literal("(")) return ParseEmbeddedRemainder();
        throw Error($"expected blank or '(' after '{keyword}'");
    }

    /// <summary>A keyword is matched only when it is not the start of a longer word (<c>order</c>, <c>andy</c>).</summary>
    private bool Keyword(string word)
    {
        if (string.CompareOrdinal(_input, _pos, word, 0, word.Length) != 0) return false;
        var after = _pos + word.Length;
        if (after < _input.Length && (char.IsAsciiLetterOrDigit(_input[after]) || _input[after] is '_' or '.')) return false;
        _pos = after;
        return true;
    }

    private Expr ParseNot()
    {
        Enter();
        var negate = false;
        Blank();
        while (true)
        {
            if (string.CompareOrdinal(_input, _pos, "not", 0, 3) == 0 && _pos + 3 < _input.Length && IsBlank(_input[_pos + 3]))
            {
                _pos += 3;
                Blank();
                negate = !negate;
                continue;
            }
            break;
        }
        Expr child;
        if (Literal("not("))
        {
            negate = !negate;
            child = ParseEmbeddedRemainder();
        }
        else
        {
            child = ParseCheck();
        }
        Leave();
        return negate ? new NotExpr(child) : child;
    }

    private Expr ParseEmbeddedRemainder()
    {
        Enter();
        Blank();
        var child = ParseOr();
        Blank();
        if (!Literal(")")) throw Error("expected a ')' token");
        Leave();
        return child;
    }

    private Expr ParseCheck()
    {
        Enter();
        Blank();
        if (Literal("("))
        {
            var inner = ParseEmbeddedRemainder();
            Leave();
            return inner;
        }
        var start = _pos;
        var field = TryField();
        if (field is not null)
        {
            var check = ParseCondition(field);
            Leave();
            return check;
        }
        _pos = start;
        var identifier = Identifier();
        if (identifier is not null)
        {
            Leave();
            return new MacroRef(identifier);
        }
        throw Error("expected a '(' token, a field check, or an identifier");
    }

    /// <summary>A field name, optionally with <c>[arg]</c>, or a transformer call around one; null when there is none.</summary>
    private FieldRef? TryField()
    {
        var start = _pos;
        foreach (var t in Transformers)
        {
            if (!Literal(t + "(")) continue;
            Enter();
            Blank();
            var inner = TryField() ?? throw Error($"expected a field inside '{t}('");
            Blank();
            if (!Literal(")")) throw Error("expected a ')' token");
            Leave();
            return inner with { Transformers = [.. inner.Transformers, t] };
        }
        _pos = start;
        var name = FieldName();
        if (name is null) return null;
        string? argument = null;
        if (Literal("["))
        {
            argument = QuotedString() ?? FieldArgBare() ?? throw Error("expected a valid field argument: a quoted string or a bare string");
            if (!Literal("]")) throw Error("expected a ']' token");
        }
        return new FieldRef(name, argument, []);
    }

    private CheckExpr ParseCondition(FieldRef field)
    {
        Blank();
        if (Any(UnaryOperators) is { } unary) return new CheckExpr(field, unary, null);
        if (Any(NumberOperators) is { } num) return new CheckExpr(field, num, ParseNumberValue());
        if (Any(StringOperators) is { } str) return new CheckExpr(field, str.Trim(), ParseStringValue());
        if (AnyWord(ListOperators) is { } list) return new CheckExpr(field, list, ParseListValue());
        throw Error("expected a valid check operator: one of " + string.Join(", ", Operators.Select(o => $"'{o}'")));
    }

    private Operand ParseNumberValue()
    {
        Blank();
        if (TryFieldOperand() is { } f) return f;
        var start = _pos;
        if (_pos + 1 < _input.Length && _input[_pos] == '0' && _input[_pos + 1] is 'x' or 'X')
        {
            _pos += 2;
            while (_pos < _input.Length && char.IsAsciiLetterOrDigit(_input[_pos])) _pos++;
            return new ValueOperand(_input[start.._pos]);
        }
        if (_pos < _input.Length && _input[_pos] is '+' or '-') _pos++;
        var digits = _pos;
        while (_pos < _input.Length && char.IsAsciiDigit(_input[_pos])) _pos++;
        if (_pos == digits) { _pos = start; throw Error("expected a number value"); }
        if (_pos < _input.Length && _input[_pos] == '.')
        {
            _pos++;
            while (_pos < _input.Length && char.IsAsciiDigit(_input[_pos])) _pos++;
        }
        return new ValueOperand(_input[start.._pos]);
    }

    private Operand ParseStringValue()
    {
        Blank();
        if (TryFieldOperand() is { } f) return f;
        var value = QuotedString() ?? BareString() ?? throw Error("expected a string value");
        return new ValueOperand(value);
    }

    private Operand ParseListValue()
    {
        Blank();
        if (TryFieldOperand() is { } f) return f;
        if (Literal("("))
        {
            var items = new List<string>();
            Blank();
            var first = QuotedString() ?? BareString();
            if (first is not null)
            {
                items.Add(first);
                Blank();
                while (Literal(","))
                {
                    Blank();
                    items.Add(QuotedString() ?? BareString() ?? throw Error("expected a string value"));
                    Blank();
                }
            }
            if (!Literal(")")) throw Error("expected a ')' token");
            return new ListOperand(items);
        }
        var name = Identifier();
        if (name is not null) return new ListNameOperand(name);
        throw Error("expected a list or an identifier");
    }

    /// <summary><c>val(field)</c> or a transformer over a field on the right-hand side.</summary>
    private FieldOperand? TryFieldOperand()
    {
        var start = _pos;
        if (Literal("val("))
        {
            Blank();
            var field = TryField() ?? throw Error("expected a field inside 'val('");
            Blank();
            if (!Literal(")")) throw Error("expected a ')' token");
            return new FieldOperand(field);
        }
        foreach (var t in Transformers)
        {
            if (string.CompareOrdinal(_input, _pos, t + "(", 0, t.Length + 1) != 0) continue;
            var field = TryField();
            if (field is not null) return new FieldOperand(field);
            _pos = start;
        }
        return null;
    }

    private string? Any(string[] options)
    {
        foreach (var o in options)
            if (Literal(o)) return o;
        return null;
    }

    /// <summary>List operators are words: <c>in</c> must not be the start of <c>index</c>.</summary>
    private string? AnyWord(string[] options)
    {
        foreach (var o in options)
        {
            if (string.CompareOrdinal(_input, _pos, o, 0, o.Length) != 0) continue;
            var after = _pos + o.Length;
            if (after < _input.Length && (char.IsAsciiLetterOrDigit(_input[after]) || _input[after] == '_')) continue;
            _pos = after;
            return o;
        }
        return null;
    }

    private bool Literal(string text)
    {
        if (string.CompareOrdinal(_input, _pos, text, 0, text.Length) != 0 || _pos + text.Length > _input.Length) return false;
        _pos += text.Length;
        return true;
    }

    private static bool IsBlank(char c) => c is ' ' or '\t' or '\b' or '\r' or '\n';

    private bool Blank()
    {
        var start = _pos;
        while (_pos < _input.Length && IsBlank(_input[_pos])) _pos++;
        return _pos > start;
    }

    /// <summary><c>[a-zA-Z]+[a-zA-Z0-9_]*</c>.</summary>
    private string? Identifier()
    {
        var start = _pos;
        if (_pos >= _input.Length || !char.IsAsciiLetter(_input[_pos])) return null;
        while (_pos < _input.Length && (char.IsAsciiLetterOrDigit(_input[_pos]) || _input[_pos] == '_')) _pos++;
        return _input[start.._pos];
    }

    /// <summary><c>identifier(.identifier)+</c>: at least one dot, which is what tells a field from a macro.</summary>
    private string? FieldName()
    {
        var start = _pos;
        if (Identifier() is null) return null;
        var parts = 1;
        while (_pos + 1 < _input.Length && _input[_pos] == '.' && char.IsAsciiLetter(_input[_pos + 1]))
        {
            _pos++;
            Identifier();
            parts++;
        }
        if (parts < 2)
        {
            _pos = start;
            return null;
        }
        return _input[start.._pos];
    }

    private string? FieldArgBare()
    {
        var start = _pos;
        while (_pos < _input.Length && !IsBlank(_input[_pos]) && _input[_pos] is not ('[' or ']' or '"' or '\'')) _pos++;
        return _pos > start ? _input[start.._pos] : null;
    }

    private string? BareString()
    {
        var start = _pos;
        while (_pos < _input.Length && !IsBlank(_input[_pos]) && _input[_pos] is not ('(' or ')' or ',' or '=' or '"' or '\'')) _pos++;
        return _pos > start ? _input[start.._pos] : null;
    }

    /// <summary>A single- or double-quoted string; a backslash escapes the quote, the backslash and the usual controls.</summary>
    private string? QuotedString()
    {
        if (_pos >= _input.Length || _input[_pos] is not ('"' or '\'')) return null;
        var quote = _input[_pos];
        var text = new StringBuilder();
        var i = _pos + 1;
        while (i < _input.Length)
        {
            var c = _input[i];
            if (c == '\\' && i + 1 < _input.Length)
            {
                var n = _input[i + 1];
                switch (n)
                {
                    case '"' or '\'' or '\\': text.Append(n); break;
                    case 'n': text.Append('\n'); break;
                    case 't': text.Append('\t'); break;
                    case 'r': text.Append('\r'); break;
                    case 'b': text.Append('\b'); break;
                    case 'f': text.Append('\f'); break;
                    default: text.Append(c).Append(n); break; // regexes keep their escapes
                }
                i += 2;
                continue;
            }
            if (c == quote)
            {
                _pos = i + 1;
                return text.ToString();
            }
            text.Append(c);
            i++;
        }
        throw Error("unterminated quoted string");
    }
}
