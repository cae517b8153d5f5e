using ZeroDrift.Runtime.Rules;
using ZeroDrift.Runtime.Rules.Reference;
using static ZeroDrift.Runtime.Tests.Events;

namespace ZeroDrift.Runtime.Tests;

public sealed class LoaderTests
{
    private const string Base = """
        - required_engine_version: 0.31.0
        - list: my_programs
          items: [ls]
        - macro: access_file
          condition: evt.type = openat
        - rule: program_accesses_file
          desc: track whenever a set of programs opens a file
          condition: (access_file) and proc.name in (my_programs)
          output: a tracked program opened a file (user=%user.name command=%proc.cmdline file=%fd.name)
          priority: INFO
        """;

    private static RuleEngine<SyscallEvent> Load(params string[] files)
    {
        var set = new RuleSet();
        for (var i = 0; i < files.Length; i++) RuleLoader.LoadText(set, files[i], $"file{i}.yaml");
        return RuleEngine<SyscallEvent>.Compile(set, Fields);
    }

    private static bool Fires(RuleEngine<SyscallEvent> engine, SyscallEvent e) => engine.FirstMatch(e) is not null;

    [Fact]
    public void Override_append_extends_lists_macros_and_conditions_from_a_later_file()
    {
        var engine = Load(Base, """
            - list: my_programs
              items: [cat]
              override:
                items: append
            - macro: access_file
              condition: or evt.type = open
              override:
                condition: append
            - rule: program_accesses_file
              condition: and not user.name = root
              override:
                condition: append
            """);
        Assert.True(Fires(engine, Open("/etc/hosts", "O_RDONLY")));                                      // cat appended
        Assert.True(Fires(engine, Open("/etc/hosts", "O_RDONLY", Process("ls", "/bin/ls")) with { Type = "open" })); // macro appended
        Assert.False(Fires(engine, Open("/etc/hosts", "O_RDONLY", Process("cat", "/bin/cat") with { UserName = "root" })));
    }

    [Fact]
    public void Override_replace_and_legacy_append_and_enabled()
    {
        var replaced = Load(Base, """
            - list: my_programs
              items: [cat]
              override:
                items: replace
            - rule: program_accesses_file
              priority: CRITICAL
              override:
                priority: replace
            """);
        Assert.Equal(Priority.Critical, replaced.Rules.Single().Definition.Priority);
        Assert.False(Fires(replaced, Open("/x", "O_RDONLY", Process("ls", "/bin/ls"))));
        Assert.True(Fires(replaced, Open("/x", "O_RDONLY")));

        var legacy = Load(Base, """
            - list: my_programs
              append: true
              items: [cat]
            - rule: program_accesses_file
              append: true
              condition: and fd.name startswith /etc
            """);
        Assert.True(Fires(legacy, Open("/etc/hosts", "O_RDONLY")));
        Assert.False(Fires(legacy, Open("/tmp/hosts", "O_RDONLY")));

        var disabled = Load(Base, """
            - rule: program_accesses_file
              enabled: false
            """);
        Assert.Empty(disabled.Rules);
        Assert.Equal(RuleState.DisabledByFile, disabled.Statuses.Single().State);
        var reenabled = Load(Base, "- rule: program_accesses_file\n  enabled: false\n", "- rule: program_accesses_file\n  enabled: true\n  override:\n    enabled: replace\n");
        Assert.Single(reenabled.Rules);
    }

    [Fact]
    public void Exceptions_compile_into_the_condition_and_can_be_appended()
    {
        var engine = Load("""
            - rule: Write below binary dir
              desc: an attempt to write to any file below a set of binary directories
              condition: evt.type = openat and evt.is_open_write = true and fd.directory in (/bin, /usr/bin)
              output: write below bin (file=%fd.name proc=%proc.name)
              priority: ERROR
              exceptions:
                - name: known_bin_writers
                  fields: [proc.name, fd.name]
                  comps: [=, startswith]
                  values:
                    - [nginx, /usr/bin/nginx]
                    - [apache, /bin/apache]
                - name: proc_only
                  fields: proc.name
                  values: [dpkg, rpm]
            """, """
            - rule: Write below binary dir
              exceptions:
                - name: proc_only
                  values: [apk]
              override:
                exceptions: append
            """);
        SyscallEvent Write(string proc, string path) => Open(path, "O_WRONLY|O_CREAT", Process(proc, "/usr/bin/" + proc));
        Assert.True(Fires(engine, Write("cp", "/usr/bin/nginx")));
        Assert.False(Fires(engine, Write("nginx", "/usr/bin/nginx-debug")));
        Assert.True(Fires(engine, Write("nginx", "/bin/nginx")));
        Assert.False(Fires(engine, Write("dpkg", "/bin/ls")));
        Assert.False(Fires(engine, Write("apk", "/bin/ls")));
        Assert.False(Fires(engine, Open("/bin/ls", "O_RDONLY")));
    }

