/* Who started a process, as a container's profile knows it: shared by the sensor (zd_exec's parent_class) and the
 * enforcement (zde_exec's allow key), so what the agent learns from the one is what the other decides on.
 *
 * A parent running in the same cgroup and at the same pid namespace level is known by its executable. Any other
 * parent is the container runtime, in one of two classes:
 *  - ENTRY: the task is the container's init (pid 1 of a pid namespace other than the initial one, its parent
 *    outside the container's cgroup): the runtime starting the entrypoint (runc init's exec; its parent is conmon
 *    or a containerd shim), and whatever pid 1 exec's into later (`exec postgres` at the end of an entrypoint
 *    script);
 *  - RUNTIME_EXEC: any other process entering from outside: `podman exec`, `kubectl exec`, `runc exec` (its parent
 *    is runc: outside the container's cgroup, or in it but not in its pid namespace).
 * A process of the initial pid namespace (a host process, or a container sharing the host's) has no runtime class:
 * its parent is known by its executable wherever it runs. */
#ifndef ZERODRIFT_LINEAGE_H
#define ZERODRIFT_LINEAGE_H

#define ZD_PARENT_KNOWN 0        /* in-container (or host) parent, known by its executable */
#define ZD_PARENT_ENTRY 1        /* the runtime starting the container's init */
#define ZD_PARENT_RUNTIME_EXEC 2 /* the runtime's exec path: podman exec, kubectl exec */

/* The number of a struct pid in the pid namespace at `level` (the process's own), 0 when the pid is not visible
 * there (a process group or session led from outside the container). numbers[] is indexed by level. */
static __always_inline __u32 zd_pid_nr_at(struct pid *pid, __u32 level)
{
	if (!pid)
		return 0;
	__u32 plevel = BPF_CORE_READ(pid, level);
	if (level > plevel || level > 31)
		return 0;
	__u64 at = (__u64)pid + bpf_core_field_offset(struct pid, numbers) + (__u64)level * bpf_core_type_size(struct upid)
		+ bpf_core_field_offset(struct upid, nr);
	int nr = 0;
	bpf_probe_read_kernel(&nr, sizeof(nr), (void *)at);
	return nr;
}

/* The class of `task`'s parent (task in cgroup `cgroup`). For ZD_PARENT_KNOWN, *parent is the parent whose
 * executable names it (NULL when there is none). ENTRY also needs the parent outside the container's cgroup: the
 * runtime's processes never run in it, while a process of the container that made a pid namespace of its own
 * (unshare -p) does, and its child is not the container's init. */
static __always_inline __u32 zd_parent_class(struct task_struct *task, __u64 cgroup, struct task_struct **parent)
{
	/* Plain loads: the task is the tracepoint's argument, typed by BTF (fault-safe loads, no helper call each). */
	struct pid *self = task->thread_pid;
	__u32 level = self->level;
	struct task_struct *p = task->real_parent;
	int same_cgroup = p && p->cgroups->dfl_cgrp->kn->id == cgroup;
	*parent = 0;
	if ((same_cgroup && p->thread_pid->level == level) || level == 0) {
		*parent = p;
		return ZD_PARENT_KNOWN;
	}
	return !same_cgroup && zd_pid_nr_at(self, level) == 1 ? ZD_PARENT_ENTRY : ZD_PARENT_RUNTIME_EXEC;
}

#endif
