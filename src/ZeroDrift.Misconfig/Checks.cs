using ZeroDrift.Core;
using ZeroDrift.Core.Findings;

namespace ZeroDrift.Misconfig;

/// <summary>The built-in misconfiguration checks: id, title, severity, what they look at, how to fix, where to read more.</summary>
public static class Checks
{
    private const string Pss = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";
    private const string DockerBest = "https://docs.docker.com/build/building/best-practices/";
    private const string DockerfileRef = "https://docs.docker.com/reference/dockerfile/";
    private const string ComposeRef = "https://docs.docker.com/reference/compose-file/services/";

    public static IReadOnlyList<RuleDescriptor> All { get; } =
    [
        // Kubernetes: Pod Security Standards, baseline.
        K("ZD-K8S-001", "HostProcess containers", Severity.High, "Windows HostProcess containers get privileged access to the Windows node (PSS baseline: windowsOptions.hostProcess must be unset or false).", "Remove windowsOptions.hostProcess or set it to false.", Pss),
        K("ZD-K8S-002", "Host namespaces shared", Severity.High, "hostNetwork, hostPID or hostIPC share the node's namespaces with the pod (PSS baseline).", "Remove hostNetwork/hostPID/hostIPC or set them to false.", Pss),
        K("ZD-K8S-003", "Privileged container", Severity.Critical, "A privileged container disables nearly every isolation mechanism (PSS baseline: securityContext.privileged must be unset or false).", "Remove securityContext.privileged or set it to false; grant only the capabilities the workload needs.", Pss),
        K("ZD-K8S-004", "Capabilities beyond the baseline set", Severity.High, "capabilities.add lists a capability outside the baseline set (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT).", "Remove the capability from capabilities.add.", Pss),
        K("ZD-K8S-005", "hostPath volume", Severity.High, "hostPath volumes expose the node's file system to the pod (PSS baseline).", "Use a persistentVolumeClaim, configMap, secret, emptyDir or CSI volume instead of hostPath.", Pss),
        K("ZD-K8S-006", "Host port", Severity.Medium, "A container port binds a port on the node (hostPort other than 0; PSS baseline).", "Remove hostPort; expose the pod through a Service.", Pss),
        K("ZD-K8S-007", "AppArmor profile overridden", Severity.High, "An appArmorProfile whose type is not RuntimeDefault or Localhost, or an AppArmor annotation other than runtime/default or localhost/* (PSS baseline).", "Use appArmorProfile.type RuntimeDefault (or a Localhost profile), or remove the override.", Pss),
        K("ZD-K8S-008", "Custom SELinux options", Severity.High, "seLinuxOptions.type outside container_t, container_init_t, container_kvm_t and (since policy v1.31) container_engine_t, or a custom SELinux user or role (PSS baseline).", "Remove seLinuxOptions.user and .role and use an allowed type.", Pss),
        K("ZD-K8S-009", "Unmasked /proc mount", Severity.High, "securityContext.procMount other than Default unmasks /proc paths (PSS baseline; since policy v1.35 a pod with hostUsers: false may, and the restricted profile's ban is ZD-K8S-015's).", "Remove procMount or set it to Default.", Pss),
        K("ZD-K8S-010", "Seccomp disabled", Severity.High, "A seccompProfile whose type is not RuntimeDefault or Localhost (Unconfined: no syscall filter), or before policy v1.19 a seccomp annotation other than runtime/default, docker/default or localhost/* (PSS baseline).", "Set seccompProfile.type to RuntimeDefault or Localhost.", Pss),
        K("ZD-K8S-011", "Unsafe sysctl", Severity.High, "securityContext.sysctls sets a sysctl outside the safe, namespaced set of the policy version (PSS baseline).", "Remove the sysctl, or set it on the node instead.", Pss),
        K("ZD-K8S-012", "Probe or lifecycle hook targets another host", Severity.Medium, "A probe or lifecycle hook's httpGet.host or tcpSocket.host is set, which lets the kubelet reach other hosts on the pod's behalf (PSS baseline since v1.34).", "Remove the host field; probes and hooks then target the pod's own IP.", Pss),
        // Restricted.
        K("ZD-K8S-013", "Volume type not allowed in the restricted profile", Severity.Medium, "A volume is not one of configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret (PSS restricted).", "Use one of the allowed volume types, with the storage behind a PersistentVolume.", Pss),
        K("ZD-K8S-014", "Privilege escalation allowed", Severity.Medium, "allowPrivilegeEscalation is not set to false, so setuid binaries can gain privileges (PSS restricted).", "Set securityContext.allowPrivilegeEscalation: false on every container.", Pss),
        K("ZD-K8S-015", "May run as root", Severity.Medium, "runAsNonRoot is not true for the pod or the container; since policy v1.35 a pod with hostUsers: false may run as root in its own user namespace, but only with /proc masked, so for it this is a procMount other than Default (PSS restricted).", "Set securityContext.runAsNonRoot: true on the pod (and not false on any container); in a pod with hostUsers: false, remove procMount or set it to Default.", Pss),
        K("ZD-K8S-016", "Runs as user 0", Severity.High, "runAsUser is 0 (root) for the pod or a container (PSS restricted).", "Set runAsUser to a non-zero UID.", Pss),
        K("ZD-K8S-017", "No seccomp profile", Severity.Medium, "Neither the pod nor the container sets seccompProfile.type RuntimeDefault or Localhost (PSS restricted).", "Set securityContext.seccompProfile.type: RuntimeDefault on the pod.", Pss),
        K("ZD-K8S-018", "Capabilities not dropped", Severity.Medium, "The container does not drop ALL capabilities, or adds one other than NET_BIND_SERVICE (PSS restricted).", "Set capabilities.drop: [ALL] and add back at most NET_BIND_SERVICE.", Pss),
        // Beyond the Pod Security Standards.
        K("ZD-K8S-020", "No CPU or memory limit", Severity.Low, "A container sets no resources.limits.cpu or resources.limits.memory, so one pod can starve its node.", "Set resources.limits.cpu and resources.limits.memory.", "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"),
        K("ZD-K8S-021", "Image tag latest or missing", Severity.Medium, "The image has no tag or the tag latest, so what runs changes without a change to the manifest.", "Pin the image to a version tag, or better a digest (@sha256:…).", "https://kubernetes.io/docs/concepts/containers/images/#image-names"),
        K("ZD-K8S-022", "Writable root file system", Severity.Low, "readOnlyRootFilesystem is not true, so an intruder can change the container's binaries.", "Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where the workload writes.", "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"),
        K("ZD-K8S-023", "Service account token mounted", Severity.Low, "automountServiceAccountToken is not false, so every container gets an API token it rarely needs.", "Set automountServiceAccountToken: false unless the workload calls the Kubernetes API.", "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting"),
        K("ZD-K8S-024", "Secret in an environment variable literal", Severity.High, "An env variable whose name says password, token, secret or key has a literal value in the manifest.", "Store the value in a Secret and use valueFrom.secretKeyRef.", "https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables"),
        K("ZD-K8S-025", "Sensitive host path mounted", Severity.High, "A hostPath volume mounts a sensitive node path (/, /etc, /proc, /sys, /root, /var/run, /var/lib/kubelet, …).", "Do not mount node system paths into pods.", Pss),
        K("ZD-K8S-026", "Container runtime socket mounted", Severity.Critical, "A hostPath volume mounts the Docker, containerd, CRI-O or Podman socket (or its directory), which is root on the node.", "Never mount the runtime socket; use the Kubernetes API or a dedicated build service.", "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath"),
        K("ZD-K8S-027", "RBAC wildcard", Severity.High, "A Role or ClusterRole rule grants verbs or resources \"*\", granting today's and tomorrow's permissions alike.", "List the verbs and resources the subject needs.", "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"),
        K("ZD-K8S-028", "cluster-admin bound", Severity.High, "A RoleBinding or ClusterRoleBinding grants the cluster-admin ClusterRole.", "Bind a role with only the permissions needed.", "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"),
        K("ZD-K8S-029", "Service exposed on every node or externally", Severity.Low, "A Service of type NodePort or LoadBalancer exposes the workload outside the cluster network.", "Use ClusterIP behind an Ingress or Gateway with authentication, unless exposure is intended.", "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types"),
        K("ZD-K8S-030", "RBAC: exec into pods", Severity.High, "A Role or ClusterRole grants create (or get) on pods/exec: its subjects can run commands in any pod it covers, with that pod's service account and secrets.", "Grant pods/exec only to break-glass roles.", "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"),
        K("ZD-K8S-031", "RBAC: read secrets", Severity.High, "A Role or ClusterRole grants get, list or watch on secrets: its subjects can read every secret it covers, service account tokens included.", "Grant access to named secrets (resourceNames) only, or none.", "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"),
        K("ZD-K8S-032", "RBAC: create workloads in kube-system", Severity.High, "A ClusterRole (or a Role in kube-system) grants create on pods or pod controllers: a pod in kube-system can mount its privileged service accounts.", "Do not grant workload creation in kube-system; scope ClusterRoles with RoleBindings to the namespaces that need them.", "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"),
        K("ZD-K8S-033", "RBAC: impersonation", Severity.Critical, "A Role or ClusterRole grants impersonate on users, groups or service accounts: its subjects can act as anyone, cluster-admin included.", "Remove impersonate, or restrict it with resourceNames.", "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"),
        K("ZD-K8S-034", "RBAC: escalate or bind", Severity.Critical, "A Role or ClusterRole grants escalate or bind on roles: its subjects can grant themselves permissions they do not hold.", "Remove escalate and bind from roles given to people and workloads.", "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"),
        K("ZD-K8S-035", "Automounted token with a broad role", Severity.High, "A pod mounts its service account's token (automountServiceAccountToken is not false on the pod or the service account) and a binding of the target gives that account cluster-admin, admin, edit, a wildcard, or exec, secrets, impersonate, escalate or bind: whoever runs code in the pod holds those powers.", "Set automountServiceAccountToken: false, or bind the account to a role with only what the workload calls.", "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"),
        K("ZD-K8S-036", "Pods no NetworkPolicy selects", Severity.Low, "No NetworkPolicy of the scanned manifests in the workload's namespace selects its pods: they accept traffic from every pod and, if exposed, from outside.", "Add a default-deny NetworkPolicy to the namespace and allow the flows the workload needs (zerodrift profile can generate them).", "https://kubernetes.io/docs/concepts/services-networking/network-policies/"),
        // Dockerfile.
        D("ZD-DF-001", "Runs as root", Severity.Medium, "The final stage has no USER instruction, or its last USER is root or 0.", "Add USER with a non-root user to the final stage.", DockerBest + "#user"),
        D("ZD-DF-002", "Base image tag latest or missing", Severity.Medium, "FROM names an image without a tag or with latest (a FROM naming an earlier stage is fine).", "Pin the base image to a version tag or a digest.", DockerBest + "#from"),
        D("ZD-DF-003", "ADD of a URL", Severity.Medium, "ADD downloads a remote URL with no checksum check.", "Download with RUN curl and verify a checksum, or use ADD --checksum=sha256:….", DockerBest + "#add-or-copy"),
        D("ZD-DF-004", "Remote script piped to a shell", Severity.High, "RUN pipes curl or wget output straight into a shell, running unverified code at build time.", "Download to a file, verify its checksum or signature, then run it.", DockerfileRef + "#run"),
        D("ZD-DF-005", "Secret in ENV or ARG", Severity.High, "ENV or ARG gives a variable named like a password, token, secret or key a literal value, which stays in the image history.", "Use build secrets (RUN --mount=type=secret) and runtime secrets instead.", "https://docs.docker.com/build/building/secrets/"),
        D("ZD-DF-006", "sudo in RUN", Severity.Medium, "RUN uses sudo: build steps already run as the current USER, and sudo in an image invites privilege escalation.", "Drop sudo; switch USER around the steps that need root.", DockerBest + "#user"),
        D("ZD-DF-007", "Package cache left in the image", Severity.Low, "apt-get install without removing /var/lib/apt/lists, apk add without --no-cache, or yum/dnf install without clean all in the same RUN.", "Clean the package cache in the same RUN (rm -rf /var/lib/apt/lists/*, apk add --no-cache, yum clean all).", DockerBest + "#apt-get"),
        D("ZD-DF-008", "No HEALTHCHECK", Severity.Low, "The final stage has no HEALTHCHECK instruction.", "Add HEALTHCHECK CMD … (or HEALTHCHECK NONE to state there is none on purpose).", DockerfileRef + "#healthcheck"),
        D("ZD-DF-009", "SSH port exposed", Severity.Medium, "EXPOSE lists port 22: an SSH server in a container is a remote-access door.", "Remove SSH from the image; use kubectl exec or docker exec.", DockerfileRef + "#expose"),
        // Compose.
        C("ZD-DC-001", "Privileged service", Severity.Critical, "privileged: true gives the service every capability and access to host devices.", "Remove privileged and add only the needed capabilities.", ComposeRef + "#privileged"),
        C("ZD-DC-002", "Host namespace shared", Severity.High, "network_mode: host, pid: host or ipc: host shares the host's namespace.", "Use the default bridge network and private PID/IPC namespaces.", ComposeRef + "#network_mode"),
        C("ZD-DC-003", "Container runtime socket mounted", Severity.Critical, "A volume mounts the Docker, containerd, CRI-O or Podman socket, which is root on the host.", "Do not mount the runtime socket into a service.", ComposeRef + "#volumes"),
        C("ZD-DC-004", "Dangerous capability added", Severity.High, "cap_add adds ALL or a capability that breaks isolation (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, DAC_READ_SEARCH, …).", "Remove the capability; run with the default set or drop more.", ComposeRef + "#cap_add"),
        C("ZD-DC-005", "Secret in environment", Severity.High, "environment gives a variable named like a password, token, secret or key a literal value.", "Use compose secrets or an env_file kept out of version control.", "https://docs.docker.com/compose/how-tos/use-secrets/"),
        C("ZD-DC-006", "Database published on all interfaces", Severity.High, "A database port (PostgreSQL 5432, MySQL 3306, Redis 6379, MongoDB 27017, Elasticsearch 9200, SQL Server 1433, …) is published without a host IP, so on 0.0.0.0.", "Publish on 127.0.0.1 (\"127.0.0.1:5432:5432\") or not at all; services reach it over the compose network.", ComposeRef + "#ports"),
    ];

