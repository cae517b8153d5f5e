namespace ZeroDrift.TestSupport;

/// <summary>One of Kubernetes' Pod Security admission fixtures: a pod that must pass or fail one level at some policy versions.</summary>
/// <param name="Id">Its path under the suite's data folder, e.g. <c>restricted/fail/procmount_restricted0.yaml</c>.</param>
/// <param name="Check">Kubernetes' check id the fixture was generated for, lowercased as in its name (<c>procmount_restricted</c>).</param>
public sealed record PssFixture(string Id, string Path, string Level, bool Pass, string Check, IReadOnlyList<string> Versions)
{
    /// <summary>The Pod Security Standards control names (kubernetes.io's) a finding must name for this fail fixture to be
    /// caught by its own control. Kubernetes' restricted volume check replaces its hostPath check, so a restricted volume
    /// fixture holding a hostPath volume is caught by either name.</summary>
    public IReadOnlySet<string> Controls => PssFixtures.ControlsOf(Check)
        ?? throw new InvalidOperationException($"{Id}: no Pod Security control is known for Kubernetes check '{Check}' (a new upstream check?)");
}

/// <summary>
/// Kubernetes' Pod Security admission conformance fixtures (pod-security-admission test/testdata) in
/// <c>../shared/conformance/pss</c>: <c>data/FIXTURES.tsv</c> lists each file with the policy versions it is the fixture for.
/// </summary>
public static class PssFixtures
{
    public static string Data => Path.Combine(RepoPaths.Conformance("pss"), "data");

    public static IReadOnlyList<PssFixture> All { get; } = Load();

    /// <summary>The policy versions the suite has fixtures for, oldest first.</summary>
    public static IReadOnlyList<string> Versions { get; } =
        [.. All.SelectMany(f => f.Versions).Distinct().OrderBy(v => int.Parse(v[3..], System.Globalization.CultureInfo.InvariantCulture))];

    public static IEnumerable<PssFixture> At(string version, string level) => All.Where(f => f.Level == level && f.Versions.Contains(version));

    // Kubernetes check id (as fixtures name it) -> the control names on kubernetes.io/docs/concepts/security/pod-security-standards.
    private static readonly Dictionary<string, string[]> Control = new(StringComparer.Ordinal)
    {
        ["windowshostprocess"] = ["HostProcess"],
        ["hostnamespaces"] = ["Host Namespaces"],
        ["privileged"] = ["Privileged Containers"],
        ["capabilities_baseline"] = ["Capabilities"],
        ["hostpathvolumes"] = ["HostPath Volumes"],
        ["hostports"] = ["Host Ports"],
        ["apparmorprofile"] = ["AppArmor"],
        ["selinuxoptions"] = ["SELinux"],
        ["procmount"] = ["/proc Mount Type"],
        ["seccompprofile_baseline"] = ["Seccomp"],
        ["sysctls"] = ["Sysctls"],
        ["hostprobesandhostlifecycle"] = ["Host Probes / Lifecycle Hooks"],
        ["restrictedvolumes"] = ["Volume Types", "HostPath Volumes"],
        ["allowprivilegeescalation"] = ["Privilege Escalation"],
        ["runasnonroot"] = ["Running as Non-root"],
        ["runasuser"] = ["Running as Non-root user"],
        ["seccompprofile_restricted"] = ["Seccomp"],
        ["capabilities_restricted"] = ["Capabilities"],
        ["procmount_restricted"] = ["/proc Mount Type"],
    };

    internal static IReadOnlySet<string>? ControlsOf(string check) => Control.TryGetValue(check, out var names) ? names.ToHashSet() : null;

    private static List<PssFixture> Load()
    {
        var list = Path.Combine(Data, "FIXTURES.tsv");
        if (!File.Exists(list)) throw new InvalidOperationException($"the Pod Security conformance suite is not at {list} (../shared/conformance/pss beside the repository)");
        var fixtures = new List<PssFixture>();
        foreach (var line in File.ReadLines(list))
        {
            if (line.StartsWith('#') || line.Trim().Length == 0) continue;
            var columns = line.Split('\t');
            var parts = columns[0].Split('/');
            var stem = System.IO.Path.GetFileNameWithoutExtension(parts[2]).Split('@')[0];
            fixtures.Add(new PssFixture(columns[0], Path.Combine(Data, columns[0]), parts[0], parts[1] == "pass", stem.TrimEnd("0123456789".ToCharArray()), columns[1].Split(',')));
        }
        return fixtures;
    }
}
