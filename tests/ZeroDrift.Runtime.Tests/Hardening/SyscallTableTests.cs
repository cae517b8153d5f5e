using ZeroDrift.Runtime.Hardening;

namespace ZeroDrift.Runtime.Tests.Hardening;

public sealed class SyscallTableTests
{
    [Theory]
    [InlineData(0, "read")]
    [InlineData(59, "execve")]
    [InlineData(42, "connect")]
    [InlineData(257, "openat")]
    [InlineData(435, "clone3")]
    [InlineData(462, "mseal")]
    public void Knows_the_x86_64_numbers(int number, string name)
    {
        Assert.Equal(name, SyscallTable.Name(number));
        Assert.Equal(number, SyscallTable.Number(name));
    }

    [Fact]
    public void Unknown_numbers_and_names_are_null()
    {
        Assert.Null(SyscallTable.Name(-1));
        Assert.Null(SyscallTable.Name(100_000));
        Assert.Null(SyscallTable.Name(335)); // a hole in the table
        Assert.Null(SyscallTable.Number("frobnicate"));
    }

    /// <summary>The table agrees with the C library headers on this machine where they exist.</summary>
    [Fact]
    public void Agrees_with_the_kernel_headers()
    {
        const string header = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h";
        var checkedCount = 0;
        foreach (var line in File.ReadLines(header))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts is ["#define", var macro, var value] && macro.StartsWith("__NR_", StringComparison.Ordinal) && int.TryParse(value, out var number))
            {
                Assert.Equal(macro[5..], SyscallTable.Name(number));
                checkedCount++;
            }
        }
        Assert.True(checkedCount > 300);
    }
}
