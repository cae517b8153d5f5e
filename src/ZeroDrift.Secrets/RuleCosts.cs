using System.Diagnostics;

namespace ZeroDrift.Secrets;

/// <summary>
/// Where a scan's time goes, rule by rule (bench's <c>secrets-profile</c>): the windows a rule's keywords opened, the
/// interpreter probe's time over them, the candidates it let through and the linear-time engine's time over those,
/// each first call (the one that builds the engine and compiles its code) kept apart. Off (null) in normal use: the
/// scanner then pays one null check per window. Not thread-safe: the profile scans on one thread.
/// </summary>
internal sealed class RuleCosts(int rules)
{
    public long[] Windows { get; } = new long[rules];
    public long[] WindowChars { get; } = new long[rules];
    public long[] ProbeTicks { get; } = new long[rules];
    public long[] FirstProbeTicks { get; } = new long[rules];
    public long[] Candidates { get; } = new long[rules];
    public long[] MatchTicks { get; } = new long[rules];
    public long[] FirstMatchTicks { get; } = new long[rules];
    public long[] Findings { get; } = new long[rules];
    /// <summary>Of <see cref="MatchTicks"/>: the allowlists' time (a match that reaches them passed the entropy floor).</summary>
    public long[] AllowTicks { get; } = new long[rules];
    public long[] AllowChecks { get; } = new long[rules];
    public long KeywordTicks { get; set; }
    public long KeywordChars { get; set; }

    public static long Now => Stopwatch.GetTimestamp();

    public void Probe(int rule, int chars, long ticks, bool candidate)
    {
        if (Windows[rule]++ == 0) FirstProbeTicks[rule] = ticks;
        WindowChars[rule] += chars;
        ProbeTicks[rule] += ticks;
        if (candidate) Candidates[rule]++;
    }

    public void Allow(int rule, long ticks)
    {
        AllowTicks[rule] += ticks;
        AllowChecks[rule]++;
    }

    public void Match(int rule, long ticks, int findings)
    {
        if (MatchTicks[rule] == 0) FirstMatchTicks[rule] = ticks;
        MatchTicks[rule] += ticks;
        Findings[rule] += findings;
    }
}
