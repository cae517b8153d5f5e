using System.Net;

namespace ZeroDrift.Runtime.Rules;

/// <summary>The type a field extracts; it decides how right-hand values are parsed and compared.</summary>
public enum FieldKind
{
    String,
    Number,
    Bool,
    /// <summary>An IP address; compared with addresses or CIDR networks (<c>fd.net = 10.0.0.0/8</c>).</summary>
    Ip,
    /// <summary>Several strings (<c>proc.aname</c> without index: every ancestor). See <see cref="ListMatch"/>.</summary>
    List,
}

/// <summary>How a multi-valued field meets an operator.</summary>
public enum ListMatch
{
    /// <summary>The check holds when it holds for any one value (Falco's <c>proc.aname=bash</c>: some ancestor is bash).</summary>
    Any,
    /// <summary>Set semantics: <c>in</c> holds when every value is in the set, <c>intersects</c> when one is; other operators hold for any value.</summary>
    Set,
}

/// <summary>How a field takes an argument.</summary>
public enum FieldArgument
{
    None,
    /// <summary><c>proc.aname[2]</c>: a non-negative index.</summary>
    Index,
    /// <summary><c>container.mount.dest[/etc]</c>, <c>evt.arg[flags]</c>; with dotted form also <c>evt.arg.flags</c>.</summary>
    Key,
}

/// <summary>
/// One field the binding provides: its Falco name, type and accessor. Exactly one accessor is set, matching
/// <see cref="Kind"/> and <see cref="Argument"/>. A null result means "the event has no value for this field"
/// (Falco's extraction failure): every check on it is false, except that <c>not</c> inverts that.
/// </summary>
public sealed class FieldDefinition<TEvent>
{
    public required string Name { get; init; }
    public required FieldKind Kind { get; init; }
    public FieldArgument Argument { get; init; }
    /// <summary>The argument is optional: the field also works bare (then <see cref="Bare"/> is used).</summary>
    public bool ArgumentOptional { get; init; }
    /// <summary>A key may follow the name after a dot (<c>evt.arg.flags</c> means <c>evt.arg[flags]</c>).</summary>
    public bool DottedKey { get; init; }
    public ListMatch ListMatch { get; init; } = ListMatch.Set;
    public string Description { get; init; } = "";

    internal Delegate? Bare { get; init; }
    internal Delegate? Indexed { get; init; }
    internal Delegate? Keyed { get; init; }
}

/// <summary>
/// Binds Falco field names to typed accessors over an event type, so the rule engine compiles conditions against any
/// event shape: <c>table.Add("proc.name", e =&gt; e.ProcessName)</c>. A rule whose condition names a field absent from
/// the table is disabled with a warning naming that field. Accessors must not allocate on the hot path: return
/// values the event already holds.
/// </summary>
public sealed class FieldTable<TEvent>
{
    private readonly Dictionary<string, FieldDefinition<TEvent>> _fields = new(StringComparer.Ordinal);

    public IReadOnlyCollection<FieldDefinition<TEvent>> Fields => _fields.Values;

    public FieldTable<TEvent> Add(string name, Func<TEvent, string?> get, string description = "") =>
        Put(new() { Name = name, Kind = FieldKind.String, Bare = get, Description = description });

    public FieldTable<TEvent> Add(string name, Func<TEvent, long?> get, string description = "") =>
        Put(new() { Name = name, Kind = FieldKind.Number, Bare = get, Description = description });

    public FieldTable<TEvent> Add(string name, Func<TEvent, bool?> get, string description = "") =>
        Put(new() { Name = name, Kind = FieldKind.Bool, Bare = get, Description = description });

    public FieldTable<TEvent> Add(string name, Func<TEvent, IPAddress?> get, string description = "") =>
        Put(new() { Name = name, Kind = FieldKind.Ip, Bare = get, Description = description });

    public FieldTable<TEvent> AddList(string name, Func<TEvent, IReadOnlyList<string>?> get, ListMatch match, string description = "") =>
        Put(new() { Name = name, Kind = FieldKind.List, Bare = get, ListMatch = match, Description = description });

