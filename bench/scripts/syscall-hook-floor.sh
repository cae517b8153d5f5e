#!/usr/bin/env bash
# The floor under agent-overhead.sh: the agent's hook points with programs that do nothing, timed on the same loads
# with and without them in the same run. What it measures is the kernel's price for the hooks themselves (the slower
# syscall entry path every process takes once any syscall tracepoint is attached, and the call into BPF), which no
# sensor attached at these points can go below; the agent's own ratio minus this one is what its programs cost.
# Hooks: raw_tp/sys_enter (the per-cgroup syscall set needs every syscall), the syscall-specific exit tracepoints of
# the calls the sensor reports (open, openat, openat2, creat, connect, accept, accept4, bind, listen, read,
# recvfrom, recvmsg), tp_btf/sched_process_exec and sched_process_exit. The loader is 30 lines of C on libbpf,
# compiled here (clang and libbpf-dev are already needed to build the sensor); it is a measuring tool, not ZeroDrift.
# HOOKS=openat instead attaches only sys_enter_openat and sys_exit_openat: the least any sensor needs to see opens
# with their results at syscall tracepoints (no syscall set, no other call), the absolute floor for open loads.
# usage (root): syscall-hook-floor.sh [ROUNDS]   (default 3; LOADS="exec 20000;syscall 1000000" to choose loads)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-3}
load="$root/bench/scripts/agent-load.py"
work=$(mktemp -d)
loader=
trap 'if [ -n "$loader" ]; then kill -TERM "$loader" 2>/dev/null || true; fi; rm -rf "$work"' EXIT

PATH="$PATH:/usr/sbin" bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$work/vmlinux.h"
{
  cat <<'C'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
char LICENSE[] SEC("license") = "GPL";
C
  if [ "${HOOKS:-agent}" = openat ]; then
    echo 'SEC("tracepoint/syscalls/sys_enter_openat") int floor_openat(void *ctx) { return 0; }'
    echo 'SEC("tracepoint/syscalls/sys_exit_openat") int floor_x_openat(void *ctx) { return 0; }'
  else
    echo 'SEC("raw_tp/sys_enter") int floor_enter(void *ctx) { return 0; }'
    echo 'SEC("tp_btf/sched_process_exec") int BPF_PROG(floor_exec, struct task_struct *p) { return 0; }'
    echo 'SEC("tp_btf/sched_process_exit") int BPF_PROG(floor_exit, struct task_struct *p) { return 0; }'
    for call in open openat openat2 creat connect accept accept4 bind listen read recvfrom recvmsg; do
      echo "SEC(\"tracepoint/syscalls/sys_exit_$call\") int floor_x_$call(void *ctx) { return 0; }"
    done
  fi
} >"$work/floor.bpf.c"
cat >"$work/loader.c" <<'C'
#include <bpf/libbpf.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }
int main(int argc, char **argv)
{
	if (argc != 2) return 2;
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj)
		if (!bpf_program__attach(prog)) { fprintf(stderr, "cannot attach %s\n", bpf_program__name(prog)); return 1; }
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("attached\n");
	fflush(stdout);
	while (!stop) pause();
	bpf_object__close(obj); /* detaches every link */
	return 0;
}
C
clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -I"$work" -c "$work/floor.bpf.c" -o "$work/floor.bpf.o"
cc -O2 -Wall "$work/loader.c" -o "$work/loader" -lbpf

attach() {
  "$work/loader" "$work/floor.bpf.o" >"$work/loader.out" &
  loader=$!
  for _ in $(seq 1 100); do grep -q attached "$work/loader.out" && return 0; sleep 0.05; done
  echo "the no-op programs did not attach" >&2; exit 1
}
detach() { kill -TERM "$loader"; wait "$loader"; loader=; }
# shellcheck source=compare-loads.sh
. "$root/bench/scripts/compare-loads.sh"
compare_loads "floor (${HOOKS:-agent} hooks)" "no-op hooks" attach detach
