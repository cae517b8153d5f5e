using ZeroDrift.Runtime.Rules;
using static ZeroDrift.Runtime.Tests.Events;

namespace ZeroDrift.Runtime.Tests;

public sealed class ConditionTests
{
    private static readonly Rules.Reference.SyscallEvent Bash = Exec(Process("bash", "/bin/bash", "-c", "id"));

    [Theory]
    [InlineData("proc.name = bash", true)]
    [InlineData("proc.name == bash", true)]
    [InlineData("proc.name != bash", false)]
    [InlineData("proc.name in (sh, bash, \"zsh\")", true)]
    [InlineData("proc.name in (sh, zsh)", false)]
    [InlineData("proc.cmdline contains \"-c id\"", true)]
    [InlineData("proc.cmdline icontains \"BASH -C\"", true)]
    [InlineData("proc.exepath startswith /bin/", true)]
    [InlineData("proc.exepath endswith /bash", true)]
    [InlineData("proc.exepath glob '/bin/*a*h'", true)]
    [InlineData("proc.exepath glob '/usr/*'", false)]
    [InlineData("proc.exepath pmatch (/bin, /sbin)", true)]
    [InlineData("proc.exepath pmatch (/bi)", false)]
    [InlineData("proc.exepath regex '/bin/(ba|z)sh'", true)]
    [InlineData("proc.exepath regex 'ba'", false)] // anchored at both ends, as RE2 ANCHOR_BOTH
    [InlineData("proc.name bcontains 6173", true)] // "as"
    [InlineData("proc.name bstartswith 6261", true)] // "ba"
    [InlineData("user.uid = 33 and user.uid >= 33 and user.uid < 34 and user.uid != 0", true)]
    [InlineData("user.uid > 33", false)]
    [InlineData("proc.aname[1] = nginx and proc.aname[2] = containerd-shim and proc.aname[0] = bash", true)]
    [InlineData("proc.aname = containerd-shim", true)]
    [InlineData("proc.aname = bash", false)]
    [InlineData("proc.aname[5] = bash", false)]
    [InlineData("proc.pname = nginx and proc.pcmdline = 'nginx -g daemon off;'", true)]
    [InlineData("not proc.name = bash", false)]
    [InlineData("not not proc.name = bash", true)]
    [InlineData("not(proc.name = sh)", true)]
    [InlineData("proc.name = sh or proc.name = bash and user.uid = 33", true)]
    [InlineData("(proc.name = sh or proc.name = bash) and user.uid = 0", false)]
    [InlineData("proc.name=sh or(proc.name=bash)", true)]
    [InlineData("tolower(proc.name) = bash and toupper(proc.name) = BASH", true)]
    [InlineData("basename(proc.exepath) = bash", true)]
    [InlineData("len(proc.name) = 4", true)]
    [InlineData("proc.name = val(proc.aname[0])", true)]
    [InlineData("proc.name = val(proc.pname)", false)]
    [InlineData("fd.name exists", false)]
    [InlineData("proc.name exists", true)]
    [InlineData("not fd.name = /etc/passwd", true)] // no fd: the check is false, its negation true (Falco)
    [InlineData("container.id != host and container.image.repository = docker.io/library/nginx", true)]
    [InlineData("evt.type = execve and evt.dir = < and evt.res = SUCCESS and evt.failed = false", true)]
    [InlineData("proc.name intersects (bash, x)", true)]
    public void Operators_follow_Falco_semantics(string condition, bool expected) =>
        Assert.Equal(expected, Condition(condition)(Bash));

    [Fact]
    public void Ip_fields_compare_with_addresses_and_networks()
    {
        var e = Connect("10.1.2.3", 443);
        Assert.True(Condition("fd.sip = 10.1.2.3 and fd.snet = 10.0.0.0/8 and fd.rip in (192.168.0.0/16, 10.1.0.0/16)")(e));
        Assert.False(Condition("fd.sip = 10.1.2.4")(e));
        Assert.True(Condition("fd.net != 127.0.0.0/8 and fd.sport = 443 and fd.lport = 40000 and fd.l4proto = tcp and fd.typechar = 4")(e));
    }

