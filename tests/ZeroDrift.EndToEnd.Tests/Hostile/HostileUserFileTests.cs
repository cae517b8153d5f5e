namespace ZeroDrift.EndToEnd.Tests.Hostile;

/// <summary>
/// Files a user names that are not files (issue 15): <c>/dev/zero</c>, a fifo, or a sparse file far over its size
/// limit, for every option that names one. Each is refused from <c>stat</c> before anything is read: one line, exit 2,
/// never an OutOfMemoryException or a read that blocks.
/// </summary>
public sealed class HostileUserFileTests
{
    private static string[] Scan(string scanners, params string[] extra) =>
        ["scan", ".", "--scanners", scanners, "--db", "/nonexistent/zerodrift.db", "--quiet", .. extra];

    public static TheoryData<string, string[], string> DevZeroOptions => new()
    {
        { "custom check file", Scan("misconfig", "--config-check", "/dev/zero"), "custom check file /dev/zero is not a regular file" },
        { "gitleaks config", Scan("secret", "--secret-config", "/dev/zero"), "gitleaks config /dev/zero is not a regular file" },
        // Suppressions are read (before the database is opened) when the vulnerability scanner runs.
        { "ignore file", Scan("vuln", "--ignorefile", "/dev/zero"), "ignore file /dev/zero is not a regular file" },
        { "VEX document", Scan("vuln", "--vex", "/dev/zero"), "VEX document /dev/zero is not a regular file" },
        { "baseline report", Scan("secret", "--baseline", "/dev/zero"), "baseline report /dev/zero is not a regular file" },
        { "image policy", ["policy", "check", "pod.yaml", "--policy", "/dev/zero"], "policy file /dev/zero is not a regular file" },
        { "manifest for policy check", ["policy", "check", "/dev/zero", "--policy", "policy.yaml"], "manifest /dev/zero is not a regular file" },
        { "behaviour profile", ["profile", "import", "/dev/zero"], "profile /dev/zero is not a regular file" },
    };

    [Theory]
    [MemberData(nameof(DevZeroOptions))]
    public void Dev_zero_named_as_a_file_is_one_line_and_exit_2(string what, string[] args, string message)
    {
        using var sandbox = new HostileSandbox();
        sandbox.File("pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      image: a:1\n");
        sandbox.File("policy.yaml", "apiVersion: zerodrift.dev/v1\nkind: ImagePolicy\nimages: []\n");
        var outcome = sandbox.Run(args);
        outcome.AssertContained($"{what} /dev/zero");
        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains(message, outcome.Stderr, StringComparison.Ordinal);
        Assert.Single(outcome.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void A_sparse_vex_document_of_20_GiB_is_refused_from_its_size()
    {
        using var sandbox = new HostileSandbox();
        sandbox.File("a.txt", "nothing here\n");
        var vex = Path.Combine(sandbox.Root, "vex.json");
        using (var f = File.Create(vex)) f.SetLength(20L << 30);
        var outcome = sandbox.Run(Scan("vuln", "--vex", vex));
        outcome.AssertContained("a sparse 20 GiB VEX document");
        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains($"VEX document {vex} is larger than 16 MiB", outcome.Stderr, StringComparison.Ordinal);
    }
}
