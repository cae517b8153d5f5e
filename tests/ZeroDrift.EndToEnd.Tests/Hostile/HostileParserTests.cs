using System.Text;
using System.Text.Json;

namespace ZeroDrift.EndToEnd.Tests.Hostile;

/// <summary>
/// The hostile-input corpus for the parsers of a target's files and of <c>policy check</c>'s manifests (issue 15, item
/// 2): every reader works within one budget (bytes from stat, nesting before any recursion, items, time), so each input
/// below ends in a warning naming the file (or, for a command reading one file, exit 2 with one line) while the files
/// beside it are still read. Inputs are generated here; each is modelled on a published failure of a peer.
/// </summary>
public sealed class HostileParserTests
{
    private const string Policy = "apiVersion: zerodrift.dev/v1\nkind: ImagePolicy\nunmatched: allow\nimages: []\n";

    /// <summary>A file written in pieces (the large ones are never held in the test's memory).</summary>
    private static void Write(HostileSandbox sandbox, string relative, Action<Stream> write)
    {
        var path = Path.Combine(sandbox.Target, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        write(stream);
    }

    private static void Repeat(Stream stream, string text, long times)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var block = new byte[Math.Max(bytes.Length, 1 << 20) / bytes.Length * bytes.Length];
        for (var i = 0; i < block.Length; i += bytes.Length) bytes.CopyTo(block, i);
        var perBlock = block.Length / bytes.Length;
        for (long done = 0; done < times; done += perBlock)
            stream.Write(block, 0, (int)(Math.Min(perBlock, times - done) * bytes.Length));
    }

    /// <summary>A file that claims <paramref name="bytes"/> bytes without taking them: a sparse file, as <c>truncate</c> makes.</summary>
    private static void Sparse(HostileSandbox sandbox, string relative, long bytes) =>
        Write(sandbox, relative, stream => ((FileStream)stream).SetLength(bytes));

    private static List<string> Purls(HostileOutcome outcome)
    {
        using var document = JsonDocument.Parse(outcome.Stdout);
        return [.. document.RootElement.GetProperty("packages").EnumerateArray().Select(p => p.GetProperty("purl").GetString()!)];
    }

    private static List<(string Path, string Rule)> Findings(HostileOutcome outcome)
    {
        using var document = JsonDocument.Parse(outcome.Stdout);
        return [.. document.RootElement.GetProperty("contentFindings").EnumerateArray()
            .Select(f => (f.GetProperty("path").GetString()!, f.GetProperty("ruleId").GetString()!))];
    }

    private static void AssertWarned(HostileOutcome outcome, string file, string what) =>
        Assert.True(outcome.Stderr.Split('\n').Any(l => l.StartsWith("zerodrift: warning: " + file, StringComparison.Ordinal) && l.Contains(what, StringComparison.Ordinal)),
            $"no warning about {file} saying '{what}':\n{outcome.Stderr}");

