using ZeroDrift.Inventory.Catalogers.Npm;

namespace ZeroDrift.Inventory.Tests.Catalogers;

public sealed class PnpmLockTests
{
    private readonly PnpmLockCataloger _cataloger = new();

    private static readonly string[] ReactTree =
    [
        "pkg:npm/%40babel/helper-string-parser@7.22.5", "pkg:npm/js-tokens@4.0.0", "pkg:npm/loose-envify@1.4.0", "pkg:npm/react-dom@18.2.0",
        "pkg:npm/react@18.2.0", "pkg:npm/scheduler@0.23.0", "pkg:npm/string-width@4.2.3", "pkg:npm/typescript@5.2.2",
    ];

    private const string V5 = """
    lockfileVersion: 5.4

    specifiers:
      react: ^18.2.0
      react-dom: ^18.2.0
      string-width-cjs: npm:string-width@^4.2.0
      typescript: ^5.2.2

    dependencies:
      react: 18.2.0
      react-dom: 18.2.0_react@18.2.0
      string-width-cjs: /string-width/4.2.3

    devDependencies:
      typescript: 5.2.2

    packages:

      /@babel/helper-string-parser/7.22.5:
        resolution: {integrity: sha512-mM4COjgZox8U+JcXQwPijIZLElkgEpO5rsERVDJTc2qfCDfERyob6k5WegS14SX18IIjv+XD+GrqNumY5JRCDw==}
        engines: {node: '>=6.9.0'}
        dev: true

      /js-tokens/4.0.0:
        resolution: {integrity: sha512-RdJUflcE3cUzKiMqQgsCu06FPu9UdIJO0beYbPhHN4k6apgJtifcoCtT9bcxOpYBtpD2kCM6Sbzg4CausW/PKQ==}
        dev: false

      /loose-envify/1.4.0:
        resolution: {integrity: sha512-lyuxPGr/Wfhrlem2CL/UcnUc1zcqKAImBDzukY7Y5F/yQiNdko6+fRLevlw1HgMySw7f611UIY408EtxRSoK3Q==}
        hasBin: true
        dependencies:
          js-tokens: 4.0.0
        dev: false

      /react-dom/18.2.0_react@18.2.0:
        resolution: {integrity: sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==}
        peerDependencies:
          react: ^18.2.0
        dependencies:
          loose-envify: 1.4.0
          react: 18.2.0
          scheduler: 0.23.0
        dev: false

      /react/18.2.0:
        resolution: {integrity: sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ==}
        engines: {node: '>=0.10.0'}
        dependencies:
          loose-envify: 1.4.0
        dev: false

      /scheduler/0.23.0:
        resolution: {integrity: sha512-CtuThmgHNg7zIZWAXi3AsyIzA3n4xx7aNyjwC2VJldO2LMVDhFK+63xGqq6CsJH4rTAt6/M+N4GhZiDYPx9eUw==}
        dependencies:
          loose-envify: 1.4.0
        dev: false

      /string-width/4.2.3:
        resolution: {integrity: sha512-wKyQRQpjJ0sIp62ErSZdGsjMJWsap5oRNihHhu6G7JVO/9jIB6UyevL+tXuOqrng8j/cxKTWyWUwvSTriiZz/g==}
        engines: {node: '>=8'}
        dev: false

      /typescript/5.2.2:
        resolution: {integrity: sha512-mI4WrpHsbCIcwT9cF4FZvr80QUeKvsUsUvKDoR+X/7XHQH98xYD8YHZg7ANtz2GtZt/CBq2QJ0thkGJMHfqc1w==}
        engines: {node: '>=14.17'}
        hasBin: true
        dependencies:
          '@babel/helper-string-parser': 7.22.5
        dev: true
    """;

