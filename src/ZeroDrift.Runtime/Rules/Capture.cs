namespace ZeroDrift.Runtime.Rules;

/// <summary>
/// What an event source really fills, beyond the fields its binding names: the event types it produces, the fields
/// that never have a value (bound so that rules using them in an exclusion still load, but empty), fields empty only
/// for some event types (a result the sensor does not read), and the <c>evt.arg</c> names each type carries. A rule
/// is judged against it before it is called evaluated.
/// </summary>
public sealed record CaptureProfile
{
    /// <summary>The <c>evt.type</c> names events carry.</summary>
    public required IReadOnlySet<string> EventTypes { get; init; }

    /// <summary>Fields with no value in any event, with why (shown to the user).</summary>
    public IReadOnlyDictionary<string, string> EmptyFields { get; init; } = new Dictionary<string, string>();

    /// <summary>Fields with no value for the listed event types, with why.</summary>
    public IReadOnlyDictionary<string, (IReadOnlySet<string> Types, string Why)> EmptyForTypes { get; init; } =
        new Dictionary<string, (IReadOnlySet<string>, string)>();

    /// <summary>
    /// Syscalls the source observes but reports under another type's name (open, openat2 and creat as openat): a rule
    /// naming both misses nothing; a rule naming only the first never sees them.
    /// </summary>
    public IReadOnlyDictionary<string, string> ReportedAs { get; init; } = new Dictionary<string, string>();

    /// <summary><c>evt.arg.NAME</c> names per event type; a captured type absent from the map carries none.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> Args { get; init; } = new Dictionary<string, IReadOnlySet<string>>();

    /// <summary>
    /// Event types whose <see cref="Args"/> are all that Falco's event of that type carries: a rule asking such an event
    /// for another argument (<c>evt.arg.name</c> of a rename, in a condition written for unlinkat too) is false there in
    /// Falco as well, so that is no gap in what is captured.
    /// </summary>
    public IReadOnlySet<string> ArgsAsFalco { get; init; } = new HashSet<string>();

    /// <summary>
    /// Number fields every event carries with a value above zero (an audit event's <c>jevt.rawtime</c>, <c>evt.num</c>):
    /// <c>exists</c> and <c>&gt; 0</c> on them are true, <c>= 0</c> false. Falco's audit rule files build their
    /// always-true and never-true placeholder macros from these, so the judge can tell a rule that can never fire.
    /// </summary>
    public IReadOnlySet<string> PositiveNumbers { get; init; } = new HashSet<string>();
}

/// <summary>Whether a rule can fire under a <see cref="CaptureProfile"/>, and what it needs that is not captured.</summary>
public sealed record CaptureAssessment(bool CanFire, IReadOnlyList<string> Missing)
{
    public static readonly CaptureAssessment Complete = new(true, []);
}

/// <summary>
/// Decides whether a resolved condition can be true for any event the source produces: for each captured event type
/// the rule names, the condition is evaluated in three-valued logic with <c>evt.type</c> fixed and every empty field
/// false (a check on a field without value is false in Falco, its <c>not</c> true); any other check is unknown. A
/// rule is said to fire only if some captured type leaves it not false, so <c>zerodrift rules check</c> never calls a
/// rule evaluated that cannot fire. (It may still call a rule able to fire that real events never satisfy: unknown
/// checks are given the benefit of the doubt.)
/// </summary>
public static class CaptureAnalysis
{
    private enum Tri { False, True, Unknown }

    public static CaptureAssessment Assess(Expr condition, EventTypeSet types, CaptureProfile capture)
    {
        var missing = new List<string>();
        IEnumerable<string> candidates;
        if (types.AllExcept)
        {
            candidates = capture.EventTypes.Where(t => !types.Types.Contains(t));
        }
        else
        {
            var uncaptured = new List<string>();
            foreach (var t in types.Types.Where(t => !capture.EventTypes.Contains(t)).Order(StringComparer.Ordinal))
            {
                if (!capture.ReportedAs.TryGetValue(t, out var reported)) uncaptured.Add(t);
                else if (!types.Types.Contains(reported)) missing.Add($"event type {t} arrives as {reported}, which the rule does not match");
            }
            if (uncaptured.Count > 0) missing.Insert(0, $"event type{(uncaptured.Count > 1 ? "s" : "")} {string.Join(", ", uncaptured)} not captured");
            candidates = types.Types.Where(capture.EventTypes.Contains);
        }
        var empties = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var canFire = false;
        foreach (var type in candidates.Order(StringComparer.Ordinal))
            if (Evaluate(condition, type, capture, empties) != Tri.False) canFire = true;
        foreach (var (field, why) in empties) missing.Add($"{field} has no value ({why})");
        return missing.Count == 0 && canFire ? CaptureAssessment.Complete : new CaptureAssessment(canFire, missing);
    }

