using System.IO.Compression;
using System.Text;
using System.Text.Json;
using ZeroDrift.Inventory.Catalogers.Rust;

namespace ZeroDrift.Inventory.Tests.Catalogers;

public sealed class RustTests
{
    [Fact]
    public void Cargo_lock_v1_with_metadata_checksums_and_sourced_references()
    {
        using var dir = new TempDir();
        dir.File("Cargo.lock", """
            [[package]]
            name = "app"
            version = "0.1.0"
            dependencies = [
             "libc 0.2.40 (registry+https://github.com/rust-lang/crates.io-index)",
             "rand 0.4.2 (registry+https://github.com/rust-lang/crates.io-index)",
            ]

            [[package]]
            name = "libc"
            version = "0.2.40"
            source = "registry+https://github.com/rust-lang/crates.io-index"

            [[package]]
            name = "rand"
            version = "0.4.2"
            source = "registry+https://github.com/rust-lang/crates.io-index"
            dependencies = [
             "libc 0.2.40 (registry+https://github.com/rust-lang/crates.io-index)",
            ]

            [metadata]
            "checksum libc 0.2.40 (registry+https://github.com/rust-lang/crates.io-index)" = "6fd41f331ac7c5b8ac259b8bf82c75c0fb2e469bbf37d2becbba9a6a2221965b"
            "checksum rand 0.4.2 (registry+https://github.com/rust-lang/crates.io-index)" = "eba5f8cb59cc50ed56be8880a5c7b496bfd9bd26394e176bc67884094145c2c5"
            """);
        var result = LanguageScan.Run(dir.Path, new CargoLockCataloger());
        Assert.Empty(result.Warnings);
        // No Cargo.toml says "app" is the workspace's own crate: like every sourceless package, it is a path dependency.
        Assert.Equal(["pkg:cargo/app@0.1.0", "pkg:cargo/libc@0.2.40", "pkg:cargo/rand@0.4.2"], result.Packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal("path", result.Packages.Single("app").Metadata["sourceType"]);
        Assert.Equal(["libc@0.2.40"], result.Packages.DependencyNames(result.Packages.Single("rand")));
        Assert.Equal("6fd41f331ac7c5b8ac259b8bf82c75c0fb2e469bbf37d2becbba9a6a2221965b", result.Packages.Single("libc").Metadata["checksum"]);
    }

    [Fact]
    public void Cargo_lock_workspace_members_are_skipped_and_path_dependencies_kept()
    {
        using var dir = new TempDir();
        dir.File("ws/Cargo.toml", "[workspace]\nmembers = [\"crates/*\", \"tools/cli\"]\nresolver = \"2\"\n");
        dir.File("ws/crates/core/Cargo.toml", "[package]\nname = \"ws-core\"\nversion = \"0.1.0\"\n");
        dir.File("ws/crates/macros/Cargo.toml", "[package]\nname = \"ws-macros\"\nversion = \"0.1.0\"\n");
        dir.File("ws/tools/cli/Cargo.toml", "[package]\nname = \"ws-cli\"\nversion = \"0.2.0\"\n[dependencies]\nvendored-fork = { path = \"../../../vendored-fork\" }\n");
        dir.File("ws/Cargo.lock", """
            version = 4

            [[package]]
            name = "anyhow"
            version = "1.0.75"
            source = "registry+https://github.com/rust-lang/crates.io-index"
            checksum = "a4668cab20f66d8d020e1fbc0ebe47217433c1b6c8f2040faf858554e394ace6"

            [[package]]
            name = "vendored-fork"
            version = "0.9.0"
            dependencies = [
             "anyhow",
            ]

            [[package]]
            name = "ws-cli"
            version = "0.2.0"
            dependencies = [
             "anyhow",
             "vendored-fork",
             "ws-core",
            ]

            [[package]]
            name = "ws-core"
            version = "0.1.0"

            [[package]]
            name = "ws-macros"
            version = "0.1.0"
            """);
        var result = LanguageScan.Run(dir.Path, new CargoLockCataloger());
        Assert.Empty(result.Warnings);
        Assert.Equal(["anyhow@1.0.75", "vendored-fork@0.9.0"], result.Packages.Select(p => $"{p.Name}@{p.Version}").Order(StringComparer.Ordinal));
        Assert.Equal("path", result.Packages.Single("vendored-fork").Metadata["sourceType"]);
        Assert.Equal(["anyhow@1.0.75"], result.Packages.DependencyNames(result.Packages.Single("vendored-fork")));
    }

    [Fact]
    public void Cargo_lock_malformed()
    {
        using var dir = new TempDir();
        dir.File("a/Cargo.lock", "[[package]]\nname = \"x\"\n");
        dir.File("b/Cargo.lock", "version = = 3\n");
        // Nesting far beyond the limit, in inline tables and arrays: a clear error, not a stack overflow.
        dir.File("c/Cargo.lock", "x = " + string.Concat(Enumerable.Repeat("{a = ", 5000)) + "1" + new string('}', 5000) + "\n");
        dir.File("d/Cargo.lock", "x = " + new string('[', 100_000) + new string(']', 100_000) + "\n");
        var result = LanguageScan.Run(dir.Path, new CargoLockCataloger());
        Assert.Empty(result.Packages);
        Assert.Equal(4, result.Warnings.Count);
        Assert.Contains(result.Warnings, w => w.Contains("without name or version", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("invalid TOML", StringComparison.Ordinal));
    }

    /// <summary>
    /// Oracle: cargo itself writes the lockfile (offline, from a vendored directory source that stands for crates.io and
    /// a local git repository), and <c>cargo metadata</c> says which packages and edges it resolved.
    /// </summary>
    [Fact]
    public void Cargo_lock_written_by_cargo_matches_cargo_metadata()
    {
        var home = Environment.GetEnvironmentVariable("HOME") ?? "/root";
        var cargo = ProcessRunner.Find("cargo", Path.Combine(home, ".cargo/bin/cargo"));
        Assert.True(cargo is not null, "cargo is missing: apt-get install cargo");
        var git = ProcessRunner.Find("git");
        Assert.True(git is not null, "git is missing: apt-get install git");
        using var dir = new TempDir();
        var env = new Dictionary<string, string>
        {
            ["CARGO_HOME"] = dir.Combine("cargo-home"), ["CARGO_NET_OFFLINE"] = "false", ["GIT_AUTHOR_NAME"] = "t", ["GIT_AUTHOR_EMAIL"] = "t@example.com",
            ["GIT_COMMITTER_NAME"] = "t", ["GIT_COMMITTER_EMAIL"] = "t@example.com", ["GIT_CONFIG_NOSYSTEM"] = "1",
        };
        void Crate(string name, string version, string dependencies = "")
        {
            var root = $"vendor/{name}-{version}";
            dir.File(root + "/Cargo.toml", $"[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\n{dependencies}\n");
            dir.File(root + "/src/lib.rs", "");
            var sum = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(name + version)));
            dir.File(root + "/.cargo-checksum.json", $"{{\"files\":{{}},\"package\":\"{sum}\"}}");
        }
        Crate("itoa", "1.0.9");
        Crate("itoa", "0.4.8");
        Crate("ryu", "1.0.15");
        Crate("serdejsonish", "1.0.100", "[dependencies]\nitoa = \"1\"\nryu = \"1\"");
        Crate("oldthing", "0.1.0", "[dependencies]\nitoa = \"0.4\"");
        dir.File("gitdep/Cargo.toml", "[package]\nname = \"gitdep\"\nversion = \"0.2.0\"\nedition = \"2021\"\n");
        dir.File("gitdep/src/lib.rs", "");
        foreach (var args in new[] { new[] { "init", "-q" }, ["add", "-A"], ["commit", "-qm", "init"] })
        {
            var (code, _, error) = ProcessRunner.Run(git!, args, dir.Combine("gitdep"), env);
            Assert.True(code == 0, "git: " + error);
        }
        dir.File("local/Cargo.toml", "[package]\nname = \"local\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[dependencies]\nryu = \"1\"\n");
        dir.File("local/src/lib.rs", "");
        dir.File("app/Cargo.toml", $"""
            [package]
            name = "app"
            version = "0.1.0"
            edition = "2021"

            [dependencies]
            serdejsonish = "1.0"
            oldthing = "0.1"
            local = {"{"} path = "../local" {"}"}
            gitdep = {"{"} git = "file://{dir.Combine("gitdep")}" {"}"}
            """);
        dir.File("app/src/main.rs", "fn main() {}\n");
        dir.File("app/.cargo/config.toml", "[source.crates-io]\nreplace-with = \"vendored\"\n[source.vendored]\ndirectory = \"../vendor\"\n");
        var (lockCode, _, lockError) = ProcessRunner.Run(cargo!, ["generate-lockfile"], dir.Combine("app"), env);
        Assert.True(lockCode == 0, "cargo generate-lockfile: " + lockError);
        var (metaCode, metaOutput, metaError) = ProcessRunner.Run(cargo!, ["metadata", "--format-version", "1", "--offline"], dir.Combine("app"), env);
        Assert.True(metaCode == 0, "cargo metadata: " + metaError);

        using var metadata = JsonDocument.Parse(metaOutput);
        // Everything but the workspace's own crates: registry and git packages, and the path dependency "local".
        var members = metadata.RootElement.GetProperty("workspace_members").EnumerateArray().Select(m => m.GetString()!).ToHashSet(StringComparer.Ordinal);
        var sourced = metadata.RootElement.GetProperty("packages").EnumerateArray()
            .Where(p => !members.Contains(p.GetProperty("id").GetString()!))
            .ToDictionary(p => p.GetProperty("id").GetString()!, p => $"{p.GetProperty("name").GetString()}@{p.GetProperty("version").GetString()}");
        var expectedEdges = metadata.RootElement.GetProperty("resolve").GetProperty("nodes").EnumerateArray()
            .Where(n => sourced.ContainsKey(n.GetProperty("id").GetString()!))
            .SelectMany(n => n.GetProperty("dependencies").EnumerateArray().Select(d => d.GetString()!).Where(sourced.ContainsKey)
                .Select(d => $"{sourced[n.GetProperty("id").GetString()!]} -> {sourced[d]}"))
            .Order(StringComparer.Ordinal).ToList();

        var result = LanguageScan.Run(dir.Combine("app"), new CargoLockCataloger());
        Assert.Empty(result.Warnings);
        var packages = result.Packages;
        Assert.Equal(sourced.Values.Order(StringComparer.Ordinal), packages.Select(p => $"{p.Name}@{p.Version}").Order(StringComparer.Ordinal));
        Assert.Equal(7, packages.Count); // itoa twice, ryu, serdejsonish, oldthing, gitdep, local; not app
        Assert.Equal("path", packages.Single("local").Metadata["sourceType"]);
        var edges = packages.SelectMany(p => packages.DependencyNames(p).Select(d => $"{p.Name}@{p.Version} -> {d}")).Order(StringComparer.Ordinal).ToList();
        Assert.Contains("local@0.1.0 -> ryu@1.0.15", edges);
        Assert.Equal(expectedEdges, edges);
        Assert.Contains("serdejsonish@1.0.100 -> itoa@1.0.9", edges);
        Assert.Contains("oldthing@0.1.0 -> itoa@0.4.8", edges);
        Assert.Equal("git", packages.Single("gitdep").Metadata["sourceType"]);
        Assert.StartsWith("git+file://", packages.Single("gitdep").Purl.Qualifier("vcs_url"), StringComparison.Ordinal);
        Assert.Equal(64, packages.Single("ryu").Metadata["checksum"].Length);
    }

