#!/usr/bin/env bash
# Detect latency of `zerodrift agent` (root): kernel event -> alert written, over N execs in a podman container
# whose workload is in Monitor with an empty profile (every exec is a deviation, so every exec is one alert).
# The reference, measured in the same run over the same events, is the sensor's own kernel -> user-space latency
# (its stats lines): the ratio is what attribution, the engine, the rules and the alert write add.
# usage: agent-detect-latency.sh [EXECS]   (default 2000)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
execs=${1:-2000}
bin=/tmp/zerodrift-agent-latency-bin/zerodrift
dotnet publish "$root/src/ZeroDrift.Cli" -c Release -o /tmp/zerodrift-agent-latency-bin --nologo -v q >/dev/null
work=$(mktemp -d)
tag="localhost/zerodrift-latency-$$:1"
name="zerodrift-latency-$$"
agent=
cleanup() {
  [ -n "$agent" ] && kill -TERM "$agent" 2>/dev/null && wait "$agent" 2>/dev/null || true
  podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
  podman rmi -f "$tag" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/ctx/root/bin"
cp /bin/busybox "$work/ctx/root/bin/busybox"
ln -s busybox "$work/ctx/root/bin/sh"
printf 'FROM scratch\nCOPY root/ /\n' >"$work/ctx/Containerfile"
podman build -q -t "$tag" "$work/ctx" >/dev/null

"$bin" agent --mode monitor --alerts "file:$work/alerts.jsonl" --output-file "$work/events.jsonl" --stats-interval 1 \
  --profiles "$work/profiles.db" --enforcement user-space --host-processes skip --events exec,exit 2>"$work/agent.err" &
agent=$!
for _ in $(seq 1 300); do grep -q "programs attached" "$work/agent.err" && break; sleep 0.1; done
grep -q "programs attached" "$work/agent.err" || { cat "$work/agent.err" >&2; exit 1; }

podman run --name "$name" --runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$tag" \
  sh -c "i=0; while [ \$i -lt $execs ]; do /bin/busybox true; i=\$((i+1)); done"
sleep 2
kill -TERM "$agent"; wait "$agent" || true; agent=

python3 - "$work/alerts.jsonl" "$work/events.jsonl" "$execs" <<'EOF'
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
lat = sorted(a["zerodrift"]["detectLatencyMs"] for a in alerts
             if a["zerodrift"]["kind"] == "profile" and a["zerodrift"].get("deviation") == "process")
stats = [json.loads(l) for l in open(sys.argv[2]) if '"type":"stats"' in l]
def q(v, p): return v[min(len(v) - 1, int(p * len(v)))]
ref99 = max(s["latencyUs"]["p99"] for s in stats if s["received"]["exec"] > 0) / 1000.0
ref50 = sorted(s["latencyUs"]["p50"] for s in stats)[len(stats) // 2] / 1000.0
print(f"execs {sys.argv[3]}, process-deviation alerts {len(lat)}")
print(f"detect latency (kernel event -> alert written): p50 {q(lat, .5):.3f} ms, p99 {q(lat, .99):.3f} ms, max {lat[-1]:.3f} ms")
print(f"reference, same run: sensor kernel -> user space p50 {ref50:.3f} ms, worst per-second p99 {ref99:.3f} ms")
print(f"ratio detect p99 / sensor p99: {q(lat, .99) / ref99:.2f}")
EOF
