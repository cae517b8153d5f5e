using System.Collections.Concurrent;
using ZeroDrift.Core.Findings;

namespace ZeroDrift.Scanning.Content;

/// <summary>What the content scanners found, in a stable order, with the problems that did not stop the scan.</summary>
public sealed record ContentResult
{
    public required IReadOnlyList<ContentFinding> Findings { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
    public long FilesScanned { get; init; }
    public long BytesScanned { get; init; }
}

/// <summary>Collects findings and warnings from parallel scans of files, layers and commits.</summary>
public sealed class ContentCollector
{
    private readonly ConcurrentQueue<ContentFinding> _findings = new();
    private readonly ConcurrentQueue<string> _warnings = new();
    private long _files;
    private long _bytes;

    public void Add(ContentFinding finding) => _findings.Enqueue(finding);

    public void Warn(string warning) => _warnings.Enqueue(warning);

    internal void Counted(long bytes)
    {
        Interlocked.Increment(ref _files);
        Interlocked.Add(ref _bytes, bytes);
    }

    public ContentResult Result() => new()
    {
        Findings = _findings
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ThenBy(f => f.Span?.StartLine ?? 0).ThenBy(f => f.Span?.StartColumn ?? 0)
            .ThenBy(f => f.RuleId, StringComparer.Ordinal)
            .ThenBy(f => f.Layer?.Index ?? -1).ThenBy(f => f.Git?.Date ?? default)
            .ToList(),
        Warnings = _warnings.Distinct().Order(StringComparer.Ordinal).ToList(),
        FilesScanned = Interlocked.Read(ref _files),
        BytesScanned = Interlocked.Read(ref _bytes),
    };
}