    private static Tri Evaluate(Expr e, string type, CaptureProfile capture, IDictionary<string, string> empties)
    {
        switch (e)
        {
            case AndExpr a:
            {
                var result = Tri.True;
                foreach (var child in a.Children)
                {
                    var v = Evaluate(child, type, capture, empties);
                    if (v == Tri.False) return Tri.False;
                    if (v == Tri.Unknown) result = Tri.Unknown;
                }
                return result;
            }
            case OrExpr o:
            {
                var result = Tri.False;
                foreach (var child in o.Children)
                {
                    var v = Evaluate(child, type, capture, empties);
                    if (v == Tri.True) return Tri.True;
                    if (v == Tri.Unknown) result = Tri.Unknown;
                }
                return result;
            }
            case NotExpr n:
                return Evaluate(n.Child, type, capture, empties) switch { Tri.True => Tri.False, Tri.False => Tri.True, _ => Tri.Unknown };
            case ConstantExpr c:
                return c.Value ? Tri.True : Tri.False;
            case CheckExpr c:
                if (c.Field is { Name: "evt.type", Argument: null, Transformers.Count: 0 }) return EventType(c, type);
                if (c.Field is { Argument: null, Transformers.Count: 0 } && capture.PositiveNumbers.Contains(c.Field.Name)) return Positive(c);
                // A field without value on either side makes the check false (val(other) included).
                if (AbsentAsInFalco(c.Field, type, capture) || (c.Operand is FieldOperand g && AbsentAsInFalco(g.Field, type, capture))) return Tri.False;
                var empty = Empty(c.Field, type, capture) ?? (c.Operand is FieldOperand f ? Empty(f.Field, type, capture) : null);
                if (empty is null) return Tri.Unknown;
                empties.TryAdd(Describe(c, type, capture), empty);
                return Tri.False;
            default:
                return Tri.Unknown;
        }
    }

    private static Tri EventType(CheckExpr c, string type) => (c.Operator, c.Operand) switch
    {
        ("=" or "==", ValueOperand v) => v.Value == type ? Tri.True : Tri.False,
        ("!=", ValueOperand v) => v.Value != type ? Tri.True : Tri.False,
        ("in", ListOperand l) => l.Items.Contains(type) ? Tri.True : Tri.False,
        _ => Tri.Unknown,
    };

    /// <summary>A check on a number every event has above zero.</summary>
    private static Tri Positive(CheckExpr c) => (c.Operator, c.Operand) switch
    {
        ("exists", _) => Tri.True,
        ("=" or "==" or "<=", ValueOperand { Value: "0" }) => Tri.False,
        ("<", ValueOperand { Value: "0" or "1" }) => Tri.False,
        ("!=" or ">", ValueOperand { Value: "0" }) => Tri.True,
        (">=", ValueOperand { Value: "0" or "1" }) => Tri.True,
        _ => Tri.Unknown,
    };

    /// <summary>An argument Falco's event of this type does not carry either: the check is false in Falco too.</summary>
    private static bool AbsentAsInFalco(FieldRef field, string type, CaptureProfile capture)
    {
        if (!capture.ArgsAsFalco.Contains(type)) return false;
        var key = ArgumentName(field);
        return key is not null && !(capture.Args.TryGetValue(type, out var names) && names.Contains(key));
    }

    private static string? ArgumentName(FieldRef field) =>
        field.Name == "evt.arg" ? field.Argument : field.Name.StartsWith("evt.arg.", StringComparison.Ordinal) ? field.Name["evt.arg.".Length..] : null;

    /// <summary>Why the field has no value for events of this type, or null when it may have one.</summary>
    private static string? Empty(FieldRef field, string type, CaptureProfile capture)
    {
        if (capture.EmptyFields.TryGetValue(field.Name, out var why)) return why;
        if (capture.EmptyForTypes.TryGetValue(field.Name, out var some) && some.Types.Contains(type)) return some.Why;
        var key = ArgumentName(field);
        if (key is null) return null;
        return capture.Args.TryGetValue(type, out var names) && names.Contains(key) ? null : $"{type} events carry no argument '{key}'";
    }

    /// <summary>The field as the user wrote it; an argument missing for one type names the type.</summary>
    private static string Describe(CheckExpr c, string type, CaptureProfile capture)
    {
        var field = Empty(c.Field, type, capture) is not null ? c.Field : ((FieldOperand)c.Operand!).Field;
        return field.Name.StartsWith("evt.arg", StringComparison.Ordinal) ? $"{field} of {type}" : field.ToString();
    }
}
