namespace ZeroDrift.Runtime.Rules;

/// <summary>Whether a loaded rule runs, and if not, why.</summary>
public enum RuleState
{
    /// <summary>Compiled with every field bound and able to fire; fully evaluated unless <see cref="RuleStatus.Gaps"/> lists
    /// what it needs that the source does not capture (then it is partly evaluated).</summary>
    Evaluated,
    /// <summary>Compiles, but the rule file disabled it (<c>enabled: false</c>).</summary>
    DisabledByFile,
    /// <summary>Not for the syscall source (k8s_audit, a plugin's source): not evaluated by ZeroDrift.</summary>
    OtherSource,
    /// <summary>Uses a field the binding does not provide.</summary>
    MissingField,
    /// <summary>A syntax error, an undefined macro or list, a bad value or operator, a broken definition.</summary>
    Invalid,
    /// <summary>Compiles, but cannot fire: every event type it needs is uncaptured, or fields it requires are always empty.</summary>
    NotCaptured,
    /// <summary>
    /// Compiles, but its condition is false for every event whatever the event holds: the file ships it behind a
    /// placeholder macro (<c>k8s_audit_never_true</c>) for the user to override.
    /// </summary>
    NeverTrue,
}

/// <summary>What happened to one rule when the set was compiled.</summary>
public sealed record RuleStatus(string Name, string File, RuleState State, string? Reason, EventTypeSet? EventTypes, IReadOnlyList<string> OutputWarnings)
{
    /// <summary>The rule runs and can fire.</summary>
    public bool IsEvaluated => State == RuleState.Evaluated;

    /// <summary>The rule runs, can fire, and nothing it reads is left uncaptured.</summary>
    public bool IsFullyEvaluated => IsEvaluated && Gaps.Count == 0;

    /// <summary>What the rule needs that the source does not capture (event types, empty fields, missing arguments).</summary>
    public IReadOnlyList<string> Gaps { get; init; } = [];
}

/// <summary>A rule ready to run: its compiled condition and output, and what the alert carries.</summary>
public sealed class CompiledRule<TEvent>
{
    public required RuleDefinition Definition { get; init; }
    public required Func<TEvent, bool> Condition { get; init; }
    public required OutputTemplate<TEvent> Output { get; init; }
    public required EventTypeSet EventTypes { get; init; }
    /// <summary>Position in the rule files; matches are reported in this order.</summary>
    public int Order { get; init; }
    public string Name => Definition.Name;

    /// <summary>The Falco-compatible alert for an event this rule matched.</summary>
    public Alert CreateAlert(TEvent e, long unixTimeNanoseconds, string hostname)
    {
        var (message, fields) = Output.Format(e);
        var time = DateTimeOffset.FromUnixTimeMilliseconds(unixTimeNanoseconds / 1_000_000);
        var prefix = $"{time:HH:mm:ss}.{unixTimeNanoseconds % 1_000_000_000:D9}: {Definition.Priority} ";
        return new Alert(unixTimeNanoseconds, Definition.Name, Definition.Priority, prefix + message, fields, Definition.Source, Definition.Tags, hostname);
    }
}

/// <summary>
/// A compiled rule set over one event type. Rules are indexed by the event types their conditions can match (as
/// Falco indexes them), so an event only meets the rules that could fire for its <c>evt.type</c>. Evaluation of an
/// event that matches nothing allocates nothing.
/// </summary>
public sealed class RuleEngine<TEvent>
{
    private readonly Dictionary<string, CompiledRule<TEvent>[]> _byType;
    private readonly CompiledRule<TEvent>[] _otherTypes;
    private readonly Func<TEvent, string?>? _eventType;
    private readonly CompiledRule<TEvent>[] _all;

    public IReadOnlyList<CompiledRule<TEvent>> Rules { get; }
    public IReadOnlyList<RuleStatus> Statuses { get; }

