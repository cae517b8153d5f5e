using ZeroDrift.Artifacts.FileSystems;
using ZeroDrift.Inventory.Catalogers.Npm;

namespace ZeroDrift.Inventory.Tests.Catalogers;

public sealed class NpmInstalledTests
{
    private readonly NpmInstalledCataloger _cataloger = new();

    [Theory]
    [InlineData("/app/node_modules/chalk/package.json", true)]
    [InlineData("/app/node_modules/@babel/core/package.json", true)]
    [InlineData("/app/node_modules/a/node_modules/b/package.json", true)]
    [InlineData("/usr/lib/node_modules/npm/package.json", true)]
    [InlineData("/app/package.json", false)]
    [InlineData("/app/node_modules/chalk/source/package.json", false)]
    [InlineData("/app/node_modules/@babel/package.json", false)]
    [InlineData("/app/node_modules/.bin/package.json", false)]
    [InlineData("/app/node_modules/.pnpm/package.json", false)]
    [InlineData("/app/node_modules/chalk/package.json.bak", false)]
    public void FileRequired_takes_only_a_package_folders_own_package_json(string path, bool required) =>
        Assert.Equal(required, _cataloger.FileRequired(new FileEntry(path, FileKind.Regular, 100, 0b110_100_100)));

    [Theory]
    [InlineData("""{ "license": "MIT" }""", new[] { "MIT" })]
    [InlineData("""{ "license": { "type": "BSD-3-Clause", "url": "https://opensource.org/licenses/BSD-3-Clause" } }""", new[] { "BSD-3-Clause" })]
    [InlineData("""{ "licenses": [ { "type": "MIT", "url": "x" }, { "type": "Apache-2.0", "url": "y" } ] }""", new[] { "MIT", "Apache-2.0" })]
    [InlineData("""{ "license": ["ISC", "MIT"] }""", new[] { "ISC", "MIT" })]
    [InlineData("""{ "license": "(MIT OR Apache-2.0)" }""", new[] { "(MIT OR Apache-2.0)" })]
    [InlineData("""{ "license": 42 }""", new string[0])]
    public void Licences_in_every_form_package_json_has_used(string licenseFields, string[] expected)
    {
        var json = licenseFields.Replace("{ ", """{ "name": "x", "version": "1.0.0", """, StringComparison.Ordinal);
        var result = LockfileHarness.RunText(_cataloger, "node_modules/x/package.json", json);
        Assert.Equal(expected, Assert.Single(result.Packages).Licenses);
    }

    [Fact]
    public void Scoped_and_aliased_packages()
    {
        using var dir = new TempDir();
        dir.File("srv/node_modules/@types/node/package.json", """{ "name": "@types/node", "version": "20.8.10", "license": "MIT" }""");
        dir.File("srv/node_modules/string-width-cjs/package.json", """{ "name": "string-width", "version": "4.2.3", "_resolved": "https://registry.example.test/string-width/-/string-width-4.2.3.tgz" }""");
        var types = LockfileHarness.Run(_cataloger, dir.Path, "srv/node_modules/@types/node/package.json").Packages.Single();
        Assert.Equal("pkg:npm/%40types/node@20.8.10", types.Purl.ToString());
        Assert.Equal("@types/node", types.Name);
        Assert.Equal("npm-installed", types.FoundBy);
        Assert.Equal("/srv/node_modules/@types/node/package.json", types.Locations[0].Path);
        var alias = LockfileHarness.Run(_cataloger, dir.Path, "srv/node_modules/string-width-cjs/package.json").Packages.Single();
        Assert.Equal("pkg:npm/string-width@4.2.3", alias.Purl.ToString());
        Assert.Equal("string-width-cjs", alias.Metadata["alias"]);
        Assert.Equal("https://registry.example.test/string-width/-/string-width-4.2.3.tgz", alias.Metadata["resolved"]);
    }

    [Fact]
    public void Packages_without_name_or_version_are_skipped_and_bad_json_warns()
    {
        using var dir = new TempDir();
        dir.File("node_modules/noname/package.json", """{ "version": "1.0.0" }""");
        dir.File("node_modules/noversion/package.json", """{ "name": "noversion" }""");
        dir.File("node_modules/blank/package.json", """{ "name": "blank", "version": "  " }""");
        dir.File("node_modules/broken/package.json", """{ "name": "broken", """);
        dir.File("node_modules/ok/package.json", """{ "name": "ok", "version": "1.0.0" }""");
        dir.File("node_modules/ok/lib/package.json", """{ "name": "ok-inner", "version": "9.9.9" }""");
        var inventory = LockfileHarness.Scan(dir.Path, _cataloger);
        Assert.Equal("pkg:npm/ok@1.0.0", Assert.Single(inventory.Packages).Purl.ToString());
        Assert.StartsWith("/node_modules/broken/package.json: npm-installed: invalid JSON", Assert.Single(inventory.Warnings), StringComparison.Ordinal);
    }
}