    private const string V6 = """
    lockfileVersion: '6.0'

    settings:
      autoInstallPeers: true
      excludeLinksFromLockfile: false

    dependencies:
      react:
        specifier: ^18.2.0
        version: 18.2.0
      react-dom:
        specifier: ^18.2.0
        version: 18.2.0(react@18.2.0)
      string-width-cjs:
        specifier: npm:string-width@^4.2.0
        version: /string-width@4.2.3

    devDependencies:
      typescript:
        specifier: ^5.2.2
        version: 5.2.2

    packages:

      /@babel/helper-string-parser@7.22.5:
        resolution: {integrity: sha512-mM4COjgZox8U+JcXQwPijIZLElkgEpO5rsERVDJTc2qfCDfERyob6k5WegS14SX18IIjv+XD+GrqNumY5JRCDw==}
        engines: {node: '>=6.9.0'}
        dev: true

      /js-tokens@4.0.0:
        resolution: {integrity: sha512-RdJUflcE3cUzKiMqQgsCu06FPu9UdIJO0beYbPhHN4k6apgJtifcoCtT9bcxOpYBtpD2kCM6Sbzg4CausW/PKQ==}
        dev: false

      /loose-envify@1.4.0:
        resolution: {integrity: sha512-lyuxPGr/Wfhrlem2CL/UcnUc1zcqKAImBDzukY7Y5F/yQiNdko6+fRLevlw1HgMySw7f611UIY408EtxRSoK3Q==}
        hasBin: true
        dependencies:
          js-tokens: 4.0.0
        dev: false

      /react-dom@18.2.0(react@18.2.0):
        resolution: {integrity: sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==}
        peerDependencies:
          react: ^18.2.0
        dependencies:
          loose-envify: 1.4.0
          react: 18.2.0
          scheduler: 0.23.0
        dev: false

      /react@18.2.0:
        resolution: {integrity: sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ==}
        engines: {node: '>=0.10.0'}
        dependencies:
          loose-envify: 1.4.0
        dev: false

      /scheduler@0.23.0:
        resolution: {integrity: sha512-CtuThmgHNg7zIZWAXi3AsyIzA3n4xx7aNyjwC2VJldO2LMVDhFK+63xGqq6CsJH4rTAt6/M+N4GhZiDYPx9eUw==}
        dependencies:
          loose-envify: 1.4.0
        dev: false

      /string-width@4.2.3:
        resolution: {integrity: sha512-wKyQRQpjJ0sIp62ErSZdGsjMJWsap5oRNihHhu6G7JVO/9jIB6UyevL+tXuOqrng8j/cxKTWyWUwvSTriiZz/g==}
        engines: {node: '>=8'}
        dev: false

      /typescript@5.2.2:
        resolution: {integrity: sha512-mI4WrpHsbCIcwT9cF4FZvr80QUeKvsUsUvKDoR+X/7XHQH98xYD8YHZg7ANtz2GtZt/CBq2QJ0thkGJMHfqc1w==}
        engines: {node: '>=14.17'}
        hasBin: true
        dependencies:
          '@babel/helper-string-parser': 7.22.5
        dev: true
    """;

    private const string V9 = """
    lockfileVersion: '9.0'

    settings:
      autoInstallPeers: true
      excludeLinksFromLockfile: false

    importers:

      .:
        dependencies:
          react:
            specifier: ^18.2.0
            version: 18.2.0
          react-dom:
            specifier: ^18.2.0
            version: 18.2.0(react@18.2.0)
          string-width-cjs:
            specifier: npm:string-width@^4.2.0
            version: string-width@4.2.3
        devDependencies:
          typescript:
            specifier: ^5.2.2
            version: 5.2.2

      packages/tool:
        devDependencies:
          loose-envify:
            specifier: ^1.4.0
            version: 1.4.0

    packages:

      '@babel/helper-string-parser@7.22.5':
        resolution: {integrity: sha512-mM4COjgZox8U+JcXQwPijIZLElkgEpO5rsERVDJTc2qfCDfERyob6k5WegS14SX18IIjv+XD+GrqNumY5JRCDw==}
        engines: {node: '>=6.9.0'}

      js-tokens@4.0.0:
        resolution: {integrity: sha512-RdJUflcE3cUzKiMqQgsCu06FPu9UdIJO0beYbPhHN4k6apgJtifcoCtT9bcxOpYBtpD2kCM6Sbzg4CausW/PKQ==}

      loose-envify@1.4.0:
        resolution: {integrity: sha512-lyuxPGr/Wfhrlem2CL/UcnUc1zcqKAImBDzukY7Y5F/yQiNdko6+fRLevlw1HgMySw7f611UIY408EtxRSoK3Q==}
        hasBin: true

      react-dom@18.2.0:
        resolution: {integrity: sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==}
        peerDependencies:
          react: ^18.2.0

      react@18.2.0:
        resolution: {integrity: sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ==}
        engines: {node: '>=0.10.0'}

      scheduler@0.23.0:
        resolution: {integrity: sha512-CtuThmgHNg7zIZWAXi3AsyIzA3n4xx7aNyjwC2VJldO2LMVDhFK+63xGqq6CsJH4rTAt6/M+N4GhZiDYPx9eUw==}

      string-width@4.2.3:
        resolution: {integrity: sha512-wKyQRQpjJ0sIp62ErSZdGsjMJWsap5oRNihHhu6G7JVO/9jIB6UyevL+tXuOqrng8j/cxKTWyWUwvSTriiZz/g==}
        engines: {node: '>=8'}

      typescript@5.2.2:
        resolution: {integrity: sha512-mI4WrpHsbCIcwT9cF4FZvr80QUeKvsUsUvKDoR+X/7XHQH98xYD8YHZg7ANtz2GtZt/CBq2QJ0thkGJMHfqc1w==}
        engines: {node: '>=14.17'}
        hasBin: true

    snapshots:

      '@babel/helper-string-parser@7.22.5': {}

      js-tokens@4.0.0: {}

      loose-envify@1.4.0:
        dependencies:
          js-tokens: 4.0.0

      react-dom@18.2.0(react@18.2.0):
        dependencies:
          loose-envify: 1.4.0
          react: 18.2.0
          scheduler: 0.23.0

      react@18.2.0:
        dependencies:
          loose-envify: 1.4.0

      scheduler@0.23.0:
        dependencies:
          loose-envify: 1.4.0

      string-width@4.2.3: {}

      typescript@5.2.2:
        dependencies:
          '@babel/helper-string-parser': 7.22.5
    """;

