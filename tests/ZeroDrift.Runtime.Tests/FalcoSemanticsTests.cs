using ZeroDrift.Runtime.Rules;
using ZeroDrift.Runtime.Rules.Reference;
using static ZeroDrift.Runtime.Tests.Events;

namespace ZeroDrift.Runtime.Tests;

/// <summary>Fields whose values Falco's own macros test: evt.num, evt.res, evt.is_open_exec.</summary>
public sealed class FalcoSemanticsTests
{
    private static string FalcoFile(string name) => Path.Combine(RepoPaths.SharedData, "rules", "falco", name);

    [Fact]
    public void Falcos_never_true_is_false_for_a_numbered_event_so_its_exclusions_do_not_silence_rules()
    {
        // Falco: `- macro: never_true  condition: (evt.num=0)`; events are numbered from 1.
        const string rules = """
            - macro: never_true
              condition: (evt.num=0)
            - macro: user_known_exception
              condition: (never_true)
            - rule: shell
              desc: d
              condition: evt.type = execve and proc.name = sh and not user_known_exception
              output: shell (num=%evt.num)
              priority: WARNING
            """;
        var engine = Events.Engine(rules);
        var shell = Exec(Process("sh", "/bin/sh")) with { Number = 1 };
        Assert.Equal("shell", engine.FirstMatch(shell)?.Name);
        Assert.Null(engine.FirstMatch(shell with { Number = 0 })); // what an unnumbered agent did: silenced
    }

    [Theory]
    [InlineData(-115, "EINPROGRESS")]
    [InlineData(-111, "ECONNREFUSED")]
    [InlineData(-2, "ENOENT")]
    [InlineData(-133, "EHWPOISON")]
    [InlineData(-512, "ERESTARTSYS")]
    [InlineData(-41, "EUNKNOWN")] // unassigned in Linux
    [InlineData(-9999, "EUNKNOWN")]
    [InlineData(0, "SUCCESS")]
    [InlineData(3, "SUCCESS")]
    public void Errno_names_cover_the_whole_linux_table(long result, string name) => Assert.Equal(name, Errno.Name(result));

    [Fact]
    public void A_non_blocking_connect_is_outbound_to_falcos_macro()
    {
        var set = new RuleSet();
        RuleLoader.LoadFile(set, FalcoFile("falco_rules.yaml"));
        RuleLoader.LoadText(set, """
            - rule: outbound test
              desc: d
              condition: outbound
              output: out
              priority: NOTICE
            """, "test.yaml");
        var engine = RuleEngine<SyscallEvent>.Compile(set, Fields);
        var rule = Assert.Single(engine.Rules, r => r.Name == "outbound test");
        var connect = Connect("93.184.216.34", 443) with { Result = -115 };
        Assert.True(rule.Condition(connect), "EINPROGRESS");
        Assert.False(rule.Condition(connect with { Result = -111 }), "ECONNREFUSED is not a connection");
    }

    [Theory]
    [InlineData("O_WRONLY|O_CREAT|O_TRUNC", "0755", true)]
    [InlineData("O_WRONLY|O_CREAT", "0644", false)]
    [InlineData("O_RDWR|O_DIRECTORY|O_TMPFILE", "0700", true)]
    [InlineData("O_RDONLY", null, false)]
    public void Is_open_exec_is_a_file_created_with_an_execute_bit(string flags, string? mode, bool expected)
    {
        var args = new Dictionary<string, string> { ["flags"] = flags, ["name"] = "/tmp/x" };
        if (mode is not null) args["mode"] = mode;
        var e = Open("/tmp/x", flags) with { Args = args };
        Assert.Equal(expected, Condition("evt.is_open_exec = true")(e));
    }
}
