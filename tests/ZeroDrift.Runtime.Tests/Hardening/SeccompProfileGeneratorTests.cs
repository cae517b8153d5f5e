using System.Text.Json;
using ZeroDrift.Runtime.Hardening;

namespace ZeroDrift.Runtime.Tests.Hardening;

public sealed class SeccompProfileGeneratorTests
{
    [Fact]
    public void Allows_exactly_the_calls_used_and_the_runtime_needs()
    {
        using var doc = JsonDocument.Parse(SeccompProfileGenerator.Generate(["read", "write", "accept4"]));
        var root = doc.RootElement;
        Assert.Equal("SCMP_ACT_ERRNO", root.GetProperty("defaultAction").GetString());
        Assert.Equal(1, root.GetProperty("defaultErrnoRet").GetInt32());
        var names = root.GetProperty("syscalls")[0].GetProperty("names").EnumerateArray().Select(n => n.GetString()!).ToList();
        Assert.Equal("SCMP_ACT_ALLOW", root.GetProperty("syscalls")[0].GetProperty("action").GetString());
        Assert.Contains("accept4", names);
        Assert.Contains("execve", names);
        Assert.DoesNotContain("mkdir", names);
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.Equal(names.Distinct().Count(), names.Count);
    }

    [Fact]
    public void Without_the_baseline_only_the_calls_used()
    {
        using var doc = JsonDocument.Parse(SeccompProfileGenerator.Generate(["write", "read"], includeRuntimeBaseline: false));
        Assert.Equal(["read", "write"], doc.RootElement.GetProperty("syscalls")[0].GetProperty("names").EnumerateArray().Select(n => n.GetString()));
    }

    [Fact]
    public void Refuses_a_name_that_is_not_a_system_call() =>
        Assert.Contains("frobnicate", Assert.Throws<ArgumentException>(() => SeccompProfileGenerator.Generate(["read", "frobnicate"])).Message);
}
