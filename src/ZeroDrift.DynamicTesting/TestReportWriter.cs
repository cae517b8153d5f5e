using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ZeroDrift.Core;
using ZeroDrift.Runtime.Profiles;

namespace ZeroDrift.DynamicTesting;

/// <summary>The test's report as JSON (documented in docs/testing.md) and as SARIF 2.1.0.</summary>
public static class TestReportWriter
{
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void WriteJson(TestReport report, Severity failAt, Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, Options);
        w.WriteStartObject();
        w.WriteString("schema", "zerodrift.dev/test-report/v1");
        w.WriteString("image", report.Image);
        w.WriteString("imageId", report.ImageId);
        if (report.Profile?.Identity.ImageDigest is { } digest) w.WriteString("imageDigest", digest);
        w.WriteBoolean("passed", !report.Fails(failAt));
        w.WriteString("failAt", failAt.ToString().ToUpperInvariant());
        w.WriteStartObject("sandbox");
        w.WriteString("container", report.Sandbox.Container);
        w.WriteString("network", report.Sandbox.Network);
        w.WriteBoolean("networkInternal", report.Sandbox.NetworkInternal);
        w.WriteString("address", report.Sandbox.Address);
        w.WriteString("started", report.Sandbox.Started.ToString("O", CultureInfo.InvariantCulture));
        w.WriteNumber("observedSeconds", Math.Round(report.Sandbox.Observed.TotalSeconds, 3));
        if (report.Sandbox.ContainerExitCode is { } exit) w.WriteNumber("containerExitCode", exit);
        w.WriteEndObject();
        if (report.Exercise is { } e)
        {
            w.WriteStartObject("exercise");
            w.WriteString("script", e.Script);
            if (e.ExitCode is { } code) w.WriteNumber("exitCode", code); else w.WriteNull("exitCode");
            w.WriteNumber("seconds", Math.Round(e.Elapsed.TotalSeconds, 3));
            w.WriteString("output", e.Output.Length > 4096 ? e.Output[^4096..] : e.Output);
            w.WriteEndObject();
        }
        w.WriteNumber("httpRequests", report.HttpRequests);
        w.WriteNumber("openApiOperations", report.OpenApiOperations);
        w.WriteString("rules", report.Rules);
        w.WriteStartObject("behaviour");
        var p = report.Profile;
        w.WriteStartArray("processes");
        foreach (var x in p?.Processes ?? [])
        {
            w.WriteStartObject();
            w.WriteString("executable", x.Executable);
            if (x.Name is not null) w.WriteString("name", x.Name);
            if (x.Parent is not null) w.WriteString("parent", x.Parent);
            if (x.User is not null) w.WriteString("user", x.User);
            if (x.Sha256 is not null) w.WriteString("sha256", x.Sha256);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("files");
        foreach (var f in p?.Files ?? [])
        {
            w.WriteStartObject();
            w.WriteString("path", f.Path);
            w.WriteString("access", f.Access.ToString().ToLowerInvariant());
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("connections");
        foreach (var n in p?.Network ?? [])
        {
            w.WriteStartObject();
            w.WriteString("direction", n.Direction.ToString().ToLowerInvariant());
            w.WriteString("protocol", n.Protocol);
            w.WriteString("peer", n.Peer);
            w.WriteNumber("port", n.Port);
            if (n.DnsName is not null) w.WriteString("dnsName", n.DnsName);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("syscalls");
        foreach (var s in p?.Syscalls ?? []) w.WriteStringValue(s);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartArray("findings");
        foreach (var f in report.Findings)
        {
            w.WriteStartObject();
            w.WriteString("kind", f.Kind.ToString().ToLowerInvariant());
            w.WriteString("id", f.Id);
            w.WriteString("severity", f.Severity.ToString().ToUpperInvariant());
            w.WriteString("title", f.Title);
            w.WriteString("detail", f.Detail);
            if (f.Evidence is not null) w.WriteString("evidence", f.Evidence);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void WriteSarif(TestReport report, Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, Options);
        w.WriteStartObject();
        w.WriteString("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
        w.WriteString("version", "2.1.0");
        w.WriteStartArray("runs");
        w.WriteStartObject();
        w.WriteStartObject("tool");
        w.WriteStartObject("driver");
        w.WriteString("name", "zerodrift");
        w.WriteString("informationUri", "https://github.com/zerodrift/zerodrift");
        w.WriteStartArray("rules");
        var rules = report.Findings.GroupBy(f => f.Id, StringComparer.Ordinal).Select(g => g.First()).ToList();
        foreach (var r in rules)
        {
            w.WriteStartObject();
            w.WriteString("id", r.Id);
            w.WriteStartObject("shortDescription");
            w.WriteString("text", r.Title);
            w.WriteEndObject();
            w.WriteStartObject("defaultConfiguration");
            w.WriteString("level", Level(r.Severity));
            w.WriteEndObject();
            w.WriteStartObject("properties");
            w.WriteStartArray("tags");
            w.WriteStringValue("dynamic-test");
            w.WriteStringValue(r.Kind.ToString().ToLowerInvariant());
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartArray("results");
        foreach (var f in report.Findings)
        {
            w.WriteStartObject();
            w.WriteString("ruleId", f.Id);
            w.WriteNumber("ruleIndex", rules.FindIndex(r => r.Id == f.Id));
            w.WriteString("level", Level(f.Severity));
            w.WriteStartObject("message");
            w.WriteString("text", f.Detail + (f.Evidence is null ? "" : $" ({f.Evidence})"));
            w.WriteEndObject();
            w.WriteStartArray("locations");
            w.WriteStartObject();
            w.WriteStartArray("logicalLocations");
            w.WriteStartObject();
            w.WriteString("name", report.Image);
            w.WriteString("fullyQualifiedName", report.Image + "@" + report.ImageId);
            w.WriteString("kind", "module");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartObject("partialFingerprints");
            w.WriteString("zerodrift/v1", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{report.ImageId}|{f.Id}|{f.Detail}")))[..32]);
            w.WriteEndObject();
            w.WriteStartObject("properties");
            w.WriteString("severity", f.Severity.ToString().ToUpperInvariant());
            w.WriteString("kind", f.Kind.ToString().ToLowerInvariant());
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static string Level(Severity s) => s switch
    {
        Severity.Critical or Severity.High => "error",
        Severity.Medium => "warning",
        _ => "note",
    };

    /// <summary>A plain-text summary for a terminal: the sandbox, the behaviour in counts and lists, the findings.</summary>
    public static void WriteTable(TestReport report, Severity failAt, TextWriter w)
    {
        var p = report.Profile;
        w.WriteLine($"zerodrift test {report.Image}: {(report.Fails(failAt) ? "FAILED" : "passed")} ({report.Findings.Count} finding{(report.Findings.Count == 1 ? "" : "s")})");
        w.WriteLine($"  sandbox  {report.Sandbox.Container} at {report.Sandbox.Address}, internal network {report.Sandbox.Network}, observed {report.Sandbox.Observed.TotalSeconds:0.0} s");
        if (report.Exercise is { } e) w.WriteLine($"  exercise {e.Script}: {(e.ExitCode is { } c ? "exit " + c.ToString(CultureInfo.InvariantCulture) : "stopped at the end of the duration")}");
        w.WriteLine($"  http     {report.HttpRequests} requests, {report.OpenApiOperations} OpenAPI operations");
        w.WriteLine($"  rules    {report.Rules}");
        w.WriteLine($"  seen     {p?.Processes.Count ?? 0} processes, {p?.Files.Count ?? 0} files, {p?.Network.Count ?? 0} connections, {p?.Syscalls.Count ?? 0} syscalls");
        foreach (var x in p?.Processes ?? []) w.WriteLine($"    exec    {x.Executable}{(x.Name is null ? "" : $" ({x.Name})")} <- {x.Parent ?? "?"} as {x.User ?? "?"}");
        foreach (var n in p?.Network ?? []) w.WriteLine($"    {n.Direction.ToString().ToLowerInvariant(),-7} {n.Protocol} {n.DnsName ?? n.Peer}:{n.Port}");
        w.WriteLine();
        if (report.Findings.Count == 0)
        {
            w.WriteLine("No findings.");
            return;
        }
        foreach (var f in report.Findings)
        {
            w.WriteLine($"{f.Severity.ToString().ToUpperInvariant(),-8} {f.Kind.ToString().ToLowerInvariant(),-7} {f.Id}{(f.Title == f.Id ? "" : ": " + f.Title)}");
            w.WriteLine($"         {f.Detail}");
            if (f.Evidence is not null) w.WriteLine($"         {f.Evidence}");
        }
    }

    /// <summary>The profile as the YAML <c>zerodrift profile import</c> reads.</summary>
    public static string ProfileYamlOf(BehaviourProfile profile) => ProfileYaml.Export(profile);
}