    /// <summary>
    /// A string field taking an index (<c>proc.aname[N]</c>); with <paramref name="any"/> the bare name
    /// (<c>proc.aname</c>) is a list field matching any of its values, or with <paramref name="match"/>
    /// <see cref="ListMatch.Set"/> a plugin's list field (<c>ka.req.pod.containers.image</c>: <c>in</c> means all in).
    /// </summary>
    public FieldTable<TEvent> AddIndexed(string name, Func<TEvent, int, string?> get, Func<TEvent, IReadOnlyList<string>?>? any = null, string description = "",
        ListMatch match = ListMatch.Any) =>
        Put(new()
        {
            Name = name, Kind = FieldKind.String, Argument = FieldArgument.Index, Indexed = get, Bare = any,
            ArgumentOptional = any is not null, ListMatch = match, Description = description,
        });

    public FieldTable<TEvent> AddIndexed(string name, Func<TEvent, int, long?> get, string description = "") =>
        Put(new() { Name = name, Kind = FieldKind.Number, Argument = FieldArgument.Index, Indexed = get, Description = description });

    /// <summary>A string field taking a key (<c>k8s.pod.label[app]</c>); <paramref name="dotted"/> also accepts <c>name.key</c>.</summary>
    public FieldTable<TEvent> AddKeyed(string name, Func<TEvent, string, string?> get, bool dotted = false, string description = "", Func<TEvent, string?>? bare = null) =>
        Put(new()
        {
            Name = name, Kind = FieldKind.String, Argument = FieldArgument.Key, Keyed = get, DottedKey = dotted, Description = description,
            Bare = bare, ArgumentOptional = bare is not null,
        });

    public FieldTable<TEvent> AddKeyed(string name, Func<TEvent, string, long?> get, bool dotted = false, string description = "") =>
        Put(new() { Name = name, Kind = FieldKind.Number, Argument = FieldArgument.Key, Keyed = get, DottedKey = dotted, Description = description });

    public FieldTable<TEvent> AddKeyed(string name, Func<TEvent, string, bool?> get, bool dotted = false, string description = "") =>
        Put(new() { Name = name, Kind = FieldKind.Bool, Argument = FieldArgument.Key, Keyed = get, DottedKey = dotted, Description = description });

    private FieldTable<TEvent> Put(FieldDefinition<TEvent> definition)
    {
        _fields[definition.Name] = definition;
        return this;
    }

    public bool Contains(string name) => _fields.ContainsKey(name);

    /// <summary>
    /// Binds a field reference as written in a condition or an output to a typed accessor with its argument
    /// applied. Returns null with a reason when the field is unknown or its argument does not fit.
    /// </summary>
    internal BoundField<TEvent>? Bind(FieldRef field, out string? reason)
    {
        reason = null;
        var name = field.Name;
        var argument = field.Argument;
        if (!_fields.TryGetValue(name, out var definition))
        {
            // evt.arg.flags → evt.arg[flags]: the longest registered prefix that takes a dotted key.
            var cut = name.LastIndexOf('.');
            while (cut > 0 && definition is null)
            {
                if (_fields.TryGetValue(name[..cut], out var candidate) && candidate.DottedKey && argument is null)
                {
                    definition = candidate;
                    argument = name[(cut + 1)..];
                }
                else cut = name.LastIndexOf('.', cut - 1);
            }
            if (definition is null)
            {
                reason = $"field '{field.Name}' is not provided by ZeroDrift";
                return null;
            }
        }
        var bound = BindArgument(definition, argument, out reason);
        if (bound is null) return null;
        foreach (var transformer in field.Transformers)
        {
            bound = Transform(bound, transformer, out reason);
            if (bound is null) return null;
        }
        return bound;
    }

