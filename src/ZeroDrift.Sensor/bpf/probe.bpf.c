// SPDX-License-Identifier: GPL-2.0
/* One trivial program per program type the sensor might use. `zerodrift agent --check` loads each on its own
 * (the others' autoload off) to learn what this kernel accepts: a refusal (EPERM from lockdown or a missing
 * lsm=bpf, EINVAL from an old kernel) is reported, never silently worked around. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} probe_ringbuf SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int probe_tracepoint(void *ctx) { return 0; }

SEC("raw_tp/sys_enter")
int probe_raw_tp(void *ctx) { return 0; }

SEC("tp_btf/sched_process_exec")
int BPF_PROG(probe_tp_btf, struct task_struct *p) { return 0; }

SEC("cgroup/connect4")
int probe_cgroup_sock_addr(struct bpf_sock_addr *ctx) { return 1; }

SEC("fentry/vfs_read")
int BPF_PROG(probe_fentry, struct file *file) { return 0; }

SEC("lsm/file_open")
int BPF_PROG(probe_lsm, struct file *file) { return 0; }

SEC("tracepoint/syscalls/sys_enter_getppid")
int probe_ringbuf_output(void *ctx)
{
	__u64 v = 0;
	bpf_ringbuf_output(&probe_ringbuf, &v, sizeof(v), 0);
	return 0;
}