    [Theory]
    [InlineData(V5, "5.4")]
    [InlineData(V6, "6")]
    [InlineData(V9, "9")]
    public void Every_lockfile_version_gives_the_same_packages_graph_and_dev_flags(string lockfile, string version)
    {
        var result = LockfileHarness.RunText(_cataloger, "app/pnpm-lock.yaml", lockfile);
        Assert.Equal(ReactTree, result.Packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        Assert.All(result.Packages, p => Assert.Equal("pnpm-lock", p.FoundBy));
        Assert.All(result.Packages, p => Assert.Equal(version, p.Metadata["lockfileVersion"]));
        // react-dom's peer-resolved variant (_react@18.2.0 / (react@18.2.0)) is react-dom 18.2.0.
        Assert.Equal(["pkg:npm/loose-envify@1.4.0", "pkg:npm/react@18.2.0", "pkg:npm/scheduler@0.23.0"], result.DependenciesOf("pkg:npm/react-dom@18.2.0"));
        Assert.Equal(["pkg:npm/js-tokens@4.0.0"], result.DependenciesOf("pkg:npm/loose-envify@1.4.0"));
        Assert.Equal(["pkg:npm/%40babel/helper-string-parser@7.22.5"], result.DependenciesOf("pkg:npm/typescript@5.2.2"));
        Assert.Equal(["pkg:npm/%40babel/helper-string-parser@7.22.5", "pkg:npm/typescript@5.2.2"],
            result.Packages.Where(p => p.Dev).Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal("sha512-wKyQRQpjJ0sIp62ErSZdGsjMJWsap5oRNihHhu6G7JVO/9jIB6UyevL+tXuOqrng8j/cxKTWyWUwvSTriiZz/g==",
            result.Get("pkg:npm/string-width@4.2.3").Metadata["integrity"]);
        Assert.Equal("@babel/helper-string-parser", result.Get("pkg:npm/%40babel/helper-string-parser@7.22.5").Name);
    }

    [Fact]
    public void V5_peer_suffixed_variants_of_one_version_are_one_package()
    {
        const string lockfile = """
        lockfileVersion: 5.3
        packages:
          /styled/1.0.0_react@17.0.2:
            dependencies:
              react: 17.0.2
            dev: false
          /styled/1.0.0_react@18.2.0:
            dependencies:
              react: 18.2.0
            dev: true
          /react/17.0.2:
            dev: false
          /react/18.2.0:
            dev: true
        """;
        var result = LockfileHarness.RunText(_cataloger, "pnpm-lock.yaml", lockfile);
        Assert.Equal(3, result.Packages.Count);
        var styled = result.Get("pkg:npm/styled@1.0.0");
        Assert.False(styled.Dev);
        Assert.Equal(["pkg:npm/react@17.0.2", "pkg:npm/react@18.2.0"], result.DependenciesOf("pkg:npm/styled@1.0.0"));
    }

    [Fact]
    public void Git_and_tarball_packages_take_name_and_version_from_their_entry()
    {
        const string lockfile = """
        lockfileVersion: '6.0'
        packages:
          github.com/debug-js/debug/b6d12fdbc63b483e5c969da33ea6adc09946b5ac:
            resolution: {tarball: https://codeload.github.com/debug-js/debug/tar.gz/b6d12fdbc63b483e5c969da33ea6adc09946b5ac}
            name: debug
            version: 4.3.4
            dev: false
        """;
        var result = LockfileHarness.RunText(_cataloger, "pnpm-lock.yaml", lockfile);
        var debug = Assert.Single(result.Packages);
        Assert.Equal("pkg:npm/debug@4.3.4", debug.Purl.ToString());
        Assert.Equal("https://codeload.github.com/debug-js/debug/tar.gz/b6d12fdbc63b483e5c969da33ea6adc09946b5ac", debug.Metadata["resolved"]);
    }

    [Fact]
    public void V5_keys_of_another_registry_start_with_its_host_and_still_name_the_package()
    {
        const string lockfile = """
        lockfileVersion: 5.4
        dependencies:
          left-pad: npm.corp.test/left-pad/1.3.0
          '@corp/ui': npm.corp.test/@corp/ui/2.1.0_react@18.2.0
        packages:
          npm.corp.test/left-pad/1.3.0:
            resolution: {integrity: sha512-x, registry: https://npm.corp.test/}
            dev: false
          npm.corp.test/@corp/ui/2.1.0_react@18.2.0:
            resolution: {integrity: sha512-y, registry: https://npm.corp.test/}
            dependencies:
              left-pad: npm.corp.test/left-pad/1.3.0
            dev: false
          gitlab.corp.test/team/tool:
            resolution: {tarball: https://gitlab.corp.test/team/tool/-/archive/main.tar.gz}
            dev: false
          git@bitbucket.test+team/other-repo/0a1b2c3d4e5f60718293a4b5c6d7e8f901234567:
            resolution: {commit: 0a1b2c3d4e5f60718293a4b5c6d7e8f901234567, repo: 'git@bitbucket.test:team/other-repo.git', type: git}
            name: named-in-entry
            version: 3.0.0
            dev: false
        """;
        var result = LockfileHarness.RunText(_cataloger, "pnpm-lock.yaml", lockfile);
        // A git entry is named by its entry (a commit starting with a digit is no version), or not at all: never "team@tool".
        Assert.Equal(["@corp/ui@2.1.0", "left-pad@1.3.0", "named-in-entry@3.0.0"], result.NameVersions().Order(StringComparer.Ordinal));
        Assert.Equal(["pkg:npm/left-pad@1.3.0"], result.DependenciesOf("pkg:npm/%40corp/ui@2.1.0"));
    }

    [Fact]
    public void V5_file_packages_are_named_by_their_entry_and_skipped_without_one()
    {
        const string lockfile = """
        lockfileVersion: 5.4
        packages:
          file:..:
            resolution: {directory: .., type: directory}
            name: parent-project
            version: 2.0.0
            dev: false
          file:../tools/unnamed:
            resolution: {directory: ../tools/unnamed, type: directory}
            version: 1.0.0
            dev: false
        """;
        var result = LockfileHarness.RunText(_cataloger, "pnpm-lock.yaml", lockfile);
        Assert.Equal("parent-project@2.0.0", Assert.Single(result.NameVersions()));
    }

    [Fact]
    public void Malformed_pnpm_locks_become_warnings()
    {
        using var dir = new TempDir();
        dir.File("a/pnpm-lock.yaml", "packages:\n  /x/1.0.0: {}\n");
        dir.File("b/pnpm-lock.yaml", "lockfileVersion: '10.0'\npackages: {}\n");
        dir.File("c/pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages: [\n");
        dir.File("d/pnpm-lock.yaml", "- just\n- a list\n");
        dir.File("ok/pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  ms@2.1.3:\n    resolution: {integrity: sha512-x}\n");
        var inventory = LockfileHarness.Scan(dir.Path, _cataloger);
        Assert.Equal("pkg:npm/ms@2.1.3", Assert.Single(inventory.Packages).Purl.ToString());
        Assert.True(inventory.Warnings.Count == 4, string.Join("\n", inventory.Warnings));
        Assert.Contains("/a/pnpm-lock.yaml: pnpm-lock: pnpm-lock.yaml has no lockfileVersion", inventory.Warnings);
        Assert.Contains(inventory.Warnings, w => w.StartsWith("/b/pnpm-lock.yaml: pnpm-lock: pnpm-lock.yaml lockfileVersion 10.0 is newer", StringComparison.Ordinal));
        Assert.Contains(inventory.Warnings, w => w.StartsWith("/c/pnpm-lock.yaml: pnpm-lock: invalid YAML", StringComparison.Ordinal));
        Assert.Contains("/d/pnpm-lock.yaml: pnpm-lock: pnpm-lock.yaml is not a YAML mapping", inventory.Warnings);
    }
}