    private RuleEngine(IReadOnlyList<CompiledRule<TEvent>> rules, IReadOnlyList<RuleStatus> statuses, Func<TEvent, string?>? eventType)
    {
        Rules = rules;
        _all = [.. rules];
        Statuses = statuses;
        _eventType = eventType;
        var types = rules.SelectMany(r => r.EventTypes.Types).ToHashSet(StringComparer.Ordinal);
        _byType = types.ToDictionary(t => t, t => rules.Where(r => r.EventTypes.Contains(t)).ToArray(), StringComparer.Ordinal);
        // Any type no rule names is matched only by rules of the "all but …" kind.
        _otherTypes = [.. rules.Where(r => r.EventTypes.AllExcept)];
        if (eventType is null) _otherTypes = [.. rules];
    }

    /// <summary>
    /// Compiles every enabled syscall rule of <paramref name="set"/> against <paramref name="fields"/>. With
    /// <paramref name="capture"/>, a rule that cannot fire under it is not run (<see cref="RuleState.NotCaptured"/>), and
    /// one that can but reads something uncaptured says so in <see cref="RuleStatus.Gaps"/>.
    /// </summary>
    /// <remarks>
    /// <paramref name="source"/> is the rules' <c>source:</c> this event type serves (syscall for the agent's events,
    /// k8s_audit and aws_cloudtrail for the audit inputs); rules of other sources are listed as
    /// <see cref="RuleState.OtherSource"/> so every engine reports every rule, in file order.
    /// </remarks>
    public static RuleEngine<TEvent> Compile(RuleSet set, FieldTable<TEvent> fields, CaptureProfile? capture = null, string source = "syscall")
    {
        var compiler = new ConditionCompiler<TEvent>(fields);
        var rules = new List<CompiledRule<TEvent>>();
        var statuses = new List<RuleStatus>();
        var order = 0;
        foreach (var definition in set.Rules)
        {
            order++;
            if (definition.Source != source)
            {
                statuses.Add(new(definition.Name, definition.File, RuleState.OtherSource, source == "syscall"
                    ? $"needs plugin source '{definition.Source}', which the agent does not capture (only syscall events)"
                    : $"needs source '{definition.Source}', not '{source}'", null, []));
                continue;
            }
            if (definition.DefinitionError is { } broken)
            {
                statuses.Add(new(definition.Name, definition.File, RuleState.Invalid, broken, null, []));
                continue;
            }
            try
            {
                var resolver = new ConditionResolver(set);
                Expr parsed;
                try
                {
                    parsed = ConditionParser.Parse(definition.Condition);
                }
                catch (ConditionSyntaxException e)
                {
                    throw new RuleCompileException($"syntax error: {e.Message}");
                }
                var expr = resolver.Resolve(WithExceptions(parsed, definition));
                var condition = compiler.Compile(expr);
                var output = OutputTemplate<TEvent>.Compile(definition.Output, fields);
                var eventTypes = EventTypeSet.Of(expr);
                var outputWarnings = output.MissingFields.Select(f => $"output field '{f}' is not provided by ZeroDrift (prints <NA>)").ToList();
                // Plugin sources have no evt.type: their rules run for every event of the source, as in Falco.
                if (eventTypes.IsAny && definition.WarnEventTypes && source == "syscall")
                    outputWarnings.Add("condition does not restrict evt.type: the rule runs for every event");
                if (!definition.Enabled)
                {
                    statuses.Add(new(definition.Name, definition.File, RuleState.DisabledByFile, "disabled in the rule file (enabled: false)", eventTypes, outputWarnings));
                    continue;
                }
                var assessment = capture is null ? CaptureAssessment.Complete : CaptureAnalysis.Assess(expr, eventTypes, capture);
                if (!assessment.CanFire && assessment.Missing.Count == 0)
                {
                    statuses.Add(new(definition.Name, definition.File, RuleState.NeverTrue,
                        "its condition is false for every event (a placeholder macro the file leaves for you to override)", eventTypes, outputWarnings));
                    continue;
                }
                if (!assessment.CanFire)
                {
                    statuses.Add(new(definition.Name, definition.File, RuleState.NotCaptured, "cannot fire: " + string.Join("; ", assessment.Missing), eventTypes, outputWarnings)
                        { Gaps = assessment.Missing });
                    continue;
                }
                rules.Add(new CompiledRule<TEvent> { Definition = definition, Condition = condition, Output = output, EventTypes = eventTypes, Order = order });
                statuses.Add(new(definition.Name, definition.File, RuleState.Evaluated, null, eventTypes, outputWarnings) { Gaps = assessment.Missing });
            }
            catch (RuleCompileException e)
            {
                var state = e.MissingField is not null ? RuleState.MissingField : RuleState.Invalid;
                var reason = e.MissingField is not null && definition.SkipIfUnknownFilter ? e.Message + " (skip-if-unknown-filter)" : e.Message;
                statuses.Add(new(definition.Name, definition.File, state, reason, null, []));
            }
            catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or InvalidOperationException)
            {
                // A rule is input: whatever it trips over disables it, never the rule set.
                statuses.Add(new(definition.Name, definition.File, RuleState.Invalid, $"cannot compile: {e.Message}", null, []));
            }
        }
        var typeField = fields.Bind(new FieldRef("evt.type", null, []), out _);
        return new RuleEngine<TEvent>(rules, statuses, typeField?.Kind == FieldKind.String ? typeField.String : null);
    }

    /// <summary>
    /// Falco's exceptions as condition: <c>(condition) and not (exception1 or exception2 …)</c>, each exception the
    /// disjunction of its value tuples, each tuple the conjunction of <c>field comp value</c>.
    /// </summary>
    private static Expr WithExceptions(Expr condition, RuleDefinition rule)
    {
        var alternatives = new List<Expr>();
        foreach (var ex in rule.Exceptions)
        {
            List<FieldRef> fields;
            try
            {
                fields = [.. ex.Fields.Select(ConditionParser.ParseField)];
            }
            catch (ConditionSyntaxException e)
            {
                throw new RuleCompileException($"exception '{ex.Name}': {e.Message}");
            }
            foreach (var comp in ex.Comps)
                if (!ConditionParser.Operators.Contains(comp) && comp != "==")
                    throw new RuleCompileException($"exception '{ex.Name}': '{comp}' is not a comparison operator");
            foreach (var value in ex.Values)
            {
                if (ex.SingleField)
                {
                    alternatives.Add(Check(fields[0], ex.Comps[0], value.Elements[0], value.IsList[0]));
                    continue;
                }
                var checks = new List<Expr>();
                for (var i = 0; i < fields.Count; i++) checks.Add(Check(fields[i], ex.Comps[i], value.Elements[i], value.IsList[i]));
                alternatives.Add(checks.Count == 1 ? checks[0] : new AndExpr(checks));
            }
        }
        if (alternatives.Count == 0) return condition;
        var excluded = alternatives.Count == 1 ? alternatives[0] : new OrExpr(alternatives);
        return new AndExpr([condition, new NotExpr(excluded)]);
    }

    private static CheckExpr Check(FieldRef field, string comp, IReadOnlyList<string> values, bool isList)
    {
        Operand operand = isList || comp is "in" or "intersects" or "pmatch"
            ? new ListOperand(values)
            : new ValueOperand(values.Count > 0 ? values[0] : "");
        return new CheckExpr(field, comp, comp == "exists" ? null : operand);
    }

    /// <summary>The rules that can match an event of this type, in file order.</summary>
    public ReadOnlySpan<CompiledRule<TEvent>> Candidates(TEvent e)
    {
        if (_eventType is null) return _otherTypes;
        var type = _eventType(e);
        return type is not null && _byType.TryGetValue(type, out var rules) ? rules : _otherTypes;
    }

    /// <summary>The first rule (in file order) that matches, as Falco's default <c>rule_matching: first</c>.</summary>
    public CompiledRule<TEvent>? FirstMatch(TEvent e)
    {
        foreach (var rule in Candidates(e))
            if (rule.Condition(e)) return rule;
        return null;
    }

    /// <summary>The first match without the event-type index: every rule runs. Only the benchmark's reference uses it.</summary>
    internal CompiledRule<TEvent>? FirstMatchUnindexed(TEvent e)
    {
        foreach (var rule in _all)
            if (rule.Condition(e)) return rule;
        return null;
    }

    /// <summary>Every matching rule (Falco's <c>rule_matching: all</c>), appended to <paramref name="matches"/>.</summary>
    public int AllMatches(TEvent e, List<CompiledRule<TEvent>> matches)
    {
        var count = 0;
        foreach (var rule in Candidates(e))
        {
            if (!rule.Condition(e)) continue;
            matches.Add(rule);
            count++;
        }
        return count;
    }
}
