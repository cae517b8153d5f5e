using ZeroDrift.Sensor.Native;

namespace ZeroDrift.Sensor.Probing;

public sealed record ProgramTypeResult(string Type, string Section, bool Loads, string? Error);

public sealed record CapabilityReport(
    string Kernel,
    bool Btf,
    IReadOnlyList<ProgramTypeResult> ProgramTypes,
    bool RingBuffer,
    bool SensorLoads,
    string? SensorError,
    IReadOnlyList<string> SensorPrograms,
    IReadOnlyList<string> Plan);

/// <summary>
/// Learns what this kernel accepts by loading one trivial program of each type (bpf/probe.bpf.c) on its own, and
/// the sensor's whole object without attaching it. Refusals are reported as they are; the plan says which hooks
/// the sensor uses and what that means for later enforcement.
/// </summary>
public static class CapabilityProbe
{
    private static readonly (string Program, string Type)[] Probes =
    [
        ("probe_tracepoint", "tracepoint"),
        ("probe_raw_tp", "raw_tp"),
        ("probe_tp_btf", "tp_btf"),
        ("probe_cgroup_sock_addr", "cgroup_sock_addr"),
        ("probe_fentry", "fentry"),
        ("probe_lsm", "lsm"),
    ];

    public static CapabilityReport Run()
    {
        KernelSensor.EnsureSupported();
        var probe = BpfObject.ReadEmbedded("probe.bpf.o");
        var results = new List<ProgramTypeResult>();
        foreach (var (program, type) in Probes)
        {
            var (ok, error, section) = TryLoadOnly(probe, program);
            results.Add(new ProgramTypeResult(type, section, ok, error));
        }
        var (ringOk, _, _) = TryLoadOnly(probe, "probe_ringbuf_output");

        bool sensorOk;
        string? sensorError = null;
        var sensorPrograms = new List<string>();
        using (var sensor = BpfObject.Open(BpfObject.ReadEmbedded(KernelSensor.ObjectName)))
        {
            foreach (var (_, name, section) in sensor.Programs())
                sensorPrograms.Add(section == "raw_tp" ? $"{name} (tail call)" : section);
            var rc = sensor.TryLoad();
            sensorOk = rc == 0;
            if (!sensorOk) sensorError = LibC.ErrorText(-rc);
            BpfLog.Drain();
        }

        bool Loads(string t) => results.First(r => r.Type == t).Loads;
        var plan = new List<string>();
        var (tracepoints, how) = Tracefs.Predict();
        plan.Add(sensorOk
            ? "observe: tp_btf exec/exit; raw_tp sys_enter for the per-cgroup syscall sets, dispatching by tail call to the open, network and DNS handlers; one ring buffer"
            : $"observe: not possible, the kernel refused the sensor's programs ({sensorError})");
        if (sensorOk)
            plan.Add(tracepoints
                ? $"syscall results: tracepoints syscalls/sys_exit_* for the 12 reported syscalls only ({how})"
                : $"syscall results: raw_tp sys_exit on every syscall, dispatching by tail call ({how}; syscall tracepoints unavailable)");
        plan.Add(Loads("tp_btf")
            ? "exec blocking: bpf_send_signal(SIGKILL) from tp_btf/sched_process_exec, before the new program runs; a new container is put under its workload's policy there, at its first exec, from its image"
            : "exec blocking: unavailable (tp_btf refused)");
        plan.Add(Loads("cgroup_sock_addr")
            ? "network blocking: cgroup/connect4, connect6, sendmsg4 and sendmsg6 programs attached once at the root of the cgroup v2 hierarchy"
            : "network blocking: unavailable (cgroup/connect4 refused)");
        plan.Add($"BPF filesystem: {Enforcement.BpfFileSystem.Predict(Enforcement.KernelEnforcer.DefaultPinRoot)}");
        plan.Add(Loads("lsm")
            ? "BPF-LSM hooks load: file and exec decisions could be made in LSM hooks"
            : "BPF-LSM: refused here, not used (no silent downgrade: the hooks above are the plan)");
        plan.Add(Loads("fentry")
            ? "fentry/fexit load: available for cheaper kernel-function hooks"
            : "fentry/fexit: refused here, not used (tracepoints instead)");
        return new CapabilityReport(KernelRelease(), File.Exists("/sys/kernel/btf/vmlinux"), results, ringOk, sensorOk, sensorError, sensorPrograms, plan);
    }

    private static string KernelRelease()
    {
        try { return File.ReadAllText("/proc/sys/kernel/osrelease").Trim(); }
        catch (IOException) { return Environment.OSVersion.Version.ToString(); }
    }

    private static (bool Ok, string? Error, string Section) TryLoadOnly(byte[] elf, string only)
    {
        using var obj = BpfObject.Open(elf);
        var section = "?";
        foreach (var (program, name, sec) in obj.Programs())
        {
            LibBpf.ProgramSetAutoload(program, name == only);
            if (name == only) section = sec;
        }
        var rc = obj.TryLoad();
        BpfLog.Drain();
        return rc == 0 ? (true, null, section) : (false, $"{ErrnoName(-rc)} ({LibC.ErrorText(-rc)})", section);
    }

    private static string ErrnoName(int errno) => errno switch
    {
        1 => "EPERM",
        2 => "ENOENT",
        7 => "E2BIG",
        13 => "EACCES",
        22 => "EINVAL",
        95 => "EOPNOTSUPP",
        524 => "ENOTSUPP",
        _ => $"errno {errno}",
    };
}
