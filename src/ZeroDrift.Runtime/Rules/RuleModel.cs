namespace ZeroDrift.Runtime.Rules;

/// <summary>Falco's priorities, most severe first; names and order as Falco prints them.</summary>
public enum Priority
{
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    Informational,
    Debug,
}

public static class Priorities
{
    /// <summary>Case-insensitive, with Falco's aliases (<c>info</c> for Informational, <c>warn</c> for Warning).</summary>
    public static bool TryParse(string text, out Priority priority)
    {
        switch (text.Trim().ToUpperInvariant())
        {
            case "EMERGENCY": priority = Priority.Emergency; return true;
            case "ALERT": priority = Priority.Alert; return true;
            case "CRITICAL": priority = Priority.Critical; return true;
            case "ERROR": priority = Priority.Error; return true;
            case "WARNING" or "WARN": priority = Priority.Warning; return true;
            case "NOTICE": priority = Priority.Notice; return true;
            case "INFORMATIONAL" or "INFO": priority = Priority.Informational; return true;
            case "DEBUG": priority = Priority.Debug; return true;
            default: priority = Priority.Debug; return false;
        }
    }
}

public sealed record ListDefinition(string Name, IReadOnlyList<string> Items, string File);

public sealed record MacroDefinition(string Name, string Condition, string File);

/// <summary>
/// One entry of a rule's <c>exceptions</c>. <see cref="Fields"/> holds one field when the rule wrote
/// <c>fields: proc.name</c> (then each value is a single value or a list, compared with <c>in</c> by default) and
/// several when it wrote a list (then each value is a tuple, compared with <c>=</c> by default).
/// </summary>
public sealed record RuleException(string Name, IReadOnlyList<string> Fields, bool SingleField, IReadOnlyList<string> Comps, IReadOnlyList<ExceptionValue> Values)
{
    /// <summary>
    /// For an exception given without <c>fields</c> (values appended to an exception defined earlier): the same
    /// values read as single values, used when the earlier definition has a single field.
    /// </summary>
    public IReadOnlyList<ExceptionValue> SingleFieldValues { get; init; } = [];
}

/// <summary>A value tuple of an exception; each element is a scalar or a list of scalars.</summary>
public sealed record ExceptionValue(IReadOnlyList<IReadOnlyList<string>> Elements, IReadOnlyList<bool> IsList);

/// <summary>A rule as loaded from its file(s), after append/override; compiled later against a field table.</summary>
public sealed record RuleDefinition
{
    public required string Name { get; init; }
    public string Condition { get; init; } = "";
    public string Output { get; init; } = "";
    public string Description { get; init; } = "";
    public Priority Priority { get; init; } = Priority.Debug;
    public IReadOnlyList<string> Tags { get; init; } = [];
    public bool Enabled { get; init; } = true;
    public string Source { get; init; } = "syscall";
    public IReadOnlyList<RuleException> Exceptions { get; init; } = [];
    public bool WarnEventTypes { get; init; } = true;
    public bool SkipIfUnknownFilter { get; init; }
    /// <summary>The file that defined the rule (later files may have appended to it).</summary>
    public required string File { get; init; }
    /// <summary>Set when the rule's own definition is broken (a missing key, a bad priority); it stays disabled.</summary>
    public string? DefinitionError { get; init; }
}

/// <summary>What loading one file found: its rules, and warnings that did not stop it.</summary>
public sealed class RuleFileReport(string path)
{
    public string Path { get; } = path;
    /// <summary>Set when the file could not be read as Falco rules at all (not YAML, not a list of items).</summary>
    public string? Error { get; set; }
    public List<string> Warnings { get; } = [];
    /// <summary>Names of the rules this file defined (not those it only appended to or overrode).</summary>
    public List<string> RuleNames { get; } = [];
    public string? RequiredEngineVersion { get; set; }
    public List<(string Name, string Version)> RequiredPlugins { get; } = [];
}

/// <summary>
/// Lists, macros and rules of one or more rule files loaded in order, as Falco merges them: later definitions
/// replace earlier ones, <c>append</c> and <c>override</c> change them.
/// </summary>
public sealed class RuleSet
{
    public Dictionary<string, ListDefinition> Lists { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, MacroDefinition> Macros { get; } = new(StringComparer.Ordinal);
    /// <summary>Rules in definition order: Falco evaluates (and, with first-match, reports) in this order.</summary>
    public List<RuleDefinition> Rules { get; } = [];
    public List<RuleFileReport> Files { get; } = [];

    internal int IndexOf(string name) => Rules.FindIndex(r => r.Name == name);
}
