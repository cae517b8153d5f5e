namespace ZeroDrift.Sensor;

/// <summary>
/// The Falco event types (<c>evt.type</c>) the agent reports to rules: the one list that says what a rule can see.
/// Execs are reported as <c>execve</c> (execveat too), every open as <c>openat</c> (open, creat and openat2 too),
/// accept4 as <c>accept</c>; the notable syscalls under their own names. <c>socket</c> is reported for families
/// other than AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK only (those sockets are seen through connect, bind, listen and
/// accept); <c>dup</c>, <c>dup2</c> and <c>dup3</c> only for a socket duplicated onto descriptor 0, 1 or 2 (what Falco's
/// rules ask of them; a file or pipe dup'ed there is every shell's redirection). Kept true by construction: the notable names come from <see cref="NotableSyscalls.X64"/>.
/// </summary>
public static class CapturedEventTypes
{
    /// <summary>The event types with a record of their own (exec, open, network records).</summary>
    public static readonly IReadOnlyList<string> FromRecords = ["execve", "openat", "connect", "accept", "bind", "listen"];

    public static readonly IReadOnlySet<string> Names =
        new HashSet<string>(FromRecords.Concat(NotableSyscalls.X64.Select(e => e.Name)), StringComparer.Ordinal);
}
