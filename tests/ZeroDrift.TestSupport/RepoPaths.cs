namespace ZeroDrift.TestSupport;

/// <summary>Where the repository and the shared test data are, wherever the tests run from.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary><c>../shared/data</c> beside the repository: real OSV, rules, schemas and version vectors.</summary>
    public static string SharedData => Path.GetFullPath(Path.Combine(Root, "..", "shared", "data"));

    public static string Schema(string name) => Path.Combine(SharedData, "schemas", name);

    /// <summary><c>../shared/conformance/SUITE</c> beside the repository: peers' own test suites (CI has them).</summary>
    public static string Conformance(string suite) => Path.GetFullPath(Path.Combine(Root, "..", "shared", "conformance", suite));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ZeroDrift.slnx"))) return dir.FullName;
        throw new InvalidOperationException("repository root (ZeroDrift.slnx) not found above " + AppContext.BaseDirectory);
    }
}