    private static readonly Dictionary<string, RuleDescriptor> ById = All.ToDictionary(r => r.Id, StringComparer.Ordinal);

    public static RuleDescriptor Get(string id) => ById[id];

    private static RuleDescriptor K(string id, string title, Severity severity, string description, string remediation, string reference) =>
        new() { Class = FindingClass.Misconfig, Id = id, Title = title, Severity = severity, Description = description, Remediation = remediation, References = [reference] };

    private static RuleDescriptor D(string id, string title, Severity severity, string description, string remediation, string reference) =>
        K(id, title, severity, description, remediation, reference);

    private static RuleDescriptor C(string id, string title, Severity severity, string description, string remediation, string reference) =>
        K(id, title, severity, description, remediation, reference);
}

/// <summary>One check's verdict on one place in a file, before it becomes a <see cref="ContentFinding"/>.</summary>
/// <param name="Key">What identifies the place across edits (resource and field path), for the fingerprint.</param>
internal sealed record Issue(string CheckId, int Line, int Column, string Message, string Key)
{
    /// <summary>The Pod Security Standards policy version a PSS control was judged at; null for other checks.</summary>
    public Kubernetes.PssVersion? Pss { get; init; }

    /// <summary>The Pod Security Standards control judged, with its level; null for other checks.</summary>
    public Kubernetes.PssControl? Control { get; init; }
}