    private static BoundField<TEvent>? BindArgument(FieldDefinition<TEvent> d, string? argument, out string? reason)
    {
        reason = null;
        if (argument is null)
        {
            if (d.Argument != FieldArgument.None && !d.ArgumentOptional)
            {
                reason = $"field '{d.Name}' requires an argument";
                return null;
            }
            // A bare indexed field (proc.aname) is the list of all its values; a bare keyed field keeps its type.
            var kind = d.Argument == FieldArgument.Index ? FieldKind.List : d.Kind;
            return new BoundField<TEvent>(d.Name, kind, d.Bare!, d.ListMatch);
        }
        switch (d.Argument)
        {
            case FieldArgument.None:
                reason = $"field '{d.Name}' does not take an argument";
                return null;
            case FieldArgument.Index:
                if (!int.TryParse(argument, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
                {
                    reason = $"field '{d.Name}' needs a numeric index, got '{argument}'";
                    return null;
                }
                return d.Kind switch
                {
                    FieldKind.Number => Bound(d, $"{d.Name}[{index}]", (Func<TEvent, int, long?>)d.Indexed!, index),
                    _ => Bound(d, $"{d.Name}[{index}]", (Func<TEvent, int, string?>)d.Indexed!, index),
                };
            default:
                var display = $"{d.Name}[{argument}]";
                return d.Kind switch
                {
                    FieldKind.Number => Bound(d, display, (Func<TEvent, string, long?>)d.Keyed!, argument),
                    FieldKind.Bool => Bound(d, display, (Func<TEvent, string, bool?>)d.Keyed!, argument),
                    _ => Bound(d, display, (Func<TEvent, string, string?>)d.Keyed!, argument),
                };
        }
    }

    private static BoundField<TEvent> Bound<TArg, TValue>(FieldDefinition<TEvent> d, string display, Func<TEvent, TArg, TValue> get, TArg argument) =>
        new(display, d.Kind, (Func<TEvent, TValue>)(e => get(e, argument)), d.ListMatch);

    /// <summary>Falco's field transformers: tolower, toupper, b64 (decode), basename and len.</summary>
    private static BoundField<TEvent>? Transform(BoundField<TEvent> field, string transformer, out string? reason)
    {
        reason = null;
        var display = $"{transformer}({field.Name})";
        if (transformer == "len")
        {
            switch (field.Kind)
            {
                case FieldKind.String:
                    var s = field.String;
                    return new(display, FieldKind.Number, (Func<TEvent, long?>)(e => s(e)?.Length), ListMatch.Set);
                case FieldKind.List:
                    var l = field.List;
                    return new(display, FieldKind.Number, (Func<TEvent, long?>)(e => l(e)?.Count), ListMatch.Set);
            }
            reason = $"transformer 'len' does not apply to {field.Kind.ToString().ToLowerInvariant()} field '{field.Name}'";
            return null;
        }
        Func<string, string> map = transformer switch
        {
            "tolower" => v => v.ToLowerInvariant(),
            "toupper" => v => v.ToUpperInvariant(),
            "basename" => v => v.EndsWith('/') ? "" : v[(v.LastIndexOf('/') + 1)..],
            _ => DecodeBase64,
        };
        switch (field.Kind)
        {
            case FieldKind.String:
                var s = field.String;
                return new(display, FieldKind.String, (Func<TEvent, string?>)(e => s(e) is { } v ? map(v) : null), field.ListMatch);
            case FieldKind.List:
                var l = field.List;
                return new(display, FieldKind.List, (Func<TEvent, IReadOnlyList<string>?>)(e => l(e) is { } v ? v.Select(map).ToArray() : null), field.ListMatch);
        }
        reason = $"transformer '{transformer}' does not apply to {field.Kind.ToString().ToLowerInvariant()} field '{field.Name}'";
        return null;
    }

    /// <summary>b64() decodes; a value that is not base64 extracts nothing, as in libsinsp.</summary>
    private static string DecodeBase64(string value)
    {
        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out var written)
            ? System.Text.Encoding.UTF8.GetString(buffer, 0, written)
            : "";
    }
}

/// <summary>A field with its argument and transformers applied: one typed accessor.</summary>
internal sealed record BoundField<TEvent>(string Name, FieldKind Kind, Delegate Accessor, ListMatch ListMatch)
{
    public Func<TEvent, string?> String => (Func<TEvent, string?>)Accessor;
    public Func<TEvent, long?> Number => (Func<TEvent, long?>)Accessor;
    public Func<TEvent, bool?> Bool => (Func<TEvent, bool?>)Accessor;
    public Func<TEvent, IPAddress?> Ip => (Func<TEvent, IPAddress?>)Accessor;
    public Func<TEvent, IReadOnlyList<string>?> List => (Func<TEvent, IReadOnlyList<string>?>)Accessor;

    /// <summary>The value as Falco prints it in an output, or null when the event has none.</summary>
    public object? Extract(TEvent e) => Kind switch
    {
        FieldKind.String => String(e),
        FieldKind.Number => Number(e),
        FieldKind.Bool => Bool(e),
        FieldKind.Ip => Ip(e)?.ToString(),
        _ => List(e) is { } values ? "(" + string.Join(",", values) + ")" : null,
    };
}
