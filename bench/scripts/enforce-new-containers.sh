#!/usr/bin/env bash
# New containers of a protected workload attacking in their first millisecond (root, podman + runc), the issue's
# scenario with the real agent: a workload is learned from three fresh containers (`podman run --name W-n`; one
# keeps running) and switched to protect (`zerodrift profile mode`), then N fresh containers of it each copy busybox into their writable layer and run it, run a
# program from a memfd, and connect to a port nobody learned, first thing in their entrypoint, then run a learned
# program. Counted: what succeeded (printed, or accepted by the listener). Twice: with a BPF filesystem mounted at
# /sys/fs/bpf beforehand, and with none (the agent in a mount namespace of its own where /sys/fs/bpf is unmounted:
# the host's stays as it is).
# usage: enforce-new-containers.sh [N] [PARALLEL]   (default 100 containers, 6 at a time)
#        ZERODRIFT=/path/to/zerodrift.dll runs another build's agent (dotnet) instead of publishing this tree's
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-100}
parallel=${2:-6}
work=$(mktemp -d)
id=$$
image=localhost/zerodrift-new-containers-$id:1
agent=
listeners=
cleanup() {
  [ -n "$agent" ] && kill -TERM "$agent" 2>/dev/null && wait "$agent" 2>/dev/null || true
  [ -n "$listeners" ] && kill "$listeners" 2>/dev/null || true
  podman ps -a --format '{{.Names}}' | grep "^zdnc-$id-" | xargs -r podman rm -f -t 0 >/dev/null 2>&1 || true
  podman rmi -f "$image" >/dev/null 2>&1 || true
  for pins in /sys/fs/bpf/zerodrift-new-containers-$id-*; do
    [ -d "$pins" ] && run_zerodrift agent --release-enforcement --pin-root "$pins" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${ZERODRIFT:-}" ]; then
  run_zerodrift() { dotnet "$ZERODRIFT" "$@"; }
  build="$ZERODRIFT"
else
  dotnet publish "$root/src/ZeroDrift.Cli" -c Release -o /tmp/zerodrift-new-containers-bin --nologo -v q >/dev/null
  run_zerodrift() { /tmp/zerodrift-new-containers-bin/zerodrift "$@"; }
  build="this tree ($(git -C "$root" rev-parse --short HEAD))"
fi

# The image: busybox and its applets, a second echo (a learned program of its own), and a static program that
# runs busybox from a memfd. The scripts end with a builtin (`true`) so that the shell does not exec its last
# command in place: that program would be pid 1, started by the runtime's entry, not by the shell.
mkdir -p "$work/ctx/root/bin" "$work/ctx/root/tmp" "$work/ctx/root/usr/local/bin"
cp /bin/busybox "$work/ctx/root/bin/busybox"
cp /bin/busybox "$work/ctx/root/usr/local/bin/echo"
for applet in sh cp nc sleep; do ln -s busybox "$work/ctx/root/bin/$applet"; done
cat >"$work/memfdexec.c" <<'C'
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
int main(void) {
  int in = open("/bin/busybox", O_RDONLY), fd = memfd_create("attack", 0);
  char buf[65536]; ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0) if (write(fd, buf, n) != n) return 4;
  char *args[] = {"echo", "RAN-MEMFD", 0}, *env[] = {0};
  fexecve(fd, args, env);
  return 5;
}
C
clang -static -O2 -o "$work/ctx/root/usr/local/bin/memfdexec" "$work/memfdexec.c"
cat /proc/sys/kernel/random/uuid >"$work/ctx/root/image-id"
printf 'FROM scratch\nCOPY root/ /\n' >"$work/ctx/Containerfile"
podman build -q -t "$image" "$work/ctx" >/dev/null

gateway=$(podman network inspect podman --format '{{range .Subnets}}{{.Gateway}}{{end}}')
# Two listeners on the host: the learned port (accepts) and the attacked one (counts what it accepts).
python3 - "$work/ports" "$work/accepted" <<'PY' &
import socket, sys, threading
learned, attacked = socket.socket(), socket.socket()
for s in (learned, attacked):
    s.bind(("0.0.0.0", 0)); s.listen(256)
open(sys.argv[1], "w").write(f"{learned.getsockname()[1]} {attacked.getsockname()[1]}\n")
def serve(s, count):
    while True:
        c, _ = s.accept(); c.close()
        if count:
            with open(sys.argv[2], "a") as f: f.write("1\n")
threading.Thread(target=serve, args=(learned, False), daemon=True).start()
serve(attacked, True)
PY
listeners=$!
for _ in $(seq 1 50); do [ -s "$work/ports" ] && break; sleep 0.1; done
read -r learned_port attacked_port <"$work/ports"
: >"$work/accepted"

