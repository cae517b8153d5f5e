using System.Globalization;

namespace ZeroDrift.Misconfig.Documents;

/// <summary>1-based line and column of a node in its source; absent for documents that came from JSON without positions.</summary>
public readonly record struct Mark(int Line, int Column);

public enum ScalarType
{
    String,
    Bool,
    Int,
    Float,
    Null,

    /// <summary>A value known only when infrastructure code is applied (a reference, a function of one): the text keeps
    /// the expression; checks treat it as neither true nor false.</summary>
    Unknown,
}

/// <summary>
/// A parsed YAML or JSON document as a small tree that keeps source positions: the object model the checks and
/// <see cref="Kubernetes.PodSecurityStandards"/> read. One model serves manifests from files (YAML, with lines and
/// columns for findings) and AdmissionReview objects (JSON) alike.
/// </summary>
public abstract record DocNode(Mark? Start)
{
    /// <summary>The value under <paramref name="key"/> when this is a mapping; null otherwise.</summary>
    public DocNode? this[string key] => this is MapNode m ? m.Get(key) : null;

    public string? Str => this is ScalarNode { Type: not ScalarType.Null } s ? s.Value : null;

    /// <summary>True/false for booleans (YAML 1.1 spellings too: Kubernetes' parser accepts them); null otherwise.</summary>
    public bool? Bool => this is ScalarNode s ? s.Type == ScalarType.Bool ? ScalarNode.ParseBool(s.Value) : null : null;

    public long? Int => this is ScalarNode { Type: ScalarType.Int or ScalarType.String } s
        && long.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    public IReadOnlyList<DocNode> Items => this is SeqNode q ? q.Children : [];

    public IEnumerable<KeyValuePair<string, DocNode>> Entries => this is MapNode m ? m.Pairs.Select(p => KeyValuePair.Create(p.Key, p.Value)) : [];
}

public sealed record MapEntry(string Key, Mark? KeyMark, DocNode Value);

public sealed record MapNode(Mark? Start, IReadOnlyList<MapEntry> Pairs) : DocNode(Start)
{
    /// <summary>The value of a key; the last one wins when a key repeats, as in Kubernetes' decoder.</summary>
    public DocNode? Get(string key)
    {
        for (var i = Pairs.Count - 1; i >= 0; i--) if (Pairs[i].Key == key) return Pairs[i].Value;
        return null;
    }

    public MapEntry? Entry(string key)
    {
        for (var i = Pairs.Count - 1; i >= 0; i--) if (Pairs[i].Key == key) return Pairs[i];
        return null;
    }
}

public sealed record SeqNode(Mark? Start, IReadOnlyList<DocNode> Children) : DocNode(Start);

public sealed record ScalarNode(Mark? Start, string Value, ScalarType Type) : DocNode(Start)
{
    internal static bool? ParseBool(string v) => v switch
    {
        "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" => true,
        "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" => false,
        _ => null,
    };

    /// <summary>The type a plain (unquoted) YAML scalar resolves to.</summary>
    internal static ScalarType Resolve(string v)
    {
        if (v is "" or "~" or "null" or "Null" or "NULL") return ScalarType.Null;
        if (ParseBool(v) is not null) return ScalarType.Bool;
        if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)) return ScalarType.Int;
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _) && v.Any(char.IsAsciiDigit)) return ScalarType.Float;
        return ScalarType.String;
    }
}