    internal static byte[] Zlib(string json)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(Encoding.UTF8.GetBytes(json));
        return output.ToArray();
    }

    internal const string AuditJson = """
        {"packages":[
          {"name":"myapp","version":"0.3.0","source":"local","dependencies":[1,2],"root":true},
          {"name":"serde","version":"1.0.193","source":"crates.io","dependencies":[3]},
          {"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"},
          {"name":"serde_derive","version":"1.0.193","source":"crates.io","kind":"runtime"}
        ]}
        """;

    private static void AssertAuditPackages(IReadOnlyList<Core.Package> packages, string location)
    {
        Assert.Equal(["pkg:cargo/cc@1.0.83", "pkg:cargo/myapp@0.3.0", "pkg:cargo/serde@1.0.193", "pkg:cargo/serde_derive@1.0.193"],
            packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal(["cc@1.0.83", "serde@1.0.193"], packages.DependencyNames(packages.Single("myapp")));
        Assert.Equal(["serde_derive@1.0.193"], packages.DependencyNames(packages.Single("serde")));
        Assert.Equal("true", packages.Single("myapp").Metadata["root"]);
        Assert.Equal("build", packages.Single("cc").Metadata["kind"]);
        Assert.Equal("crates.io", packages.Single("serde").Metadata["source"]);
        Assert.All(packages, p => Assert.Equal(location, p.Locations[0].Path));
    }

    /// <summary>A real binary (/bin/true) with the section added by objcopy, as cargo-auditable's linker step leaves it.</summary>
    [Fact]
    public void Cargo_auditable_section_added_to_a_real_binary_with_objcopy()
    {
        var objcopy = ProcessRunner.Find("objcopy");
        Assert.True(objcopy is not null, "objcopy is missing: apt-get install binutils");
        using var dir = new TempDir();
        var data = dir.File("audit.zlib", Zlib(AuditJson));
        var output = dir.Combine("root/usr/bin/myapp");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        var (code, _, error) = ProcessRunner.Run(objcopy!, ["--add-section", $".dep-v0={data}", "--set-section-flags", ".dep-v0=noload,readonly", "/bin/true", output]);
        Assert.True(code == 0, "objcopy: " + error);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(output, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        // Untouched /bin/true beside it: an ELF without the section gives nothing.
        File.Copy("/bin/true", dir.Combine("root/usr/bin/true"));

        var result = LanguageScan.Run(dir.Combine("root"), new CargoAuditableCataloger());
        Assert.Empty(result.Warnings);
        AssertAuditPackages(result.Packages, "/usr/bin/myapp");
    }

    [Fact]
    public void Cargo_auditable_hostile_sections()
    {
        using var dir = new TempDir();
        GoTests.WriteExecutable(dir, "ok", ElfBuilder.Build([(".text", new byte[2048]), (".dep-v0", Zlib(AuditJson))], is64: false, bigEndian: true));
        GoTests.WriteExecutable(dir, "notzlib", ElfBuilder.Build([(".dep-v0", Encoding.ASCII.GetBytes(new string('x', 2000)))]));
        GoTests.WriteExecutable(dir, "bomb", ElfBuilder.Build([(".dep-v0", Zlib("{\"packages\":[" + new string(' ', 9 << 20) + "]}"))]));
        GoTests.WriteExecutable(dir, "badindex", ElfBuilder.Build([(".dep-v0", Zlib("{\"packages\":[{\"name\":\"a\",\"version\":\"1\",\"dependencies\":[7]}]}" + new string(' ', 2000)))]));
        GoTests.WriteExecutable(dir, "deep", ElfBuilder.Build([(".dep-v0", Zlib(new string('[', 500) + new string(']', 500) + new string(' ', 2000)))]));
        var result = LanguageScan.Run(dir.Path, new CargoAuditableCataloger());
        AssertAuditPackages(result.Packages, "/ok");
        Assert.Equal(4, result.Warnings.Count);
        Assert.Contains(result.Warnings, w => w.StartsWith("/notzlib", StringComparison.Ordinal) && w.Contains("not valid zlib", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.StartsWith("/bomb", StringComparison.Ordinal) && w.Contains("more than", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.StartsWith("/badindex", StringComparison.Ordinal) && w.Contains("index 7", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.StartsWith("/deep", StringComparison.Ordinal));
    }
}