learn="cp /bin/busybox /tmp/learned-copy; /usr/local/bin/memfdexec; nc -w 1 $gateway $learned_port </dev/null; /usr/local/bin/echo LEARNED; sleep 1; true"
attack="cp /bin/busybox /tmp/busybox && /tmp/busybox echo RAN-COPY; /usr/local/bin/memfdexec; nc -w 1 $gateway $attacked_port </dev/null && echo RAN-CONNECT; /usr/local/bin/echo LEARNED-RAN; true"
run() { out=$(podman run --rm --runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --name "$1" "$image" /bin/sh -c "$2" 2>&1); echo "--- $1 exit $?"; echo "$out"; }
export -f run
export image

scenario() {
  local label=$1 wrap=$2 pins=/sys/fs/bpf/zerodrift-new-containers-$id-$1
  local workload=zdnc-$id-$label err=$work/agent-$label.err
  : >"$work/accepted"
  local zd wrapper=()
  if [ -n "${ZERODRIFT:-}" ]; then zd=(dotnet "$ZERODRIFT"); else zd=(/tmp/zerodrift-new-containers-bin/zerodrift); fi
  if [ "$wrap" = none ]; then
    mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
  else
    wrapper=(unshare --mount sh -c 'while mountpoint -q /sys/fs/bpf; do umount -l /sys/fs/bpf || exit 97; done; exec "$@"' sh)
  fi
  # Learning advances to monitor only, and only this workload is switched to protect: the agent sees every
  # container on the machine, other sessions' too, and must not protect those.
  "${wrapper[@]}" "${zd[@]}" agent --output none --mode learn --learn-quiet 4s --auto-advance monitor --enforcement auto --pin-root "$pins" \
    --profiles "$work/profiles-$label.db" --alerts "file:$work/alerts-$label.jsonl" --host-processes skip 2>"$err" &
  agent=$!
  for _ in $(seq 1 600); do grep -qs "programs attached" "$err" && break; sleep 0.1; done
  grep -q "programs attached" "$err" || { echo "the agent did not start: $(cat "$err")" >&2; exit 1; }
  # Two replicas come and go; a third keeps running, as a service being scaled out has one.
  for i in 1 2; do run "$workload-$i" "$learn" >/dev/null; done
  podman run -d --runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --name "$workload-3" "$image" \
    /bin/sh -c "$learn; while true; do sleep 1; done" >/dev/null
  for _ in $(seq 1 600); do grep -q "$workload .*learn -> monitor" "$err" && break; sleep 0.1; done
  grep -q "$workload .*learn -> monitor" "$err" || { echo "the workload did not finish learning: $(cat "$err")" >&2; exit 1; }
  "${zd[@]}" profile mode "$workload" protect --profiles "$work/profiles-$label.db" >/dev/null
  for _ in $(seq 1 600); do grep -q "$workload .*monitor -> protect" "$err" && break; sleep 0.1; done
  for _ in $(seq 1 300); do grep -q "kernel enforcement for container" "$err" && break; sleep 0.1; done
  sleep 1
  seq 101 $((100 + n)) | xargs -P "$parallel" -I{} bash -c "run $workload-{} \"\$0\"" "$attack" >"$work/out-$label"
  sleep 1
  kill -TERM "$agent"; wait "$agent" || true; agent=
  podman rm -f -t 0 "$workload-3" >/dev/null
  local copies memfds connects learned
  copies=$(grep -c RAN-COPY "$work/out-$label" || true)
  memfds=$(grep -c RAN-MEMFD "$work/out-$label" || true)
  connects=$(wc -l <"$work/accepted")
  learned=$(grep -c LEARNED-RAN "$work/out-$label" || true)
  echo "$label: of $n new containers, copied binary ran ${copies}, memfd exec ran ${memfds}, unlearned connect accepted ${connects}; learned program ran in ${learned}"
  if [ "$learned" -lt "$n" ]; then
    echo "  containers where the learned program did not run (first 3):"
    awk '/^--- /{if (out && !ok) {print out; shown++}; out=$0; ok=0; next} {out=out " | " $0; if (/LEARNED-RAN/) ok=1} END {if (out && !ok) print out}' "$work/out-$label" | head -3 | cut -c1-300 | sed 's/^/    /'
  fi
  grep -o "enforcement: [^;]*" "$err" | head -1 | cut -c1-160 | sed 's/^/  /'
  grep -o "the kernel reported [0-9]* blocks" "$err" | sed 's/^/  /' || true
}

echo "agent: $build; learned from 3 containers, then $n new ones, $parallel at a time"
scenario bpffs-mounted none
scenario no-bpffs unshare