    [Fact]
    public void A_broken_rule_is_disabled_with_its_reason_and_the_rest_of_the_file_loads()
    {
        var engine = Load("""
            - rule: syntax
              desc: d
              condition: proc.name = (
              output: o
              priority: WARNING
            - rule: unknown field
              desc: d
              condition: evt.type = read and fd.types[0] = ipv4
              output: o
              priority: WARNING
            - rule: unknown macro
              desc: d
              condition: not_a_macro and proc.name = x
              output: o
              priority: warning
            - rule: bad priority
              desc: d
              condition: proc.name = x
              output: o
              priority: LOUD
            - rule: k8s audit
              desc: d
              condition: ka.verb = create
              output: o
              priority: Informational
              source: k8s_audit
            - rule: good
              desc: d
              condition: proc.name = x
              output: "%proc.name %proc.aname[2] %nosuch.field"
              priority: emergency
            """);
        var status = engine.Statuses.ToDictionary(s => s.Name);
        Assert.Equal(RuleState.Invalid, status["syntax"].State);
        Assert.Contains("syntax error", status["syntax"].Reason, StringComparison.Ordinal);
        Assert.Equal(RuleState.MissingField, status["unknown field"].State);
        Assert.Contains("'fd.types'", status["unknown field"].Reason, StringComparison.Ordinal);
        Assert.Contains("undefined macro 'not_a_macro'", status["unknown macro"].Reason, StringComparison.Ordinal);
        Assert.Contains("invalid priority 'LOUD'", status["bad priority"].Reason, StringComparison.Ordinal);
        Assert.Equal(RuleState.OtherSource, status["k8s audit"].State);
        Assert.True(status["good"].IsEvaluated);
        Assert.Contains(status["good"].OutputWarnings, w => w.Contains("nosuch.field", StringComparison.Ordinal));
        Assert.Equal(Priority.Emergency, engine.Rules.Single().Definition.Priority);
    }

