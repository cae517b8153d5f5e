using System.Text;
using Antlr4.Runtime;
using Antlr4.Runtime.Tree;
using Cel.Internal;

namespace ZeroDrift.Misconfig.Custom;

/// <summary>A custom check's expression refused before it is compiled: too long or nested too deeply.</summary>
public sealed class CelExpressionRefusedException(string message) : Exception(message);

/// <summary>
/// What happens to a check's expression before the CEL library sees it. <see cref="CheckShape"/> bounds its length and
/// nesting on the lexer's tokens (the lexer is a state machine; the parser recurses per bracket and conditional);
/// <see cref="TreeDepth"/> measures a parse tree without recursion; <see cref="Instrument"/> weaves the cost
/// accounting of <see cref="CelMeter"/> into the text, so that the library's own interpreter charges it.
/// </summary>
internal static class CelExpressionGuard
{
    /// <summary>Registered per check; names no CEL program would use. Called as receivers (<c>x.f()</c>): the library
    /// resolves a global call through every protobuf enum it knows first, which cost 70 µs a call.</summary>
    public const string StepFunction = "__zerodrift_step";
    public const string ChargeFunction = "__zerodrift_charge";

    private static readonly HashSet<string> Macros = new(StringComparer.Ordinal) { "all", "exists", "exists_one", "map", "filter" };

    /// <summary>Refuses an expression longer than the limit, or whose brackets and conditionals nest deeper.</summary>
    public static void CheckShape(string expression, CelLimits limits)
    {
        if (expression.Length > limits.MaxExpressionLength)
            throw new CelExpressionRefusedException($"its expression is longer than {limits.MaxExpressionLength} characters");
        var lexer = new CelLexer(new AntlrInputStream(expression));
        lexer.RemoveErrorListeners(); // an unlexable character is the parser's error to report, with its position
        var depth = 0;
        var conditionals = 0;
        for (var token = lexer.NextToken(); token.Type != TokenConstants.EOF; token = lexer.NextToken())
        {
            switch (token.Type)
            {
                case CelLexer.LPAREN or CelLexer.LBRACKET or CelLexer.LBRACE:
                    if (++depth > limits.MaxNesting)
                        throw new CelExpressionRefusedException($"its expression nests brackets deeper than {limits.MaxNesting} levels");
                    break;
                case CelLexer.RPAREN or CelLexer.RPRACKET or CelLexer.RBRACE:
                    depth = Math.Max(0, depth - 1);
                    break;
                case CelLexer.QUESTIONMARK:
                    // A conditional's else-branch is parsed by recursion; counting them all is the safe side.
                    if (++conditionals > limits.MaxNesting)
                        throw new CelExpressionRefusedException($"its expression has more than {limits.MaxNesting} conditionals");
                    break;
            }
        }
    }

    /// <summary>The parse tree's depth, walked with an explicit stack.</summary>
    public static int TreeDepth(IParseTree root)
    {
        var max = 0;
        var stack = new Stack<(IParseTree Node, int Depth)>();
        stack.Push((root, 1));
        while (stack.Count > 0)
        {
            var (node, depth) = stack.Pop();
            max = Math.Max(max, depth);
            for (var i = 0; i < node.ChildCount; i++) stack.Push((node.GetChild(i), depth + 1));
        }
        return max;
    }

    /// <summary>
    /// The expression with its cost accounting woven in: each comprehension body <c>B</c> becomes
    /// <c>true.step() ? (B).charge() : false</c> (a step is counted before the body runs, so an evaluation over budget
    /// skips the bodies of every level), and each <c>X + Y</c> becomes <c>(X + Y).charge()</c> (what a concatenation
    /// makes is charged as soon as it exists). Everything else is left as written.
    /// </summary>
    public static string Instrument(CelParser.StartContext tree, string expression)
    {
        var inserts = new List<(int At, int Order, string Text)>();
        var stack = new Stack<IParseTree>();
        stack.Push(tree);
        var id = 0;
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            for (var i = 0; i < node.ChildCount; i++) stack.Push(node.GetChild(i));
            switch (node)
            {
                case CelParser.MemberCallContext call when call.id is not null && Macros.Contains(call.id.Text)
                                                         && call.exprList() is { } args && args._e.Count == 2:
                    Wrap(args._e[1], $"true.{StepFunction}() ? (", $").{ChargeFunction}() : false", ref id, inserts);
                    break;
                case CelParser.CalcContext { op.Text: "+" } plus:
                    Wrap(plus, "(", $").{ChargeFunction}()", ref id, inserts);
                    break;
            }
        }
        // Openings before closings at one position; among openings the outer (earlier id: parents are met first)
        // first, among closings the inner first.
        inserts.Sort((a, b) => a.At != b.At ? a.At.CompareTo(b.At) : a.Order.CompareTo(b.Order));
        var sb = new StringBuilder(expression.Length + inserts.Count * 32);
        var last = 0;
        foreach (var (at, _, text) in inserts)
        {
            sb.Append(expression, last, at - last).Append(text);
            last = at;
        }
        return sb.Append(expression, last, expression.Length - last).ToString();
    }

    private static void Wrap(ParserRuleContext node, string open, string close, ref int id, List<(int, int, string)> inserts)
    {
        if (node.Start is null || node.Stop is null || node.Stop.StopIndex < node.Start.StartIndex) return;
        id++;
        // Closings sort before openings at the same position (order < 0), inner closings first (larger id first).
        inserts.Add((node.Start.StartIndex, id, open));
        inserts.Add((node.Stop.StopIndex + 1, -id, close));
    }
}
