namespace ZeroDrift.Vulnerabilities;

/// <summary>
/// Vulnerability intelligence: the OSV model and its SQLite store, version comparison per ecosystem, CVSS
/// severities, and matching of an inventory's packages against advisories.
/// </summary>
public static class VulnerabilitiesInfo
{
    public const string SchemaName = "zerodrift-osv";
}
