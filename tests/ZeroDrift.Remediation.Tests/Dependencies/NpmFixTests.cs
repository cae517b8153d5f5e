using System.Text.Json;
using ZeroDrift.Remediation.Dependencies;

namespace ZeroDrift.Remediation.Tests.Dependencies;

/// <summary>package.json ranges, package-lock.json v3 entries and overrides for transitive packages.</summary>
[Collection(AdvisoryCollection.Name)]
public sealed class NpmFixTests(AdvisoryDatabase db)
{
    private const string Manifest = """
        {
          "name": "app",
          "version": "1.0.0",
          "dependencies": {
            "lodash": "^4.17.15",
            "mkdirp": "0.5.5"
          }
        }

        """;

    // As npm 10 writes it for that manifest (integrity values from the registry).
    private const string Lock = """
        {
          "name": "app",
          "version": "1.0.0",
          "lockfileVersion": 3,
          "requires": true,
          "packages": {
            "": {
              "name": "app",
              "version": "1.0.0",
              "dependencies": {
                "lodash": "^4.17.15",
                "mkdirp": "0.5.5"
              }
            },
            "node_modules/lodash": {
              "version": "4.17.15",
              "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.15.tgz",
              "integrity": "sha512-8xOcRHvCjnocdS5cpwXQXVzmmh5e5+saE2QGoeQmbKmRS6J3VQppPOIt0MnmE+4xlZoumy0GPG0D0MVIQbNA1A=="
            },
            "node_modules/minimist": {
              "version": "1.2.5",
              "resolved": "https://registry.npmjs.org/minimist/-/minimist-1.2.5.tgz",
              "integrity": "sha512-FM9nNUYrRBAELZQT3xeZQ7fmMOBg6nWNmJKTcgsJeaLstP/UODVpGsr5OhXhhXg6f+qtJ8uiZ+PUxkDWcgIXLw==",
              "license": "MIT"
            },
            "node_modules/mkdirp": {
              "version": "0.5.5",
              "resolved": "https://registry.npmjs.org/mkdirp/-/mkdirp-0.5.5.tgz",
              "integrity": "sha512-NKmAlESf6jMGym1++R0Ra7wvhV+wFW63FaSOFPwRahvea0gMUcGUhVeAg/0BC0wiv9ih5NYPB1Wn1UEI1/L+xQ==",
              "dependencies": {
                "minimist": "^1.2.5"
              },
              "bin": {
                "mkdirp": "bin/cmd.js"
              }
            }
          }
        }

        """;

    [Fact]
    public void Range_lock_entry_and_an_override_for_the_transitive_package_close_every_finding()
    {
        using var tree = new TempDir();
        tree.File("package.json", Manifest);
        tree.File("package-lock.json", Lock);

        var plan = FixHarness.Apply(db, tree.Path);

        var lodash = FixHarness.Upgrade(plan, "lodash");
        Assert.Equal(("4.17.15", "4.17.21"), (lodash.From, lodash.To));
        Assert.Equal(["CVE-2020-28500", "CVE-2020-8203", "CVE-2021-23337"], lodash.Advisories);
        Assert.Equal(("1.2.5", "1.2.6"), (FixHarness.Upgrade(plan, "minimist").From, FixHarness.Upgrade(plan, "minimist").To));

        using var manifest = JsonDocument.Parse(File.ReadAllText(tree.Combine("package.json")));
        Assert.Equal("^4.17.21", manifest.RootElement.GetProperty("dependencies").GetProperty("lodash").GetString());
        Assert.Equal("1.2.6", manifest.RootElement.GetProperty("overrides").GetProperty("minimist").GetString());
        using var lockDocument = JsonDocument.Parse(File.ReadAllText(tree.Combine("package-lock.json")));
        var packages = lockDocument.RootElement.GetProperty("packages");
        Assert.Equal("4.17.21", packages.GetProperty("node_modules/lodash").GetProperty("version").GetString());
        Assert.Equal("https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz", packages.GetProperty("node_modules/lodash").GetProperty("resolved").GetString());
        Assert.False(packages.GetProperty("node_modules/lodash").TryGetProperty("integrity", out _));
        Assert.Equal("MIT", packages.GetProperty("node_modules/minimist").GetProperty("license").GetString());
        Assert.Equal("^4.17.21", packages.GetProperty("").GetProperty("dependencies").GetProperty("lodash").GetString());
        // Untouched entries keep their bytes.
        Assert.Contains("\"integrity\": \"sha512-NKmAlESf6jMGym1++R0Ra7wvhV+wFW63FaSOFPwRahvea0gMUcGUhVeAg/0BC0wiv9ih5NYPB1Wn1UEI1/L+xQ==\"", File.ReadAllText(tree.Combine("package-lock.json")), StringComparison.Ordinal);
        Assert.Empty(FixHarness.Findings(db, tree.Path));
    }

    [ToolFact("npm", "https://registry.npmjs.org/lodash")]
    public void Npm_accepts_the_fixed_tree_and_refills_the_lock()
    {
        using var tree = new TempDir();
        tree.File("package.json", Manifest);
        tree.File("package-lock.json", Lock);
        // npm takes the starting tree as it is (its lock is consistent with its manifest).
        var (before, log) = Tools.Run(tree.Path, "npm", "ls", "--package-lock-only", "--all");
        Assert.True(before == 0, log);

        var plan = FixHarness.Apply(db, tree.Path);
        var lines = NpmLockTool.Refresh(plan, CancellationToken.None);
        Assert.Contains("refreshed package-lock.json", Assert.Single(lines), StringComparison.Ordinal);

        var (code, output) = Tools.Run(tree.Path, "npm", "ls", "--package-lock-only", "--all", "--json");
        Assert.True(code == 0, output);
        using var tree_ = JsonDocument.Parse(output);
        var dependencies = tree_.RootElement.GetProperty("dependencies");
        Assert.Equal("4.17.21", dependencies.GetProperty("lodash").GetProperty("version").GetString());
        Assert.Equal("1.2.6", dependencies.GetProperty("mkdirp").GetProperty("dependencies").GetProperty("minimist").GetProperty("version").GetString());
        // npm wrote the integrity the fixer had to drop.
        Assert.Contains("\"integrity\"", File.ReadAllText(tree.Combine("package-lock.json")), StringComparison.Ordinal);
        Assert.Empty(FixHarness.Findings(db, tree.Path));
    }
}