    [Fact]
    public void Keyed_fields_take_their_argument()
    {
        var e = Exec(Process("sh", "/bin/sh")) with
        {
            Container = Container with { Mounts = [new("/run/docker.sock", "/var/run/docker.sock", "", true, "rprivate"), new("/etc", "/host/etc", "", false, "rprivate")] },
            Kubernetes = new Rules.Reference.KubernetesInfo { PodLabels = new Dictionary<string, string> { ["app"] = "web" } },
            Args = new Dictionary<string, string> { ["flags"] = "O_RDONLY" },
        };
        // As Falco: container.mount.dest[X] and the others are keyed by the mount's source (a glob) or an index;
        // container.mount.source[X] by the destination.
        Assert.True(Condition("container.mount.dest[/run/docker.sock] = /var/run/docker.sock")(e), "dest by source");
        Assert.True(Condition("container.mount.dest[/et*] = /host/etc")(e), "dest by source glob");
        Assert.True(Condition("container.mount.source[/host/etc] = /etc and container.mount.source[/host/*] = /etc")(e), "source by destination");
        Assert.True(Condition("container.mount.source[0] = /run/docker.sock and container.mount.dest[1] = /host/etc")(e), "by index");
        Assert.True(Condition("container.mount.rdwr[/etc] = false and container.mount.rdwr[/run/docker.sock] = true and container.mount.propagation[/etc] = rprivate")(e), "rdwr");
        Assert.True(Condition("container.mount[1] = '/etc:/host/etc::false:rprivate' and container.mount[/nothing] = none")(e), "mount");
        Assert.True(Condition("container.mounts = '/run/docker.sock:/var/run/docker.sock::true:rprivate,/etc:/host/etc::false:rprivate'")(e), "mounts");
        // No mount of /proc: "N/A", so both forms of Falco's sensitive_mount macro are false for this container.
        Assert.True(Condition("container.mount.dest[/proc*] = N/A and container.mount.dest[5] = N/A")(e), "no /proc mount");
        Assert.False(Condition("not container.mount.dest[/proc*] in (\"<NA>\",\"N/A\")")(e), "sandbox macro form");
        Assert.False(Condition("container.mount.dest[/proc*] != \"N/A\"")(e), "older macro form");
        Assert.True(Condition("not container.mount.dest[/run/docker.sock] in (\"<NA>\",\"N/A\")")(e), "a real sensitive mount");
        // Mounts unknown (a runtime ZeroDrift cannot read): no value, as Falco before its lookup completes.
        var unknown = e with { Container = Container with { Mounts = null } };
        Assert.False(Condition("container.mount.dest[/proc*] exists")(unknown), "unknown mounts");
        Assert.True(Condition("k8s.pod.label[app] = web and not k8s.pod.label[tier] exists")(e), "labels");
        Assert.True(Condition("evt.arg[flags] = O_RDONLY and evt.arg.flags = O_RDONLY and not evt.arg.mode exists")(e), "args");
    }

    [Fact]
    public void Lists_and_macros_expand_including_nested_lists()
    {
        const string prelude = """
            - list: shells
              items: [bash, sh]
            - list: all_shells
              items: [shells, zsh, '"fish"']
            - macro: is_shell
              condition: proc.name in (all_shells)
            - macro: spawned
              condition: evt.type = execve and is_shell
            """;
        Assert.True(Condition("spawned and proc.name in (shells)", prelude)(Bash));
        Assert.True(Condition("proc.name in all_shells", prelude)(Exec(Process("fish", "/usr/bin/fish"))));
        Assert.False(Condition("spawned", prelude)(Exec(Process("ls", "/bin/ls"))));
    }

