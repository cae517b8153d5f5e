namespace ZeroDrift.Core;

/// <summary>
/// How severe a finding is, on the CVSS v3/v4 qualitative scale (None, Low, Medium, High, Critical).
/// Ordered so that comparisons work: <c>severity &gt;= Severity.High</c>. <see cref="Unknown"/> sorts lowest:
/// nothing said how severe it is, which is not the same as "no impact" (<see cref="None"/>).
/// </summary>
public enum Severity
{
    Unknown,
    None,
    Low,
    Medium,
    High,
    Critical,
}
