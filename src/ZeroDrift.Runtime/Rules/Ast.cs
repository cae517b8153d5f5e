namespace ZeroDrift.Runtime.Rules;

/// <summary>A parsed Falco condition: the shape libsinsp's filter parser produces, before macros and lists are resolved.</summary>
public abstract record Expr;

public sealed record AndExpr(IReadOnlyList<Expr> Children) : Expr;

public sealed record OrExpr(IReadOnlyList<Expr> Children) : Expr;

public sealed record NotExpr(Expr Child) : Expr;

/// <summary>A bare identifier in a condition: a reference to a macro.</summary>
public sealed record MacroRef(string Name) : Expr;

/// <summary>A constant that is already known (a macro that was resolved to nothing, an empty exception list).</summary>
public sealed record ConstantExpr(bool Value) : Expr;

/// <summary><c>field op operand</c>, or <c>field exists</c> (then <see cref="Operand"/> is null).</summary>
public sealed record CheckExpr(FieldRef Field, string Operator, Operand? Operand) : Expr;

/// <summary>
/// A field as written: its name, its optional argument (<c>proc.aname[2]</c>, <c>evt.arg.flags</c> is kept as
/// written and split when bound) and the transformers wrapped around it, innermost first.
/// </summary>
public sealed record FieldRef(string Name, string? Argument, IReadOnlyList<string> Transformers)
{
    public override string ToString()
    {
        var text = Argument is null ? Name : $"{Name}[{Argument}]";
        foreach (var t in Transformers) text = $"{t}({text})";
        return text;
    }
}

/// <summary>The right-hand side of a check.</summary>
public abstract record Operand;

/// <summary>One value: a number or a (quoted or bare) string.</summary>
public sealed record ValueOperand(string Value) : Operand;

/// <summary>A parenthesised list; an item may name a Falco list, which is expanded when the rule is compiled.</summary>
public sealed record ListOperand(IReadOnlyList<string> Items) : Operand;

/// <summary><c>in list_name</c>: a list referenced without parentheses.</summary>
public sealed record ListNameOperand(string Name) : Operand;

/// <summary><c>val(field)</c> or a transformer over a field: compared against another field of the same event.</summary>
public sealed record FieldOperand(FieldRef Field) : Operand;
