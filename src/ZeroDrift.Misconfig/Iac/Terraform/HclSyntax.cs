namespace ZeroDrift.Misconfig.Iac.Terraform;

/// <summary>A body: the attributes and blocks between braces (or of a whole file), in source order.</summary>
public sealed record HclBody(IReadOnlyList<HclAttribute> Attributes, IReadOnlyList<HclBlock> Blocks)
{
    public HclAttribute? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);
}

public sealed record HclAttribute(string Name, HclExpr Value, int Line);

/// <summary>A block such as <c>resource "aws_s3_bucket" "logs" { … }</c>: its type, labels and body.</summary>
public sealed record HclBlock(string Type, IReadOnlyList<string> Labels, HclBody Body, int Line);

/// <summary>An HCL2 native-syntax expression, kept as written; the evaluator decides what is static.</summary>
public abstract record HclExpr(int Line);

/// <summary>A number, bool, null or quoted string without interpolation.</summary>
public sealed record HclLiteral(int Line, object? Value) : HclExpr(Line);

/// <summary>A template: literal parts and interpolations; directives (<c>%{if}</c>, <c>%{for}</c>) are <see cref="HclTemplateDirective"/>.</summary>
public sealed record HclTemplate(int Line, IReadOnlyList<HclExpr> Parts) : HclExpr(Line);

/// <summary>A <c>%{ if }</c> or <c>%{ for }</c> directive of a template, kept unevaluated.</summary>
public sealed record HclTemplateDirective(int Line, string Keyword) : HclExpr(Line);

public sealed record HclTuple(int Line, IReadOnlyList<HclExpr> Items) : HclExpr(Line);

public sealed record HclObject(int Line, IReadOnlyList<(HclExpr Key, HclExpr Value)> Items) : HclExpr(Line);

/// <summary>A variable and what follows it: <c>var.name</c>, <c>aws_s3_bucket.logs.id</c>, <c>local.x[0]</c>.</summary>
public sealed record HclTraversal(int Line, string Root, IReadOnlyList<HclStep> Steps) : HclExpr(Line)
{
    // The text of a reference is what an unknown value keeps; a module evaluates the same reference many times.
    private string? _text;

    public override string ToString() => _text ??= Root + string.Concat(Steps.Select(s => s.ToString()));
}

/// <summary>A step of a traversal: <c>.name</c>, <c>[index]</c>, or a splat (<c>.*</c>, <c>[*]</c>).</summary>
public abstract record HclStep;
public sealed record HclAttrStep(string Name) : HclStep { public override string ToString() => "." + Name; }
public sealed record HclIndexStep(HclExpr Index) : HclStep { public override string ToString() => "[…]"; }
public sealed record HclSplatStep : HclStep { public override string ToString() => "[*]"; }

/// <summary>Postfix steps on an expression that is not a bare variable: <c>(x).y</c>, <c>f(a)[0]</c>.</summary>
public sealed record HclPostfix(int Line, HclExpr Target, IReadOnlyList<HclStep> Steps) : HclExpr(Line);

public sealed record HclCall(int Line, string Name, IReadOnlyList<HclExpr> Args, bool ExpandFinal) : HclExpr(Line);

public sealed record HclConditional(int Line, HclExpr Condition, HclExpr True, HclExpr False) : HclExpr(Line);

public sealed record HclBinary(int Line, string Op, HclExpr Left, HclExpr Right) : HclExpr(Line);

public sealed record HclUnary(int Line, string Op, HclExpr Operand) : HclExpr(Line);

/// <summary><c>[for k, v in coll : value if cond]</c> or <c>{for k, v in coll : key => value... if cond}</c>.</summary>
public sealed record HclFor(int Line, string? KeyVar, string ValueVar, HclExpr Collection, HclExpr? KeyExpr, HclExpr ValueExpr,
    HclExpr? Condition, bool Grouping) : HclExpr(Line);

/// <summary>Why an HCL file could not be read, with the line.</summary>
public sealed class HclException(string message) : Exception(message);
