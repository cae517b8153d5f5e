using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using ZeroDrift.Inventory.Catalogers.Go;

namespace ZeroDrift.Inventory.Tests.Catalogers;

public sealed class GoTests
{
    [Fact]
    public void Go_mod_requires_indirect_replace_and_exclude()
    {
        using var dir = new TempDir();
        dir.File("src/app/go.mod", """
            // The main module.
            module github.com/example/app

            go 1.22

            toolchain go1.22.3

            require github.com/spf13/cobra v1.8.0

            require (
            	github.com/google/uuid v1.6.0
            	"github.com/pkg/errors" v0.9.1 // indirect
            	golang.org/x/sys v0.20.0 // indirect; needed by uuid
            	github.com/old/lib v1.0.0
            	example.com/local v0.0.0-00010101000000-000000000000
            	example.com/bad v1.2.3
            	example.com/pinned v1.1.0
            )

            replace github.com/old/lib => github.com/new/lib v1.5.0

            replace (
            	example.com/local => ../local
            	example.com/pinned v1.0.0 => example.com/fork v9.9.9
            )

            exclude example.com/bad v1.2.3

            retract v0.1.0 // broken
            """);
        dir.File("src/app/go.sum", """
            github.com/google/uuid v1.6.0 h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=
            github.com/google/uuid v1.6.0/go.mod h1:TIyPZe4MgqvfeYDBFedMoGGpEw/LqOeaOT+nhxU+yHo=
            github.com/new/lib v1.5.0 h1:abc=
            """);
        var result = LanguageScan.Run(dir.Path, new GoModCataloger());
        Assert.Empty(result.Warnings);
        var packages = result.Packages;
        Assert.Equal("h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=", packages.Single("github.com/google/uuid").Metadata["sum"]);
        Assert.Equal("h1:abc=", packages.Single("github.com/new/lib").Metadata["sum"]);
        Assert.False(packages.Single("github.com/pkg/errors").Metadata.ContainsKey("sum"));
        Assert.Equal([
            "pkg:golang/../local",
            "pkg:golang/example.com/pinned@v1.1.0",
            "pkg:golang/github.com/google/uuid@v1.6.0",
            "pkg:golang/github.com/new/lib@v1.5.0",
            "pkg:golang/github.com/pkg/errors@v0.9.1",
            "pkg:golang/github.com/spf13/cobra@v1.8.0",
            "pkg:golang/golang.org/x/sys@v0.20.0",
        ], packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal("true", packages.Single("github.com/pkg/errors").Metadata["indirect"]);
        Assert.Equal("true", packages.Single("golang.org/x/sys").Metadata["indirect"]);
        Assert.False(packages.Single("github.com/google/uuid").Metadata.ContainsKey("indirect"));
        Assert.Equal("github.com/old/lib@v1.0.0", packages.Single("github.com/new/lib").Metadata["replaces"]);
        // A directory replacement is the directory's code, not the module's: reported as the directory, versionless.
        var local = packages.Single("../local");
        Assert.Equal("", local.Version);
        Assert.Equal("../local", local.Metadata["replace"]);
        Assert.Equal("example.com/local@v0.0.0-00010101000000-000000000000", local.Metadata["replaces"]);
        Assert.DoesNotContain(packages, p => p.Name == "example.com/local");
        Assert.False(packages.Single("example.com/pinned").Metadata.ContainsKey("replace"));
        Assert.All(packages, p => Assert.Equal("github.com/example/app", p.Metadata["mainModule"]));
        Assert.DoesNotContain(packages, p => p.Name == "github.com/example/app");
    }

    [Theory]
    [InlineData("go 1.16", true)]
    [InlineData("go 1.12", true)]
    [InlineData("", true)]
    [InlineData("go 1.17", false)]
    [InlineData("go 1.21.4", false)]
    public void Go_mod_before_1_17_adds_the_modules_go_sum_holds_code_of(string goLine, bool fromSum)
    {
        using var dir = new TempDir();
        dir.File("go.mod", $"module example.com/old\n\n{goLine}\n\nrequire (\n\tgithub.com/a/direct v1.2.0\n\tgithub.com/b/replaced v1.0.0\n)\n\n" +
            "replace github.com/b/replaced => github.com/b/fork v1.0.1\n\nexclude github.com/e/excluded v0.3.0\n");
        dir.File("go.sum", """
            github.com/a/direct v1.1.0 h1:AAA=
            github.com/a/direct v1.2.0 h1:AAB=
            github.com/a/direct v1.2.0/go.mod h1:AAC=
            github.com/b/fork v1.0.1 h1:BBA=
            github.com/c/indirect v0.9.0 h1:CCA=
            github.com/c/indirect v0.9.0/go.mod h1:CCB=
            github.com/c/indirect v0.10.0 h1:CCC=
            github.com/c/indirect v0.10.0/go.mod h1:CCD=
            github.com/d/only-go-mod v1.0.0/go.mod h1:DDA=
            github.com/e/excluded v0.3.0 h1:EEA=
            """);
        var result = LanguageScan.Run(dir.Path, new GoModCataloger());
        Assert.Empty(result.Warnings);
        var expected = new List<string> { "github.com/a/direct@v1.2.0", "github.com/b/fork@v1.0.1" };
        // go.sum is sorted by version: the last content line of a module is the version built. A module only its
        // go.mod was read of, one go.mod already names (or replaces), and an excluded version are not added.
        if (fromSum) expected.Add("github.com/c/indirect@v0.10.0");
        Assert.Equal(expected, result.Packages.Select(p => $"{p.Name}@{p.Version}").Order(StringComparer.Ordinal));
        if (!fromSum) return;
        var indirect = result.Packages.Single("github.com/c/indirect");
        Assert.Equal("true", indirect.Metadata["indirect"]);
        Assert.Equal("h1:CCC=", indirect.Metadata["sum"]);
        Assert.Equal(["/go.mod", "/go.sum"], indirect.Locations.Select(l => l.Path));
    }

    [Theory]
    [InlineData("module x\nrequire (\n a v1\n")]
    [InlineData("module x\nrequire a\n")]
    [InlineData("module \"x\n")]
    [InlineData("module x\nreplace a =>\n")]
    public void Go_mod_malformed_is_an_error(string text)
    {
        using var dir = new TempDir();
        dir.File("go.mod", text);
        var result = LanguageScan.Run(dir.Path, new GoModCataloger());
        Assert.Empty(result.Packages);
        Assert.Single(result.Warnings);
        Assert.Contains("go.mod", result.Warnings[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Build_info_text_parses_replacements_and_quoted_settings()
    {
        var info = GoBuildInfo.Parse("go1.22.1", string.Join('\n',
            "path\tgithub.com/example/cmd/tool",
            "mod\tgithub.com/example\t(devel)\t",
            "dep\tgithub.com/a/b\tv1.0.0\th1:abc=",
            "dep\tgithub.com/c/d\tv0.0.0-00010101000000-000000000000\t",
            "=>\t./internal/d\t(devel)\t",
            "dep\tgithub.com/e/f\tv1.2.0\th1:x=",
            "=>\tgithub.com/fork/f\tv1.2.1\th1:y=",
            "build\t-compiler=gc",
            "build\t-ldflags=\"-s -w -X main.version=1.0\"",
            "build\tvcs.revision=0123abcd",
            ""));
        Assert.Equal("github.com/example/cmd/tool", info.Path);
        Assert.Equal(new GoModule("github.com/example", "(devel)", null), info.Main);
        Assert.Equal(3, info.Deps.Count);
        Assert.True(info.Deps[1].Replace!.IsLocalPath);
        Assert.Equal("github.com/fork/f", info.Deps[2].Replace!.Path);
        Assert.Contains(new KeyValuePair<string, string>("-ldflags", "-s -w -X main.version=1.0"), info.Settings);

        var packages = new GoBinaryCataloger().ToPackages(info, new Artifacts.FileSystems.FileEntry("/usr/bin/tool", Artifacts.FileSystems.FileKind.Regular, 1 << 20, 0b111_101_101));
        Assert.Equal([
            "pkg:golang/github.com/a/b@v1.0.0",
            "pkg:golang/github.com/c/d@v0.0.0-00010101000000-000000000000",
            "pkg:golang/github.com/example@%28devel%29",
            "pkg:golang/github.com/fork/f@v1.2.1",
            "pkg:golang/stdlib@v1.22.1",
        ], packages.Select(p => p.Purl.ToString()).Order(StringComparer.Ordinal));
        var main = packages.Single("github.com/example");
        Assert.Equal(4, main.DependsOn.Count);
        Assert.Equal("0123abcd", main.Metadata["build.vcs.revision"]);
        Assert.Equal("v1.22.1", packages.Single("stdlib").Version);
        Assert.Equal("./internal/d (devel)", packages.Single("github.com/c/d").Metadata["replace"]);
    }

    [Theory]
    [InlineData("go1.22.1", "v1.22.1")]
    [InlineData("go1.21.0 X:boringcrypto", "v1.21.0")]
    [InlineData("go1.23rc1", "v1.23rc1")]
    [InlineData("devel go1.24-abcdef", null)]
    public void Stdlib_version_from_toolchain(string goVersion, string? expected) =>
        Assert.Equal(expected, GoPackages.StdlibVersion(goVersion));

    internal const string ModuleText = "path\texample.com/old/cmd\nmod\texample.com/old\tv1.0.0\t\ndep\tgolang.org/x/text\tv0.3.7\th1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=\n";

    /// <summary>Module text framed by the linker's 16-byte sentinels.</summary>
    private static string Framed(string text) => "0123456789abcdef" + text + "\n123456789abcdef";

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Binary_with_pre_1_18_pointer_layout(bool is64, bool bigEndian)
    {
        // The header points at two Go string headers {data pointer, length}, whose data follows them.
        var pointer = is64 ? 8 : 4;
        var version = Encoding.UTF8.GetBytes("go1.16.15");
        var modules = Encoding.UTF8.GetBytes(Framed(ModuleText));
        var section = new byte[32 + 4 * pointer + version.Length + modules.Length];
        var address = ElfBuilder.AddressOf([70_000]); // after .text
        void Pointer(int at, ulong value)
        {
            if (is64) { if (bigEndian) BinaryPrimitives.WriteUInt64BigEndian(section.AsSpan(at), value); else BinaryPrimitives.WriteUInt64LittleEndian(section.AsSpan(at), value); }
            else if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(section.AsSpan(at), (uint)value);
            else BinaryPrimitives.WriteUInt32LittleEndian(section.AsSpan(at), (uint)value);
        }
        new byte[] { 0xff }.Concat(" Go buildinf:"u8.ToArray()).ToArray().CopyTo(section, 0);
        section[14] = (byte)pointer;
        section[15] = (byte)(bigEndian ? 1 : 0);
        var versionHeader = 32;
        var modulesHeader = 32 + 2 * pointer;
        var versionData = 32 + 4 * pointer;
        var modulesData = versionData + version.Length;
        Pointer(16, address + (ulong)versionHeader);
        Pointer(16 + pointer, address + (ulong)modulesHeader);
        Pointer(versionHeader, address + (ulong)versionData);
        Pointer(versionHeader + pointer, (ulong)version.Length);
        Pointer(modulesHeader, address + (ulong)modulesData);
        Pointer(modulesHeader + pointer, (ulong)modules.Length);
        version.CopyTo(section, versionData);
        modules.CopyTo(section, modulesData);

        using var dir = new TempDir();
        WriteExecutable(dir, "bin/old", ElfBuilder.Build([(".text", new byte[70_000]), (".go.buildinfo", section)], is64, bigEndian));
        var result = LanguageScan.Run(dir.Path, new GoBinaryCataloger());
        Assert.Empty(result.Warnings);
        Assert.Equal(["example.com/old@v1.0.0", "golang.org/x/text@v0.3.7", "stdlib@v1.16.15"],
            result.Packages.Select(p => $"{p.Name}@{p.Version}").Order(StringComparer.Ordinal));
        Assert.Equal("go1.16.15", result.Packages.Single("stdlib").Metadata["goVersion"]);
    }

    internal static void WriteExecutable(TempDir dir, string path, byte[] content)
    {
        var full = dir.File(path, content);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>A Go 1.18+ inline build info section for <see cref="ModuleText"/> built by go1.22.1.</summary>
    internal static byte[] InlineBuildInfo()
    {
        var inline = new List<byte>();
        inline.AddRange([0xff, .. " Go buildinf:"u8.ToArray(), 8, 2]);
        inline.AddRange(new byte[16]);
        void Varint(string s)
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            var n = (ulong)bytes.Length;
            while (n >= 0x80) { inline.Add((byte)(n | 0x80)); n >>= 7; }
            inline.Add((byte)n);
            inline.AddRange(bytes);
        }
        Varint("go1.22.1");
        Varint(Framed(ModuleText));

        return inline.ToArray();
    }

    [Fact]
    public void Binary_with_inline_layout_built_by_hand_and_hostile_variants()
    {
        var inline = InlineBuildInfo().ToList();
        using var dir = new TempDir();
        WriteExecutable(dir, "bin/good", ElfBuilder.Build([(".text", new byte[70_000]), (".go.buildinfo", inline.ToArray())]));
        // A length running past the section.
        var truncated = inline.Take(40).ToArray();
        truncated[32] = 0x7f;
        WriteExecutable(dir, "bin/truncated", ElfBuilder.Build([(".text", new byte[70_000]), (".go.buildinfo", truncated)]));
        // A section table pointing past the end of the file.
        var corrupt = ElfBuilder.Build([(".text", new byte[70_000])]);
        BinaryPrimitives.WriteUInt64LittleEndian(corrupt.AsSpan(40), 1UL << 40);
        WriteExecutable(dir, "bin/corrupt", corrupt);
        // Executables that are not Go: a script and a C program's ELF.
        WriteExecutable(dir, "bin/script", Encoding.ASCII.GetBytes("#!/bin/sh\n" + new string('#', 70_000)));
        WriteExecutable(dir, "bin/c", ElfBuilder.Build([(".text", new byte[70_000]), (".data", new byte[64])]));

        var result = LanguageScan.Run(dir.Path, new GoBinaryCataloger());
        Assert.Equal(["example.com/old@v1.0.0", "golang.org/x/text@v0.3.7", "stdlib@v1.22.1"],
            result.Packages.Select(p => $"{p.Name}@{p.Version}").Order(StringComparer.Ordinal));
        Assert.All(result.Packages, p => Assert.Equal("/bin/good", p.Locations[0].Path));
        Assert.Equal(2, result.Warnings.Count);
        Assert.Contains(result.Warnings, w => w.StartsWith("/bin/truncated", StringComparison.Ordinal) && w.Contains("runs past", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.StartsWith("/bin/corrupt", StringComparison.Ordinal) && w.Contains("outside", StringComparison.Ordinal));
    }

    private static string GoTool()
    {
        var go = new[] { "/usr/bin/go", "/usr/lib/go/bin/go", "/usr/local/go/bin/go" }.FirstOrDefault(File.Exists);
        Assert.True(go is not null, "the go toolchain is missing: apt-get install golang-go");
        return go!;
    }

    private static (int ExitCode, string Output, string Error) Run(string file, IEnumerable<string> args, string? workingDirectory = null, IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? "" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (environment is not null) foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>What `go version -m` says, reduced to what the cataloger reports.</summary>
    private static (string GoVersion, string? Path, string? Main, List<string> Deps) GoVersionM(string binary)
    {
        var (code, output, error) = Run(GoTool(), ["version", "-m", binary]);
        Assert.True(code == 0, $"go version -m {binary}: {error}");
        var lines = output.Split('\n');
        var goVersion = lines[0][(lines[0].IndexOf(": ", StringComparison.Ordinal) + 2)..].Trim();
        string? path = null, main = null;
        var deps = new List<(string Path, string Version)>();
        var replaced = new Dictionary<int, (string Path, string Version)>();
        foreach (var line in lines.Skip(1))
        {
            var f = line.Trim('\t', ' ').Split('\t');
            switch (f[0])
            {
                case "path": path = f[1]; break;
                case "mod": main = $"{f[1]}@{f[2]}"; break;
                case "dep": deps.Add((f[1], f[2])); break;
                case "=>" when deps.Count > 0:
                    if (!f[1].StartsWith('.') && !f[1].StartsWith('/')) deps[^1] = (f[1], f[2]);
                    break;
            }
        }
        return (goVersion, path, main, deps.Select(d => $"{d.Path}@{d.Version}").Order(StringComparer.Ordinal).ToList());
    }

    private static void AssertMatchesGoVersionM(string binary)
    {
        var expected = GoVersionM(binary);
        using var dir = new TempDir();
        // Scan the binary as a one-file target (the directory would pull in every other executable beside it).
        var result = LanguageScan.Run(binary, new GoBinaryCataloger());
        Assert.Empty(result.Warnings);
        var packages = result.Packages;
        var stdlib = packages.Single("stdlib");
        Assert.Equal(expected.GoVersion, stdlib.Metadata["goVersion"]);
        Assert.Equal(GoPackages.StdlibVersion(expected.GoVersion), stdlib.Version);
        Assert.Equal(expected.Path, stdlib.Metadata.GetValueOrDefault("path"));
        var main = packages.Where(p => p.Metadata.ContainsKey("main")).Select(p => $"{p.Name}@{p.Version}").SingleOrDefault();
        Assert.Equal(expected.Main, main);
        var deps = packages.Where(p => p.Name != "stdlib" && !p.Metadata.ContainsKey("main")).Select(p => $"{p.Name}@{p.Version}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected.Deps, deps);
    }

    /// <summary>Oracle: Debian's Go programs (CI installs skopeo, podman and docker-registry).</summary>
    [Theory]
    [InlineData("/usr/bin/skopeo")]
    [InlineData("/usr/bin/podman")]
    [InlineData("/usr/bin/docker-registry")]
    public void Debian_go_binaries_match_go_version_m(string binary)
    {
        Assert.True(File.Exists(binary), $"{binary} is missing: apt-get install skopeo podman docker-registry");
        AssertMatchesGoVersionM(binary);
    }

    /// <summary>Oracle on module-mode binaries with hundreds of dependencies and replacements, where the machine has them.</summary>
    [Fact]
    public void Module_mode_go_binaries_on_this_machine_match_go_version_m()
    {
        var candidates = new[] { "/usr/local/bin/terraform", "/usr/bin/kubectl", "/usr/bin/kpt" }.Where(File.Exists).ToList();
        foreach (var binary in candidates) AssertMatchesGoVersionM(Path.GetFullPath(new FileInfo(binary).ResolveLinkTarget(true)?.FullName ?? binary));
    }

    [Fact]
    public void Freshly_built_go_program_with_a_local_dependency()
    {
        using var dir = new TempDir();
        dir.File("hello/go.mod", "module example.com/hello\n\ngo 1.19\n\nrequire example.com/greet v0.0.0\n\nreplace example.com/greet => ../greet\n");
        dir.File("hello/main.go", "package main\n\nimport (\n\t\"os\"\n\n\t\"example.com/greet\"\n)\n\nfunc main() { os.Stdout.WriteString(greet.Hello()) }\n");
        dir.File("greet/go.mod", "module example.com/greet\n\ngo 1.19\n");
        dir.File("greet/greet.go", "package greet\n\nfunc Hello() string { return \"hello\\n\" }\n");
        var environment = new Dictionary<string, string>
        {
            ["GOFLAGS"] = "-mod=mod", ["GOPROXY"] = "off", ["GOSUMDB"] = "off", ["GOTOOLCHAIN"] = "local", ["CGO_ENABLED"] = "0",
            ["GOPATH"] = dir.Combine("gopath"), ["GOCACHE"] = Environment.GetEnvironmentVariable("GOCACHE") ?? dir.Combine("gocache"),
            ["HOME"] = dir.Path,
        };
        var output = dir.Combine("out/hello");
        var (code, _, error) = Run(GoTool(), ["build", "-o", output, "."], dir.Combine("hello"), environment);
        Assert.True(code == 0, "go build failed: " + error);

        AssertMatchesGoVersionM(output);
        var result = LanguageScan.Run(dir.Combine("out"), new GoBinaryCataloger());
        var main = result.Packages.Single(p => p.Metadata.ContainsKey("main"));
        Assert.Equal("example.com/hello", main.Name);
        Assert.Equal("(devel)", main.Version);
        var greet = result.Packages.Single("example.com/greet");
        Assert.Equal("v0.0.0", greet.Version);
        Assert.Equal("../greet (devel)", greet.Metadata["replace"]);
        var (_, versionOutput, _) = Run(GoTool(), ["env", "GOVERSION"]);
        Assert.Equal(GoPackages.StdlibVersion(versionOutput.Trim()), result.Packages.Single("stdlib").Version);
        Assert.Equal(2, main.DependsOn.Count);
    }

    /// <summary>Binaries stripped of their section headers (sstrip): Go's fallback, the start of the first writable segment.</summary>
    [Fact]
    public void Binary_without_section_headers_is_found_through_the_data_segment()
    {
        var elf = ElfBuilder.Build([(".text", new byte[32]), (".go.buildinfo", InlineBuildInfo())]);
        BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(40), 0); // e_shoff
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(60), 0); // e_shnum
        Array.Resize(ref elf, 70_000);
        using var dir = new TempDir();
        WriteExecutable(dir, "bin/stripped", elf);
        var result = LanguageScan.Run(dir.Path, new GoBinaryCataloger());
        Assert.Empty(result.Warnings);
        Assert.Equal(["example.com/old@v1.0.0", "golang.org/x/text@v0.3.7", "stdlib@v1.22.1"],
            result.Packages.Select(p => $"{p.Name}@{p.Version}").Order(StringComparer.Ordinal));
    }

    /// <summary>A layer reader that cannot seek: the binary is copied to memory within the parse limit, and refused above it.</summary>
    [Fact]
    public void Binary_from_a_stream_that_cannot_seek()
    {
        using var dir = new TempDir();
        WriteExecutable(dir, "tool", ElfBuilder.Build([(".text", new byte[70_000]), (".go.buildinfo", InlineBuildInfo())]));
        using var fs = new NonSeekableFileSystem(new Artifacts.FileSystems.DirectoryFileSystem(dir.Path));
        var entry = fs.Lstat("/tool")!;
        var warnings = new List<string>();
        var packages = new GoBinaryCataloger().Catalog(new CatalogContext(fs, null, Artifacts.ScanLimits.Default, warnings.Add), entry).ToList();
        Assert.Equal(3, packages.Count);
        var small = Artifacts.ScanLimits.Default with { MaxFileBytes = 10_000 };
        Assert.Throws<Artifacts.LimitExceededException>(() => new GoBinaryCataloger().Catalog(new CatalogContext(fs, null, small, warnings.Add), entry).ToList());
    }

    private sealed class NonSeekableFileSystem(Artifacts.FileSystems.IFileSystem inner) : Artifacts.FileSystems.IFileSystem
    {
        public IEnumerable<Artifacts.FileSystems.FileEntry> Enumerate(CancellationToken cancellationToken = default) => inner.Enumerate(cancellationToken);
        public Artifacts.FileSystems.FileEntry? Lstat(string path) => inner.Lstat(path);
        public Stream Open(Artifacts.FileSystems.FileEntry entry) => new BufferedStream(new ForwardOnly(inner.Open(entry)));
        public IEnumerable<Artifacts.FileSystems.FileEntry> List(string directory) => inner.List(directory);
        public void Dispose() => inner.Dispose();

        private sealed class ForwardOnly(Stream inner) : Stream
        {
            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => false;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
            public override void Flush() { }
            public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
            protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
        }
    }

    /// <summary>Oracle: cmd/go's own go.mod parser (<c>go mod edit -json</c>) reads the same file.</summary>
    [Fact]
    public void Go_mod_parse_matches_go_mod_edit_json()
    {
        using var dir = new TempDir();
        var text = """
            // comment
            module "github.com/example/app"

            go 1.19

            require github.com/spf13/cobra v1.8.0 // a comment that is not indirect

            require (
            	github.com/google/uuid v1.6.0
            	"github.com/pkg/errors" v0.9.1 // indirect
            	golang.org/x/sys v0.20.0 // indirect; needed by uuid
            	github.com/old/lib v1.0.0
            	example.com/local v0.0.0-00010101000000-000000000000
            )

            replace github.com/old/lib => github.com/new/lib v1.5.0
            replace (
            	example.com/local => ../local
            	example.com/pinned v1.0.0 => example.com/fork v9.9.9
            )

            exclude (
            	example.com/bad v1.2.3
            	example.com/bad v1.2.4
            )

            retract [v0.1.0, v0.1.5] // broken
            """;
        dir.File("go.mod", text);
        var environment = new Dictionary<string, string> { ["GOFLAGS"] = "-mod=mod", ["GOPROXY"] = "off", ["GOTOOLCHAIN"] = "local", ["GOPATH"] = dir.Combine("gopath"), ["GOCACHE"] = dir.Combine("gocache") };
        var (code, output, error) = Run(GoTool(), ["mod", "edit", "-json"], dir.Path, environment);
        Assert.True(code == 0, "go mod edit -json: " + error);
        using var json = System.Text.Json.JsonDocument.Parse(output);
        var root = json.RootElement;
        static string? Str(System.Text.Json.JsonElement e, string p) => e.TryGetProperty(p, out var v) ? v.GetString() : null;

        var parsed = GoModFile.Parse(text);
        Assert.Equal(Str(root.GetProperty("Module"), "Path"), parsed.Module);
        Assert.Equal(Str(root, "Go"), parsed.GoVersion);
        Assert.Equal(root.GetProperty("Require").EnumerateArray().Select(r => new GoModFile.Requirement(Str(r, "Path")!, Str(r, "Version")!, r.TryGetProperty("Indirect", out var i) && i.GetBoolean())),
            parsed.Requires);
        Assert.Equal(root.GetProperty("Replace").EnumerateArray().Select(r => new GoModFile.Replacement(
                Str(r.GetProperty("Old"), "Path")!, Str(r.GetProperty("Old"), "Version"), Str(r.GetProperty("New"), "Path")!, Str(r.GetProperty("New"), "Version"))),
            parsed.Replaces);
        Assert.Equal(root.GetProperty("Exclude").EnumerateArray().Select(r => new GoModFile.Exclusion(Str(r, "Path")!, Str(r, "Version")!)), parsed.Excludes);
    }
}
