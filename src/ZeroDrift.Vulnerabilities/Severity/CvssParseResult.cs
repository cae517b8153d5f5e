using System.Diagnostics.CodeAnalysis;

namespace ZeroDrift.Vulnerabilities.Severities;

/// <summary>The outcome of parsing a CVSS vector string: the vector, or why the string is not a valid vector.</summary>
public sealed class CvssParseResult
{
    private CvssParseResult(CvssVector? vector, string? error) => (Vector, Error) = (vector, error);

    public CvssVector? Vector { get; }

    /// <summary>A one-line reason, naming the offending metric or value, when the string is not valid.</summary>
    public string? Error { get; }

    [MemberNotNullWhen(true, nameof(Vector))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsValid => Vector is not null;

    internal static CvssParseResult Ok(CvssVector vector) => new(vector, null);

    internal static CvssParseResult Fail(string error) => new(null, error);

    public override string ToString() => IsValid ? Vector.ToString() : "invalid CVSS vector: " + Error;
}