    [Theory]
    [InlineData("rule: [unclosed", "not valid YAML")]
    [InlineData("just: a mapping", "not a YAML list of items")]
    [InlineData("- plain string", "each element should be a YAML mapping")]
    [InlineData("- required_engine_version: 99.0.0", "require engine version 99.0.0")]
    public void A_file_that_is_not_rules_is_one_clear_error(string yaml, string message)
    {
        var e = Assert.Throws<RuleFileException>(() => RuleLoader.LoadText(new RuleSet(), yaml, "bad.yaml"));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("bad.yaml: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deeply_nested_yaml_is_refused()
    {
        var yaml = new string('[', 500) + new string(']', 500);
        Assert.Contains("nested deeper", Assert.Throws<RuleFileException>(() => RuleLoader.LoadText(new RuleSet(), yaml, "deep.yaml")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Self_referencing_macros_disable_the_rule_instead_of_hanging()
    {
        var engine = Load("""
            - macro: a
              condition: b
            - macro: b
              condition: a
            - rule: loop
              desc: d
              condition: a
              output: o
              priority: INFO
            """);
        Assert.Contains("refers to itself", engine.Statuses.Single().Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Lists_that_multiply_are_counted_before_they_are_expanded_and_disable_only_the_rule_using_them()
    {
        // Ten lists, each naming the previous one ten times: 10^10 items if expanded.
        var yaml = new System.Text.StringBuilder("- list: l0\n  items: [a, b]\n");
        for (var i = 1; i <= 10; i++)
            yaml.Append($"- list: l{i}\n  items: [{string.Join(", ", Enumerable.Repeat($"l{i - 1}", 10))}]\n");
        yaml.Append("""
            - rule: bomb
              desc: d
              condition: proc.name in (l10)
              output: o
              priority: INFO
            - rule: small
              desc: d
              condition: proc.name in (l2)
              output: o
              priority: INFO
            """);
        var engine = Load(yaml.ToString());
        var reasons = engine.Statuses.ToDictionary(s => s.Name, s => s.Reason);
        Assert.Equal($"list 'l10' expands to 20000000000 items, more than {ConditionResolver.MaxListItems}", reasons["bomb"]);
        Assert.Null(reasons["small"]);
        Assert.Single(engine.Rules); // l2 = 200 items, evaluated
    }

    [Fact]
    public void Long_chains_of_lists_and_macros_disable_the_rule_instead_of_overflowing_the_stack()
    {
        const int n = 50_000;
        var yaml = new System.Text.StringBuilder("- list: l0\n  items: [sh]\n- macro: m0\n  condition: proc.name = sh\n");
        for (var i = 1; i <= n; i++) yaml.Append($"- list: l{i}\n  items: [l{i - 1}]\n- macro: m{i}\n  condition: m{i - 1}\n");
        yaml.Append($"""
            - rule: lists
              desc: d
              condition: proc.name in (l{n})
              output: o
              priority: INFO
            - rule: macros
              desc: d
              condition: m{n}
              output: o
              priority: INFO
            """);
        var reasons = Load(yaml.ToString()).Statuses.ToDictionary(s => s.Name, s => s.Reason);
        Assert.Equal($"list 'l{n}' nests lists deeper than {ConditionResolver.MaxReferenceDepth} levels", reasons["lists"]);
        Assert.StartsWith($"macros nest deeper than {ConditionResolver.MaxReferenceDepth} levels", reasons["macros"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("((a{1,100}){1,100}){1,100}b", "copies")]    // RE2 refuses nested counts past 1,000 copies
    [InlineData("(a)\\1", "backreference")]
    [InlineData("(?=a)b", "lookaround")]
    public void A_regex_re2_refuses_disables_its_rule(string pattern, string reason)
    {
        var engine = Load($"""
            - rule: r
              desc: d
              condition: proc.name regex '{pattern}'
              output: o
              priority: INFO
            """);
        var status = engine.Statuses.Single();
        Assert.StartsWith($"invalid regex '{pattern}' for field 'proc.name'", status.Reason, StringComparison.Ordinal);
        Assert.Contains(reason, status.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_file_that_is_not_a_regular_file_or_too_large_is_refused_before_it_is_read()
    {
        var e = Assert.Throws<RuleFileException>(() => RuleLoader.LoadFile(new RuleSet(), "/dev/zero"));
        Assert.Equal("rule file /dev/zero is not a regular file", e.Message);
        using var dir = new TempDir();
        var big = Path.Combine(dir.Path, "big.yaml");
        using (var f = File.Create(big)) f.SetLength(RuleLoader.MaxFileBytes + 1); // sparse: only stat can tell
        e = Assert.Throws<RuleFileException>(() => RuleLoader.LoadFile(new RuleSet(), big));
        Assert.Equal($"rule file {big} is larger than 16 MiB", e.Message);
    }

    /// <summary>The real Falco rule files (falcosecurity/rules) load; the counts are those reported in docs/rules.md.</summary>
    [Theory]
    [InlineData("falco_rules.yaml", 25, 25, 0)]
    [InlineData("falco-incubating_rules.yaml", 31, 31, 0)]
    [InlineData("falco-sandbox_rules.yaml", 37, 25, 11)]
    public void Falco_rule_files_load_with_known_counts(string file, int loaded, int evaluated, int disabledByFile)
    {
        var set = new RuleSet();
        var report = RuleLoader.LoadFile(set, Path.Combine(RepoPaths.SharedData, "rules", "falco", file));
        var engine = RuleEngine<SyscallEvent>.Compile(set, Fields);
        Assert.Null(report.Error);
        Assert.Equal(loaded, engine.Statuses.Count);
        Assert.Equal(evaluated, engine.Statuses.Count(s => s.IsEvaluated));
        Assert.Equal(disabledByFile, engine.Statuses.Count(s => s.State == RuleState.DisabledByFile));
        Assert.DoesNotContain(engine.Statuses, s => s.State == RuleState.Invalid);
        Assert.All(engine.Rules, r => Assert.False(r.EventTypes.IsAny, r.Name + " runs for every event type"));
    }

    [Fact]
    public void Falco_stable_rules_fire_on_a_shell_in_a_container_and_not_on_nginx()
    {
        var set = new RuleSet();
        RuleLoader.LoadFile(set, Path.Combine(RepoPaths.SharedData, "rules", "falco", "falco_rules.yaml"));
        var engine = RuleEngine<SyscallEvent>.Compile(set, Fields);
        var runc = Process("runc", "/usr/bin/runc") with { Uid = 0, UserName = "root" };
        var shell = Exec(Process("bash", "/bin/bash") with { Tty = 34816, Vpid = 7 }, null, runc, Containerd);
        Assert.Equal("Terminal shell in container", engine.FirstMatch(shell)?.Name);
        Assert.Null(engine.FirstMatch(Exec(Process("nginx", "/usr/sbin/nginx"))));
        var shadow = Open("/etc/shadow", "O_RDONLY", Process("cat", "/bin/cat", "/etc/shadow"));
        Assert.Equal("Read sensitive file untrusted", engine.FirstMatch(shadow)?.Name);
    }
}
