using System.Text.Json;
using ZeroDrift.Remediation.Dependencies;

namespace ZeroDrift.Remediation.Tests.Dependencies;

/// <summary>Broken or hostile files: a per-file warning, the rest of the fix goes on, nothing written outside the tree.</summary>
[Collection(AdvisoryCollection.Name)]
public sealed class HostileTreeTests(AdvisoryDatabase db)
{
    [Fact]
    public void A_malformed_manifest_is_one_warning_and_the_other_files_are_still_fixed()
    {
        using var tree = new TempDir();
        tree.File("requirements.txt", "jinja2==2.10\n");
        tree.File("web/package.json", "{\"dependencies\": {\"lodash\": \"4.17.15\"");
        tree.File("web/package-lock.json", "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/lodash\": {\n      \"version\": \"4.17.15\"\n    }\n  }\n}\n");
        const string Pom = "<?xml version=\"1.0\"?>\n<!DOCTYPE project [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<project><dependencies><dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.14.1</version><scope>&xxe;</scope></dependency></dependencies></project>\n";
        tree.File("svc/pom.xml", Pom);

        var plan = FixHarness.Apply(db, tree.Path);

        var warning = Assert.Single(plan.Warnings, w => w.StartsWith("web/package.json: not edited:", StringComparison.Ordinal));
        Assert.DoesNotContain('\n', warning);
        Assert.Equal("{\"dependencies\": {\"lodash\": \"4.17.15\"", File.ReadAllText(tree.Combine("web/package.json")));
        Assert.Contains("\"version\": \"4.17.21\"", File.ReadAllText(tree.Combine("web/package-lock.json")), StringComparison.Ordinal);
        Assert.Equal("jinja2==2.11.3\n", File.ReadAllText(tree.Combine("requirements.txt")));
        // A DTD (external entity) is never processed: the pom is left as it was, whatever the catalogers made of it.
        Assert.Equal(Pom, File.ReadAllText(tree.Combine("svc/pom.xml")));
    }

    [Fact]
    public void A_manifest_reached_through_a_link_is_never_written()
    {
        using var outside = new TempDir();
        using var tree = new TempDir();
        var target = outside.File("requirements.txt", "jinja2==2.10\n");
        File.CreateSymbolicLink(tree.Combine("requirements.txt"), target);
        Directory.CreateSymbolicLink(tree.Combine("linked"), outside.Path);

        var plan = FixHarness.Plan(db, tree.Path);
        Assert.Empty(DependencyFixer.Apply(plan));

        Assert.Empty(plan.Changes);
        Assert.Equal("jinja2==2.10\n", File.ReadAllText(target));
    }

    [Fact]
    public void A_file_changed_after_the_plan_is_not_overwritten()
    {
        using var tree = new TempDir();
        tree.File("requirements.txt", "jinja2==2.10\n");
        var plan = FixHarness.Plan(db, tree.Path);
        File.WriteAllText(tree.Combine("requirements.txt"), "jinja2==2.10\nflask==2.3.3\n");

        var warning = Assert.Single(DependencyFixer.Apply(plan));

        Assert.Contains("changed since the fix was planned", warning, StringComparison.Ordinal);
        Assert.Equal("jinja2==2.10\nflask==2.3.3\n", File.ReadAllText(tree.Combine("requirements.txt")));
        Assert.Empty(Directory.GetFiles(tree.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Json_output_names_package_versions_advisories_lines_and_skips()
    {
        using var tree = new TempDir();
        tree.File("requirements.txt", "flask==1.0\njinja2==2.10\n");
        var plan = FixHarness.Plan(db, tree.Path);
        using var stream = new MemoryStream();
        FixJsonWriter.Write(plan, applied: false, stream);

        using var json = JsonDocument.Parse(stream.ToArray());
        var upgrades = json.RootElement.GetProperty("upgrades").EnumerateArray().ToDictionary(u => u.GetProperty("package").GetString()!);
        var jinja = upgrades["jinja2"];
        Assert.Equal(("2.10", "2.11.3", "proposed", false), (jinja.GetProperty("from").GetString(), jinja.GetProperty("to").GetString(), jinja.GetProperty("status").GetString(), jinja.GetProperty("crossesMajor").GetBoolean()));
        Assert.Equal(["CVE-2019-10906", "CVE-2020-28493"], jinja.GetProperty("advisories").EnumerateArray().Select(a => a.GetString()));
        var edit = Assert.Single(jinja.GetProperty("edits").EnumerateArray());
        Assert.Equal(("requirements.txt", 2), (edit.GetProperty("file").GetString(), edit.GetProperty("line").GetInt32()));
        Assert.Equal("not checked", jinja.GetProperty("registry").GetString());
        var flask = upgrades["flask"];
        Assert.Equal(("skipped", true, JsonValueKind.Null), (flask.GetProperty("status").GetString(), flask.GetProperty("crossesMajor").GetBoolean(), flask.GetProperty("to").ValueKind));
        Assert.Contains("--allow-major", flask.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }
}
