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
    public void Dependencies_resolve_to_the_nearest_node_modules_as_require_does()
    {
        using var dir = new TempDir();
        dir.File("app/node_modules/send/package.json", """{ "name": "send", "version": "0.17.1", "dependencies": { "debug": "2.6.9", "ms": "2.1.1", "missing": "1" } }""");
        dir.File("app/node_modules/send/node_modules/debug/package.json", """{ "name": "debug", "version": "2.6.9", "dependencies": { "ms": "2.0.0" } }""");
        dir.File("app/node_modules/send/node_modules/debug/node_modules/ms/package.json", """{ "name": "ms", "version": "2.0.0" }""");
        dir.File("app/node_modules/ms/package.json", """{ "name": "ms", "version": "2.1.1" }""");
        dir.File("app/node_modules/broken-dep-user/package.json", """{ "name": "broken-dep-user", "version": "1.0.0", "dependencies": { "broken": "1" } }""");
        dir.File("app/node_modules/broken/package.json", "{ not json");
        var inventory = LockfileHarness.Scan(dir.Path, _cataloger);
        var byId = inventory.Packages.ToDictionary(p => p.Id, p => p.Locations[0].Path);
        string[] DepsOf(string path) => inventory.Packages.Single(p => p.Locations[0].Path == path).DependsOn.Select(d => byId[d]).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["/app/node_modules/ms/package.json", "/app/node_modules/send/node_modules/debug/package.json"], DepsOf("/app/node_modules/send/package.json"));
        Assert.Equal(["/app/node_modules/send/node_modules/debug/node_modules/ms/package.json"], DepsOf("/app/node_modules/send/node_modules/debug/package.json"));
        Assert.Empty(DepsOf("/app/node_modules/broken-dep-user/package.json"));
        Assert.Single(inventory.Warnings);
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