    private static void AssertOneErrorLine(HostileOutcome outcome, string expected)
    {
        Assert.Equal(2, outcome.ExitCode);
        var lines = outcome.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1 && lines[0] == "zerodrift: error: " + expected, outcome.Stderr);
    }

    private const string Pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx:1.27\n    securityContext:\n      privileged: true\n";

    // CVE-2022-38749 (SnakeYAML), CVE-2026-33532 (yaml), SharpYaml #130: a recursive YAML composer overflows its
    // stack on flow collections nested a few thousand deep; in .NET a stack overflow kills the process (exit 134).
    [Theory]
    [InlineData("[")]
    [InlineData("{a: ")]
    public void Policy_check_of_a_manifest_nested_100000_deep_is_one_error_line(string opener)
    {
        using var sandbox = new HostileSandbox();
        sandbox.File("policy.yaml", Policy);
        Write(sandbox, "deep.yaml", s =>
        {
            s.Write("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers: "u8);
            Repeat(s, opener, 100_000);
        });
        var outcome = sandbox.Run("policy", "check", "deep.yaml", "--policy", "policy.yaml");
        outcome.AssertContained("policy check, 100,000 nested " + opener);
        AssertOneErrorLine(outcome, "deep.yaml: nested deeper than 64 levels");
    }

    // js-yaml #739/#742, Kubernetes CVE-2019-11253: a few hundred bytes of anchors and aliases stand for a billion nodes.
    [Fact]
    public void Policy_check_of_an_alias_bomb_is_one_error_line()
    {
        using var sandbox = new HostileSandbox();
        sandbox.File("policy.yaml", Policy);
        var bomb = new StringBuilder("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  annotations:\n    a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (var c = 'b'; c <= 'i'; c++) bomb.Append($"    {c}: &{c} [{string.Join(",", Enumerable.Repeat("*" + (char)(c - 1), 9))}]\n");
        sandbox.File("bomb.yaml", bomb.ToString());
        var outcome = sandbox.Run("policy", "check", "bomb.yaml", "--policy", "policy.yaml");
        outcome.AssertContained("policy check, alias bomb");
        AssertOneErrorLine(outcome, "bomb.yaml: YAML aliases expand to more than 2000000 nodes (an alias bomb?)");
    }

    // Trivy's and Kyverno's OOM reports on large multi-document inputs: 60,000 Pods in one 5.6 MB file made 480,000
    // findings and 1.09 GiB. The documents are read one at a time, and a file's findings stop at the per-file limit.
    [Fact]
    public void Sixty_thousand_pods_in_one_manifest_stay_within_memory()
    {
        using var sandbox = new HostileSandbox();
        Write(sandbox, "pods.yaml", s =>
        {
            for (var i = 0; i < 60_000; i++)
                s.Write(Encoding.UTF8.GetBytes($"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\nspec:\n  containers:\n  - name: c\n    image: nginx\n---\n"));
        });
        sandbox.File("app/pod.yaml", Pod);
        var outcome = sandbox.Run("scan", ".", "--scanners", "misconfig", "--format", "json");
        outcome.AssertContained("60,000 Pod documents");
        Assert.Equal(0, outcome.ExitCode);
        AssertWarned(outcome, "/pods.yaml", "more than 10000 misconfig findings; the rest of the file is not reported");
        var findings = Findings(outcome);
        Assert.Equal(10_000, findings.Count(f => f.Path == "/pods.yaml"));
        Assert.Contains(findings, f => f.Path == "/app/pod.yaml" && f.Rule == "ZD-K8S-003");
    }

    // The same nesting inside a scanned tree: the manifest is a warning, the one beside it is still checked.
    [Fact]
    public void A_deeply_nested_manifest_in_a_tree_is_a_warning_and_its_neighbour_is_checked()
    {
        using var sandbox = new HostileSandbox();
        Write(sandbox, "deep.yaml", s =>
        {
            s.Write("apiVersion: v1\nkind: Pod\nspec: "u8);
            Repeat(s, "[", 100_000);
        });
        var block = new StringBuilder("apiVersion: v1\nkind: Pod\n");
        for (var i = 0; i < 3_000; i++) block.Append(new string(' ', i)).Append("k:\n");
        sandbox.File("block.yaml", block.ToString());
        sandbox.File("app/pod.yaml", Pod);
        var outcome = sandbox.Run("scan", ".", "--scanners", "misconfig", "--format", "json");
        outcome.AssertContained("nested manifests in a tree");
        AssertWarned(outcome, "/deep.yaml", "nested deeper than 64 levels");
        AssertWarned(outcome, "/block.yaml", "nested deeper than 64 levels");
        Assert.Contains(Findings(outcome), f => f.Path == "/app/pod.yaml" && f.Rule == "ZD-K8S-003");
    }

    // --max-nesting is the flag of that bound: a manifest 20 deep passes by default and is refused under 10.
    [Fact]
    public void Max_nesting_changes_the_depth_every_parser_accepts()
    {
        using var sandbox = new HostileSandbox();
        sandbox.File("pod.yaml", Pod + "  extra: " + new string('[', 20) + new string(']', 20) + "\n");
        sandbox.File("package-lock.json", "{\"lockfileVersion\": 3, \"packages\": {\"node_modules/a\": {\"version\": \"1.0.0\", \"x\": " + new string('[', 20) + new string(']', 20) + "}}}");
        var normal = sandbox.Run("scan", ".", "--scanners", "misconfig", "--format", "json");
        normal.AssertContained("20 levels, default limit");
        Assert.Contains(Findings(normal), f => f.Rule == "ZD-K8S-003");
        var strict = sandbox.Run("scan", ".", "--scanners", "misconfig", "--format", "json", "--max-nesting", "10");
        strict.AssertContained("20 levels, --max-nesting 10");
        AssertWarned(strict, "/pod.yaml", "nested deeper than 10 levels");
        var sbom = sandbox.Run("sbom", ".", "--format", "json", "--max-nesting", "10");
        sbom.AssertContained("lockfile 20 levels, --max-nesting 10");
        AssertWarned(sbom, "/package-lock.json", "depth");
    }

    // syft #831 (a malformed requirements.txt panicked the scan); here the issue's input: one 200 MiB line under
    // --max-file-bytes, which cost 3.5 GiB and ended in "internal error: ArgumentException". Lines are streamed through
    // a bounded buffer: the over-long one is skipped with a warning, and the pins around it and beside it are read.
    [Fact]
    public void A_200_MiB_one_line_requirements_file_is_skipped_line_by_line()
    {
        using var sandbox = new HostileSandbox();
        Write(sandbox, "requirements.txt", s =>
        {
            s.Write("flask==2.0.0\n"u8);
            Repeat(s, "a", 200L << 20);
            s.Write("\nrequests==2.31.0\n"u8);
        });
        sandbox.File("svc/requirements.txt", "django==4.2.0\n");
        var outcome = sandbox.Run("sbom", ".", "--format", "json");
        outcome.AssertContained("200 MiB one-line requirements.txt");
        Assert.Equal(0, outcome.ExitCode);
        AssertWarned(outcome, "/requirements.txt", "line 2 is longer than 1048576 characters");
        var purls = Purls(outcome);
        Assert.Contains("pkg:pypi/flask@2.0.0", purls);
        Assert.Contains("pkg:pypi/requests@2.31.0", purls);
        Assert.Contains("pkg:pypi/django@4.2.0", purls);
    }

    // The same length built from continuation lines: each physical line is short, the logical line is not.
    [Fact]
    public void An_endless_chain_of_continued_lines_is_one_overlong_requirement()
    {
        using var sandbox = new HostileSandbox();
        Write(sandbox, "requirements.txt", s =>
        {
            s.Write("flask==2.0.0 \\\n"u8);
            Repeat(s, "  --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000 \\\n", 200_000);
            s.Write("\nrequests==2.31.0\n"u8);
        });
        var outcome = sandbox.Run("sbom", ".", "--format", "json");
        outcome.AssertContained("continued lines");
        AssertWarned(outcome, "/requirements.txt", "line 1 is longer than 1048576 characters");
        Assert.Equal(["pkg:pypi/requests@2.31.0"], Purls(outcome));
    }

    // The issue's sparse lockfiles: 20 GiB by stat, none of it on disk. 1.17 GiB was read before the size limit
    // applied; the size from stat now refuses each before it is opened, whichever cataloger reads it.
    [Theory]
    [InlineData("package-lock.json")]
    [InlineData("requirements.txt")]
    [InlineData("pnpm-lock.yaml")]
    [InlineData("Cargo.lock")]
    [InlineData("App.csproj")]
    public void A_sparse_20_GiB_lockfile_is_refused_from_its_size(string name)
    {
        using var sandbox = new HostileSandbox();
        Sparse(sandbox, "big/" + name, 20L << 30);
        sandbox.File("app/requirements.txt", "flask==2.0.0\n");
        var outcome = sandbox.Run("sbom", ".", "--format", "json");
        outcome.AssertContained("sparse 20 GiB " + name);
        Assert.Equal(0, outcome.ExitCode);
        AssertWarned(outcome, "/big/" + name, "21474836480 bytes, larger than the 536870912 byte limit for a parsed file");
        Assert.Contains("pkg:pypi/flask@2.0.0", Purls(outcome));
        Assert.True(outcome.PeakRssKiB < 512 * 1024, $"peak RSS {outcome.PeakRssKiB} KiB for a file never read");
    }

    // trivy #6854 (OOM on a lockfile) and the issue's 150 MiB package-lock.json (1.4 GiB): the file is read as a stream,
    // one package entry at a time; entries carrying tens of megabytes of fields nobody reads cost one entry's memory.
    [Fact]
    public void A_150_MiB_package_lock_is_read_as_a_stream()
    {
        using var sandbox = new HostileSandbox();
        Write(sandbox, "package-lock.json", s =>
        {
            s.Write("{\"name\": \"app\", \"lockfileVersion\": 3, \"description\": \""u8);
            Repeat(s, "x", 40L << 20);
            s.Write("\", \"packages\": {\"\": {\"name\": \"app\"}"u8);
            for (var i = 0; i < 110; i++)
            {
                s.Write(Encoding.UTF8.GetBytes($", \"node_modules/p{i}\": {{\"version\": \"1.0.{i}\", \"license\": \"MIT\", \"readme\": \""));
                Repeat(s, "y", 1L << 20);
                s.Write("\"}"u8);
            }
            s.Write("}}"u8);
        });
        var outcome = sandbox.Run("sbom", ".", "--format", "json");
        outcome.AssertContained("150 MiB package-lock.json");
        Assert.Equal(0, outcome.ExitCode);
        var purls = Purls(outcome);
        Assert.Equal(110, purls.Count);
        Assert.Contains("pkg:npm/p109@1.0.109", purls);
    }

    // trivy #6854: a workspace entry linking to itself ("resolved": "", "link": true) sent Trivy into unbounded memory.
    [Fact]
    public void A_lockfile_link_to_itself_or_in_a_loop_ends()
    {
        using var sandbox = new HostileSandbox();
        sandbox.File("package-lock.json", """
            {"lockfileVersion": 3, "packages": {
              "": {"name": "app", "workspaces": ["./"]},
              "node_modules/self": {"resolved": "", "link": true},
              "node_modules/a": {"resolved": "node_modules/b", "link": true},
              "node_modules/b": {"resolved": "node_modules/a", "link": true},
              "node_modules/ok": {"version": "1.2.3"}
            }}
            """);
        var outcome = sandbox.Run("sbom", ".", "--format", "json");
        outcome.AssertContained("self-linked workspace");
        Assert.Equal(["pkg:npm/ok@1.2.3"], Purls(outcome));
    }

    // The issue's 2.6 MB .csproj of 200,000 nested elements: loading it took time quadratic in the depth (40,000 levels:
    // 7.9 s) and --max-nesting did not apply to XML. The reader now refuses the 65th level as it reads it.
    [Theory]
    [InlineData("App.csproj", "<Project>", "</Project>")]
    [InlineData("pom.xml", "<project>", "</project>")]
    [InlineData("packages.config", "<packages>", "</packages>")]
    public void Two_hundred_thousand_nested_xml_elements_stop_at_the_nesting_limit(string name, string open, string close)
    {
        using var sandbox = new HostileSandbox();
        Write(sandbox, "deep/" + name, s =>
        {
            s.Write(Encoding.UTF8.GetBytes(open));
            Repeat(s, "<a>", 200_000);
            Repeat(s, "</a>", 200_000);
            s.Write(Encoding.UTF8.GetBytes(close));
        });
        sandbox.File("app/App.csproj", "<Project><ItemGroup><PackageReference Include=\"Newtonsoft.Json\" Version=\"13.0.3\" /></ItemGroup></Project>");
        var outcome = sandbox.Run("sbom", ".", "--format", "json");
        outcome.AssertContained("200,000 nested elements in " + name);
        AssertWarned(outcome, "/deep/" + name, "nested deeper than 64 levels");
        Assert.Contains("pkg:nuget/Newtonsoft.Json@13.0.3", Purls(outcome));
        Assert.True(outcome.Elapsed < TimeSpan.FromSeconds(30), $"took {outcome.Elapsed}");
    }

    // XXE (CVE-2018-1000613-class, as OWASP dependency-check and many POM readers met it) and billion laughs in XML:
    // no DTD is processed at all, so no file is read and no entity expands.
    [Fact]
    public void Xml_with_external_entities_or_an_entity_bomb_is_refused()
    {
        using var sandbox = new HostileSandbox();
        sandbox.File("xxe/packages.config", $"<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY x SYSTEM \"file://{sandbox.Canary}\">]><packages><package id=\"&x;\" version=\"1.0.0\" /></packages>");
        var laughs = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY l0 \"lol\">");
        for (var i = 1; i < 10; i++) laughs.Append($"<!ENTITY l{i} \"{string.Concat(Enumerable.Repeat($"&l{i - 1};", 10))}\">");
        sandbox.File("laughs/pom.xml", laughs.Append("]><project><name>&l9;</name></project>").ToString());
        sandbox.File("app/packages.config", "<packages><package id=\"Serilog\" version=\"3.1.1\" /></packages>");
        var outcome = sandbox.Run("sbom", ".", "--format", "json");
        outcome.AssertContained("XXE and entity bomb");
        AssertWarned(outcome, "/xxe/packages.config", "DTD");
        AssertWarned(outcome, "/laughs/pom.xml", "DTD");
        Assert.Equal(["pkg:nuget/Serilog@3.1.1"], Purls(outcome));
    }

    // Deep JSON and TOML in lockfiles (osv-scanner #256 and osv-scanner PR #1327: malformed lockfiles crashed the scan):
    // the readers' own depth bound, from --max-nesting, before any recursion.
    [Theory]
    [InlineData("package-lock.json", "{\"lockfileVersion\": 3, \"packages\": {\"node_modules/x\": ", "[", "depth")]
    [InlineData("composer.lock", "{\"packages\": ", "[", "depth")]
    [InlineData("Cargo.lock", "[[package]]\nname = \"x\"\nversion = \"1.0.0\"\nextra = ", "[", "maximum depth of 64 has been exceeded.")]
    [InlineData("uv.lock", "[[package]]\nname = \"x\"\nversion = \"1.0.0\"\nextra = ", "{a = ", "maximum depth of 64 has been exceeded.")]
    [InlineData("pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages: ", "[", "nested deeper than 64 levels")]
    [InlineData("yarn.lock", "__metadata:\n  version: 6\n\"a@npm:1\": ", "{a: ", "nested deeper than 64 levels")]
    public void Lockfiles_nested_100000_deep_are_warnings(string name, string head, string opener, string said)
    {
        using var sandbox = new HostileSandbox();
        Write(sandbox, "deep/" + name, s =>
        {
            s.Write(Encoding.UTF8.GetBytes(head));
            Repeat(s, opener, 100_000);
        });
        sandbox.File("app/requirements.txt", "flask==2.0.0\n");
        var outcome = sandbox.Run("sbom", ".", "--format", "json");
        outcome.AssertContained("100,000 nested in " + name);
        Assert.Equal(0, outcome.ExitCode);
        AssertWarned(outcome, "/deep/" + name, said);
        Assert.Equal(["pkg:pypi/flask@2.0.0"], Purls(outcome));
    }

    // --max-entries bounds the items of one parsed file too: a lockfile of 5,000 entries under --max-entries 1000.
    [Fact]
    public void Max_entries_bounds_the_items_of_one_file()
    {
        using var sandbox = new HostileSandbox();
        sandbox.File("package-lock.json", "{\"lockfileVersion\": 3, \"packages\": {"
            + string.Join(", ", Enumerable.Range(0, 5_000).Select(i => $"\"node_modules/p{i}\": {{\"version\": \"1.0.0\"}}")) + "}}");
        sandbox.File("app/requirements.txt", "flask==2.0.0\n");
        var outcome = sandbox.Run("sbom", ".", "--format", "json", "--max-entries", "1000");
        outcome.AssertContained("--max-entries 1000");
        AssertWarned(outcome, "/package-lock.json", "more than 1000 JSON members");
        Assert.Equal(["pkg:pypi/flask@2.0.0"], Purls(outcome));
    }
}
