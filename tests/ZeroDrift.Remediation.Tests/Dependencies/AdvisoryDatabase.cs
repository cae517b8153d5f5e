using ZeroDrift.Vulnerabilities.Database;

namespace ZeroDrift.Remediation.Tests.Dependencies;

/// <summary>
/// One database for the fixer's tests: the real OSV exports of ../shared/data (PyPI, Go, crates.io) and, for the
/// ecosystems the shared data has no export of (npm, NuGet, Maven), records transcribed from the public GitHub
/// advisories they name (ids, aliases and ranges as published).
/// </summary>
public sealed class AdvisoryDatabase : IDisposable
{
    private readonly TempDir _dir = new();

    public VulnerabilityDatabase Database { get; }

    public string Path => Database.Path;

    public AdvisoryDatabase()
    {
        Database = VulnerabilityDatabase.Open(_dir.Combine("vulns.db"), create: true);
        foreach (var ecosystem in new[] { "PyPI", "Go", "crates.io" })
            Database.Import(OsvSourceReader.Read(System.IO.Path.Combine(RepoPaths.SharedData, "osv", ecosystem, "all.zip"), _ => { }), _ => { });
        var records = _dir.Combine("records");
        Directory.CreateDirectory(records);
        foreach (var (id, json) in Transcribed)
            File.WriteAllText(System.IO.Path.Combine(records, id + ".json"), json);
        Database.Import(OsvSourceReader.Read(records, _ => { }), _ => { });
    }

    private static string Record(string id, string alias, string ecosystem, string name, params string[][] ranges) =>
        $$"""
        {"schema_version":"1.6.0","id":"{{id}}","modified":"2024-01-01T00:00:00Z","aliases":["{{alias}}"],
         "affected":[{"package":{"ecosystem":"{{ecosystem}}","name":"{{name}}"},
           "ranges":[{"type":"ECOSYSTEM","events":[{{string.Join(",", ranges.Select(r => "{\"introduced\":\"" + r[0] + "\"},{\"fixed\":\"" + r[1] + "\"}"))}}]}]}]}
        """;

    private static readonly (string Id, string Json)[] Transcribed =
    [
        ("GHSA-p6mc-m468-83gw", Record("GHSA-p6mc-m468-83gw", "CVE-2020-8203", "npm", "lodash", ["3.7.0", "4.17.19"])),
        ("GHSA-35jh-r3h4-6jhm", Record("GHSA-35jh-r3h4-6jhm", "CVE-2021-23337", "npm", "lodash", ["0", "4.17.21"])),
        ("GHSA-29mw-wpgm-hmr9", Record("GHSA-29mw-wpgm-hmr9", "CVE-2020-28500", "npm", "lodash", ["4.0.0", "4.17.21"])),
        ("GHSA-xvch-5gv4-984h", Record("GHSA-xvch-5gv4-984h", "CVE-2021-44906", "npm", "minimist", ["0", "0.2.4"], ["1.0.0", "1.2.6"])),
        ("GHSA-5crp-9r3c-p9vr", Record("GHSA-5crp-9r3c-p9vr", "CVE-2024-21907", "NuGet", "Newtonsoft.Json", ["0", "13.0.1"])),
        ("GHSA-jfh8-c2jp-5v3q", Record("GHSA-jfh8-c2jp-5v3q", "CVE-2021-44228", "Maven", "org.apache.logging.log4j:log4j-core", ["2.0-beta9", "2.3.1"], ["2.4", "2.12.2"], ["2.13.0", "2.15.0"])),
        ("GHSA-7rjr-3q55-vv33", Record("GHSA-7rjr-3q55-vv33", "CVE-2021-45046", "Maven", "org.apache.logging.log4j:log4j-core", ["2.0-beta9", "2.3.1"], ["2.4", "2.12.2"], ["2.13.0", "2.16.0"])),
        ("GHSA-p6xc-xr62-6r2g", Record("GHSA-p6xc-xr62-6r2g", "CVE-2021-45105", "Maven", "org.apache.logging.log4j:log4j-core", ["2.0-alpha1", "2.3.1"], ["2.4", "2.12.3"], ["2.13.0", "2.17.0"])),
        ("GHSA-8489-44mv-ggj8", Record("GHSA-8489-44mv-ggj8", "CVE-2021-44832", "Maven", "org.apache.logging.log4j:log4j-core", ["2.0-beta7", "2.3.2"], ["2.4", "2.12.4"], ["2.13.0", "2.17.1"])),
    ];

    public void Dispose()
    {
        Database.Dispose();
        _dir.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class AdvisoryCollection : ICollectionFixture<AdvisoryDatabase>
{
    public const string Name = "advisory database";
}
