#!/usr/bin/env bash
# Exec-heavy container under Protect vs the same container without the agent, in one run (root, podman+runc).
# A busybox container runs /bin/true (a busybox applet: a multi-call file, so the kernel reads and hashes argv[0]
# and compares the parent on every exec) in batches of 200, appending a line per batch. Batches per window are
# counted from the host (through `podman mount`: nothing is exec'd in the container): first without the agent,
# then with `zerodrift agent` having learned the loop and watching it in monitor (observation only), then in
# protect (kernel enforcement too), then without again after the agent stopped and its enforcement was released.
# Exec cost ratio = batches without / batches with. The agent's own observation (the sensor, and the agent's
# handling of each exec event on the same two cores) is part of "with": protect / monitor isolates enforcement.
# usage: enforce-container-exec.sh [WINDOW_SECONDS]   (default 10)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
window=${1:-10}
bin=/tmp/zerodrift-enforce-exec-bench-bin/zerodrift
dotnet publish "$root/src/ZeroDrift.Cli" -c Release -o /tmp/zerodrift-enforce-exec-bench-bin --nologo -v q >/dev/null
work=$(mktemp -d)
id=$$
image=localhost/zerodrift-exec-bench-$id:1
name=zerodrift-exec-bench-$id
pins=/sys/fs/bpf/zerodrift-exec-bench-$id
agent=
cleanup() {
  [ -n "$agent" ] && kill -TERM "$agent" 2>/dev/null && wait "$agent" 2>/dev/null || true
  podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
  podman rmi -f "$image" >/dev/null 2>&1 || true
  [ -d "$pins" ] && "$bin" agent --release-enforcement --pin-root "$pins" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/ctx/root/bin" "$work/ctx/root/tmp"
cp /bin/busybox "$work/ctx/root/bin/busybox"
for applet in sh true; do ln -s busybox "$work/ctx/root/bin/$applet"; done
printf 'FROM scratch\nCOPY root/ /\n' >"$work/ctx/Containerfile"
podman build -q -t "$image" "$work/ctx" >/dev/null
podman run -d --runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none --name "$name" "$image" \
  sh -c 'while :; do i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done; echo b >>/tmp/batches; done' >/dev/null
merged=$(podman mount "$name")
batches() { [ -f "$merged/tmp/batches" ] && wc -l <"$merged/tmp/batches" || echo 0; }
measure() { local a b; a=$(batches); sleep "$window"; b=$(batches); echo $((b - a)); }
sleep 2

without1=$(measure)

# The agent learns the loop, then watches it in MODE (monitor: observation only; protect: kernel enforcement too).
with_agent() {
  local mode=$1 ready=$2
  "$bin" agent --output none --mode learn --learn-quiet 4s --auto-advance "$mode" --alerts "file:$work/alerts-$mode.jsonl" \
    --profiles "$work/profiles-$mode.db" --enforcement kernel --pin-root "$pins" --host-processes skip 2>"$work/agent-$mode.err" &
  agent=$!
  for _ in $(seq 1 600); do grep -q "$ready" "$work/agent-$mode.err" && break; sleep 0.1; done
  grep -q "$ready" "$work/agent-$mode.err" || { echo "the agent did not reach $mode: $(cat "$work/agent-$mode.err")" >&2; exit 1; }
  sleep 1
  local before after n
  before=$(grep -c "$name" "$work/alerts-$mode.jsonl" 2>/dev/null || true)
  n=$(measure)
  after=$(grep -c "$name" "$work/alerts-$mode.jsonl" 2>/dev/null || true)
  kill -TERM "$agent"; wait "$agent" || true; agent=
  "$bin" agent --release-enforcement --pin-root "$pins" 2>/dev/null
  echo "$n $(( ${after:-0} - ${before:-0} ))"
}
read -r monitor monitor_alerts < <(with_agent monitor "learn -> monitor")
read -r with with_alerts < <(with_agent protect "kernel enforcement for container")

without2=$(measure)

echo "batches of 200 execs of /bin/true (busybox applet) per ${window} s: without the agent ${without1} and ${without2}, agent in monitor ${monitor}, in protect ${with}"
echo "alerts about the container: in monitor ${monitor_alerts}, in protect ${with_alerts}"
python3 -c "
w=($without1+$without2)/2; m=$monitor; p=$with
print(f'exec cost, agent in protect / without the agent (same run): {w/p:.3f}')
print(f'exec cost, agent in monitor / without the agent (same run): {w/m:.3f}')
print(f'exec cost, protect / monitor (the kernel enforcement alone): {m/p:.3f}')"
