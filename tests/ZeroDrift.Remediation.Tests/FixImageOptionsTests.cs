using System.Text.Json;
using System.Text.Json.Nodes;

namespace ZeroDrift.Remediation.Tests;

/// <summary><c>fix --report</c> (an earlier scan instead of a new one) and <c>--all-updates</c>, on the real test repository.</summary>
public sealed class FixImageOptionsTests
{
    private static Dictionary<string, JsonElement> Packages(string stdout)
    {
        using var json = JsonDocument.Parse(stdout);
        return json.RootElement.GetProperty("packages").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.Clone());
    }

    [Fact]
    public void Only_the_vulnerable_packages_by_default_every_newer_one_with_all_updates()
    {
        // base-files 12.4 is installed and not vulnerable; the repository has 12.5.
        using var s = new FixImageTests.Setup(repo => repo.BuildPackage("base-files", "12.5"));
        var vulnerable = s.Fix("--output", "oci-dir:" + s.Output, "--format", "json", "--only-vulnerable");
        Assert.True(vulnerable.ExitCode == 0, vulnerable.Stderr);
        Assert.Equal(["zdtest", "zdtest-common"], Packages(vulnerable.Stdout).Keys.Order(StringComparer.Ordinal));

        var all = s.Work.Combine("all");
        var r = s.Fix("--output", "oci-dir:" + all, "--format", "json", "--all-updates");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var packages = Packages(r.Stdout);
        Assert.Equal(["base-files", "zdtest", "zdtest-common"], packages.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("12.4", packages["base-files"].GetProperty("from").GetString());
        Assert.Equal("12.5", packages["base-files"].GetProperty("to").GetString());
        Assert.Equal([VulnerableImage.AdvisoryId], packages["zdtest"].GetProperty("advisoriesClosed").EnumerateArray().Select(a => a.GetString()!));
        var sbom = Tools.ZeroDrift("sbom", "oci-dir:" + all, "--format", "cyclonedx");
        Assert.Contains("pkg:deb/debian/base-files@12.5", sbom.Stdout);
        Assert.Contains("pkg:deb/debian/zdtest@1.1", sbom.Stdout);
    }

    [Fact]
    public void All_updates_with_only_vulnerable_is_a_usage_error()
    {
        using var s = new FixImageTests.Setup();
        var r = s.Fix("--output", "oci-dir:" + s.Output, "--all-updates", "--only-vulnerable");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--all-updates and --only-vulnerable", r.Stderr);
        s.AssertNothingWritten();
    }

    [Fact]
    public void An_earlier_scan_of_the_same_image_stands_for_the_scan()
    {
        using var s = new FixImageTests.Setup();
        var scan = Tools.ZeroDrift("scan", "oci-dir:" + s.Image, "--db", s.Db, "--format", "json");
        Assert.True(scan.ExitCode is 0 or 1, scan.Stderr);
        var report = s.Work.Combine("scan.json");
        File.WriteAllText(report, scan.Stdout);

        var r = s.Fix("--output", "oci-dir:" + s.Output, "--format", "json", "--report", report);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var packages = Packages(r.Stdout);
        Assert.Equal("1.1", packages["zdtest"].GetProperty("to").GetString());
        Assert.Equal([VulnerableImage.AdvisoryId], packages["zdtest"].GetProperty("advisoriesClosed").EnumerateArray().Select(a => a.GetString()!));
        using var json = JsonDocument.Parse(r.Stdout);
        Assert.True(json.RootElement.GetProperty("rescan").GetProperty("passed").GetBoolean());
    }

    [Fact]
    public void A_report_of_another_image_is_refused_and_nothing_is_written()
    {
        using var s = new FixImageTests.Setup();
        var scan = Tools.ZeroDrift("scan", "oci-dir:" + s.Image, "--db", s.Db, "--format", "json");
        var node = JsonNode.Parse(scan.Stdout)!;
        var digest = node["target"]!["manifestDigest"]!.GetValue<string>();
        node["target"]!["manifestDigest"] = "sha256:" + new string('e', 64);
        var report = s.Work.Combine("other.json");
        File.WriteAllText(report, node.ToJsonString());
        var r = s.Fix("--output", "oci-dir:" + s.Output, "--report", report);
        FixImageTests.AssertOneLineFailure(r, $"is the scan of sha256:{new string('e', 64)}, not of this image ({digest}), refused");
        s.AssertNothingWritten();

        File.WriteAllText(report, "{\"findings\": [");
        FixImageTests.AssertOneLineFailure(s.Fix("--output", "oci-dir:" + s.Output, "--report", report), "not JSON");
        s.AssertNothingWritten();
    }
}
