using System.Globalization;

namespace ZeroDrift.Misconfig.Kubernetes;

/// <summary>
/// A Pod Security Standards policy version (<c>v1.0</c> … <c>v1.37</c>), as Kubernetes' pod-security-admission names
/// them in <c>pod-security.kubernetes.io/enforce-version</c>, and what its checks ask at that version. Kubernetes
/// registers each check with the policy versions its behaviour changed at (staging/src/k8s.io/pod-security-admission/
/// policy/check_*.go); the properties below are that table, so every version difference is read in one place.
/// </summary>
public readonly record struct PssVersion : IComparable<PssVersion>
{
    /// <summary>The newest policy version whose checks are implemented: <c>latest</c>, and any later version, judge as it.</summary>
    public static PssVersion Newest { get; } = new(37);

    /// <summary>Kubernetes' oldest policy version; every check has an implementation from here on.</summary>
    public static PssVersion Oldest { get; } = new(0);

    private PssVersion(int minor) => Minor = minor;

    /// <summary>The minor of <c>v1.MINOR</c> (Kubernetes has only major version 1).</summary>
    public int Minor { get; }

    /// <summary>The version <c>v1.<paramref name="minor"/></c>; one newer than <see cref="Newest"/> judges as <see cref="Newest"/>,
    /// as Kubernetes clamps a pinned version to the newest its checks know.</summary>
    public static PssVersion Of(int minor) =>
        minor < 0 ? throw new ArgumentOutOfRangeException(nameof(minor)) : new(Math.Min(minor, Newest.Minor));

    /// <summary>Reads <c>latest</c> or <c>v1.N</c> (Kubernetes' own syntax: no leading zeros, no patch).</summary>
    public static bool TryParse(string? text, out PssVersion version)
    {
        version = Newest;
        if (text == "latest") return true;
        if (text is not { Length: > 3 } || !text.StartsWith("v1.", StringComparison.Ordinal)) return false;
        var minor = text.AsSpan(3);
        if (minor.Length > 1 && minor[0] == '0') return false;
        foreach (var c in minor) if (!char.IsAsciiDigit(c)) return false;
        if (!int.TryParse(minor, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return false;
        version = Of(n);
        return true;
    }

    /// <summary>Why a text is not a version, in the words of Kubernetes' own error.</summary>
    public static string Expected => $"must be \"latest\" or \"v1.x\" (a Pod Security policy version, v1.0 to {Newest})";

    public int CompareTo(PssVersion other) => Minor.CompareTo(other.Minor);

    public static bool operator <(PssVersion a, PssVersion b) => a.Minor < b.Minor;
    public static bool operator >(PssVersion a, PssVersion b) => a.Minor > b.Minor;
    public static bool operator <=(PssVersion a, PssVersion b) => a.Minor <= b.Minor;
    public static bool operator >=(PssVersion a, PssVersion b) => a.Minor >= b.Minor;

    /// <summary><c>v1.MINOR</c>, made once per version: every finding of a scan carries it.</summary>
    public string Name => Minor < Names.Length ? Names[Minor] : $"v1.{Minor}";

    public override string ToString() => Name;

    private static readonly string[] Names = [.. Enumerable.Range(0, Newest.Minor + 1).Select(m => $"v1.{m}")]; // after Newest: static fields initialize in text order

    private bool Since(int minor) => Minor >= minor;

    // ---- What each check asks at this version (the MinimumVersion of each of Kubernetes' versioned checks) ----

    /// <summary>Sysctls allowed by the baseline (check_sysctls.go: the safe set grew at v1.27, v1.29, v1.32 and v1.37).</summary>
    public IReadOnlySet<string> SafeSysctls => Minor switch
    {
        >= 37 => Sysctls.V1_37,
        >= 32 => Sysctls.V1_32,
        >= 29 => Sysctls.V1_29,
        >= 27 => Sysctls.V1_27,
        _ => Sysctls.V1_0,
    };

    /// <summary>SELinux types the baseline allows (check_seLinuxOptions.go: <c>container_engine_t</c> since v1.31).</summary>
    public IReadOnlySet<string> SeLinuxTypes => Since(31) ? SeLinux.V1_31 : SeLinux.V1_0;

    /// <summary>Seccomp is read from <c>securityContext.seccompProfile</c> since v1.19; before, from the alpha annotations
    /// (check_seccompProfile_baseline.go).</summary>
    public bool SeccompFromFields => Since(19);

    /// <summary>Probe and lifecycle-hook hosts are checked since v1.34 (check_hostProbesAndhostLifecycle.go).</summary>
    public bool ChecksProbeHosts => Since(34);

    /// <summary>Since v1.35 a pod with <c>hostUsers: false</c> (its own user namespace) may set any <c>procMount</c> under the
    /// baseline and is not asked for runAsNonRoot or a non-zero runAsUser under the restricted profile, whose own
    /// procMount check keeps the ban (check_procMount_baseline.go, check_procMount_restricted.go, check_runAsNonRoot.go,
    /// check_runAsUser.go).</summary>
    public bool RelaxesUserNamespacePods => Since(35);

    /// <summary>allowPrivilegeEscalation: false is required since v1.8 (check_allowPrivilegeEscalation.go).</summary>
    public bool ChecksPrivilegeEscalation => Since(8);

    /// <summary>runAsUser: 0 is forbidden since v1.23 (check_runAsUser.go).</summary>
    public bool ChecksRunAsUser => Since(23);

    /// <summary>The restricted seccomp check (RuntimeDefault or Localhost required) exists since v1.19.</summary>
    public bool ChecksRestrictedSeccomp => Since(19);

    /// <summary>The restricted capabilities check (drop ALL, add only NET_BIND_SERVICE) exists since v1.22.</summary>
    public bool ChecksRestrictedCapabilities => Since(22);

    /// <summary>Pods with <c>spec.os.name: windows</c> are exempt from privilege escalation, seccomp and capabilities under the
    /// restricted profile since v1.25.</summary>
    public bool ExemptsWindowsPods => Since(25);

    private static class Sysctls
    {
        public static readonly HashSet<string> V1_0 =
            ["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"];
        public static readonly HashSet<string> V1_27 = [.. V1_0, "net.ipv4.ip_local_reserved_ports"];
        public static readonly HashSet<string> V1_29 =
            [.. V1_27, "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"];
        public static readonly HashSet<string> V1_32 = [.. V1_29, "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];
        public static readonly HashSet<string> V1_37 = [.. V1_32, "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"];
    }

    private static class SeLinux
    {
        public static readonly HashSet<string> V1_0 = ["", "container_t", "container_init_t", "container_kvm_t"];
        public static readonly HashSet<string> V1_31 = [.. V1_0, "container_engine_t"];
    }
}