    [Theory]
    [InlineData("proc.name = ", "expected a string value")]
    [InlineData("proc.name = bash and", "expected")]
    [InlineData("(proc.name = bash", "expected a ')' token")]
    [InlineData("proc.name bogus bash", "expected a valid check operator")]
    [InlineData("proc.name = bash bash", "unexpected token")]
    public void Syntax_errors_name_what_was_expected(string condition, string message)
    {
        var e = Assert.Throws<ConditionSyntaxException>(() => ConditionParser.Parse(condition));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_nesting_is_refused_not_a_stack_overflow()
    {
        var condition = new string('(', 10_000) + "proc.name = a" + new string(')', 10_000);
        var e = Assert.Throws<ConditionSyntaxException>(() => ConditionParser.Parse(condition));
        Assert.Contains("max depth", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Event_type_sets_follow_not_and_or()
    {
        static EventTypeSet Of(string c) => EventTypeSet.Of(ConditionParser.Parse(c));
        Assert.Equal("execve,execveat", Of("evt.type in (execve, execveat) and proc.name = x").ToString());
        Assert.Equal("open", Of("(evt.type = open or evt.type = connect) and not evt.type = connect").ToString());
        Assert.Equal("all but open", Of("evt.type != open").ToString());
        Assert.True(Of("proc.name = x").IsAny);
        Assert.True(Of("evt.type = open or proc.name = x").IsAny);
        Assert.Equal("open", Of("evt.type = open and not proc.name = x").ToString());
        Assert.True(Of("not (evt.type = open and proc.name = x)").IsAny);
    }
}

public sealed class GlobTests
{
    [Theory]
    [InlineData("/home/*/.ssh/*", "/home/bob/.ssh/id_rsa", true)]
    [InlineData("/home/*/.ssh/*", "/home/a/b/.ssh/x", true)] // * crosses '/' (no FNM_PATHNAME)
    [InlineData("/home/*/.ssh/*", "/root/.ssh/x", false)]
    [InlineData("*../*../*", "/var/www/../../etc/passwd", true)]
    [InlineData("*../*../*", "/var/www/../etc/passwd", false)]
    [InlineData("/etc/ssh/ssh_host_*_key", "/etc/ssh/ssh_host_rsa_key", true)]
    [InlineData("/etc/ssh/ssh_host_*_key", "/etc/ssh/ssh_host_rsa_key.pub", false)]
    [InlineData("file?.[ch]", "file1.c", true)]
    [InlineData("file?.[!ch]", "file1.c", false)]
    [InlineData("[a-c]x", "bx", true)]
    [InlineData("[a-c]x", "dx", false)]
    [InlineData(@"a\*b", "a*b", true)]
    [InlineData(@"a\*b", "axb", false)]
    [InlineData("", "", true)]
    [InlineData("*", "", true)]
    public void Glob_matches_like_fnmatch(string pattern, string value, bool expected) =>
        Assert.Equal(expected, new Glob(pattern, ignoreCase: false).IsMatch(value));

    [Fact]
    public void Iglob_ignores_case() => Assert.True(new Glob("/ETC/*", ignoreCase: true).IsMatch("/etc/Passwd"));

    [Fact]
    public void Pathological_patterns_finish()
    {
        var pattern = string.Concat(Enumerable.Repeat("*a", 200)) + "b";
        Assert.False(new Glob(pattern, false).IsMatch(new string('a', 5000)));
    }
}

public sealed class HostileConditionTests
{
    private static readonly string[] Tokens =
    [
        "proc.name", "fd.name", "proc.aname[", "]", "[", "(", ")", ",", " and ", " or ", "not ", "not(", "=", "!=", "<", ">=",
        " in ", " pmatch ", " glob ", " regex ", " exists", "\"", "'", "\\", "val(", "tolower(", "len(", "0x", "-1", "bash", "/etc/*",
        "macro_x", " ", "\n", "evt.arg.", "b64(", "intersects", "contains ", "[a-", "%", "é", "\0",
    ];

    /// <summary>Random token soup either parses and compiles, or is refused with a reason; nothing else escapes.</summary>
    [Fact]
    public void Random_conditions_never_crash_the_loader_or_compiler()
    {
        var random = new Random(6);
        var set = new RuleSet();
        set.Macros["macro_x"] = new MacroDefinition("macro_x", "proc.name = x", "t");
        for (var i = 0; i < 2_000; i++)
        {
            var condition = string.Concat(Enumerable.Range(0, random.Next(1, 12)).Select(_ => Tokens[random.Next(Tokens.Length)]));
            set.Rules.Add(new RuleDefinition { Name = $"r{i}", Condition = condition, Output = "%proc.name " + condition, File = "t" });
        }
        var engine = RuleEngine<Rules.Reference.SyscallEvent>.Compile(set, Events.Fields);
        Assert.Equal(2_000, engine.Statuses.Count);
        Assert.All(engine.Statuses, s => Assert.True(s.IsEvaluated || s.Reason is { Length: > 0 }));
        var e = Events.Exec(Events.Process("bash", "/bin/bash"));
        foreach (var rule in engine.Rules) rule.CreateAlert(e, 0, "h");
    }
}
