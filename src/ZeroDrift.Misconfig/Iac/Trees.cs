using ZeroDrift.Misconfig.Documents;

namespace ZeroDrift.Misconfig.Iac;

/// <summary>Rewriting value trees (intrinsic functions, template expressions). Trees come from the bounded parsers,
/// so their depth is already within the scan's nesting limit.</summary>
internal static class Trees
{
    public static DocNode Rewrite(DocNode node, Func<DocNode, DocNode?> replace)
    {
        if (replace(node) is { } replaced) return replaced;
        return node switch
        {
            MapNode m => m with { Pairs = [.. m.Pairs.Select(p => p with { Value = Rewrite(p.Value, replace) })] },
            SeqNode q => q with { Children = [.. q.Children.Select(c => Rewrite(c, replace))] },
            _ => node,
        };
    }

    public static MapNode EmptyMap(Mark? at) => new(at, []);
}
