#!/usr/bin/env bash
# What the first-instruction decision adds to every exec (root, podman + runc): zde_exec's kernel time per exec
# (bpf_stats) with the enforcement object of REF (default main: before policies) and with this tree's, loaded one at
# a time by a small libbpf loader, on exec loops on the host, in a container nobody assigned and in a protected one
# (see enforce-exec-cost.py). Both objects are compiled here, against this kernel's BTF.
# usage: enforce-exec-cost.sh [REF] [ROUNDS] [EXECS]   (default main, 5 rounds, 5000 execs per loop)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ref=${1:-main}
rounds=${2:-5}
execs=${3:-5000}
work=$(mktemp -d)
image=localhost/zerodrift-exec-cost-$$:1
stats_before=$(cat /proc/sys/kernel/bpf_stats_enabled)
cleanup() {
  echo "$stats_before" >/proc/sys/kernel/bpf_stats_enabled
  podman rmi -f "$image" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$work/vmlinux.h"
mkdir -p "$work/before"
git -C "$root" show "$ref:src/ZeroDrift.Sensor/bpf/enforce.bpf.c" >"$work/before/enforce.bpf.c"
for header in lineage.h events.h; do
  git -C "$root" show "$ref:src/ZeroDrift.Sensor/bpf/$header" >"$work/before/$header" 2>/dev/null || true
done
bpf() { clang -O2 -g -Wall -target bpf -D__TARGET_ARCH_x86 -I"$work" -I"$2" -c "$1" -o "$3"; }
bpf "$work/before/enforce.bpf.c" "$work/before" "$work/before.o"
bpf "$root/src/ZeroDrift.Sensor/bpf/enforce.bpf.c" "$root/src/ZeroDrift.Sensor/bpf" "$work/after.o"
clang -O2 -o "$work/loader" "$root/bench/scripts/enforce-exec-loader.c" -lbpf

mkdir -p "$work/ctx/root/bin"
cp /bin/busybox "$work/ctx/root/bin/busybox"
for applet in sh true sleep; do ln -s busybox "$work/ctx/root/bin/$applet"; done
cat /proc/sys/kernel/random/uuid >"$work/ctx/root/image-id"
printf 'FROM scratch\nCOPY root/ /\n' >"$work/ctx/Containerfile"
podman build -q -t "$image" "$work/ctx" >/dev/null

echo 1 >/proc/sys/kernel/bpf_stats_enabled
echo "before: $ref ($(git -C "$root" rev-parse --short "$ref")), after: this tree ($(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet -- src/ZeroDrift.Sensor/bpf || echo ', modified'))"
python3 "$root/bench/scripts/enforce-exec-cost.py" "$work/loader" "$work/before.o" "$work/after.o" "$image" "$rounds" "$execs"
