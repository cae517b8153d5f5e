#!/usr/bin/env bash
# A long-lived node (root, podman + runc): one real `zerodrift agent` (kernel enforcement, its pins in a directory of
# its own) and N container lifecycles (`podman run --rm` of a small busybox-static image built here with unique
# content): four workloads, two left learning and two learned from three containers each then switched to protect
# with `zerodrift profile mode`, each container writing a file, reading, listing, connecting to a listener on the host
# and exiting. Throughout, the agent's RSS and the status file's `structures` are sampled once a second; at the end
# the kernel's maps are read (the enforcement's pinned cgroup map; the sensor's per-cgroup maps, found from the
# status file's program ids) for entries of cgroups that no longer exist, twice, 5 s apart, so that a container
# another engineer's test stopped in between is not counted. Prints RSS over the first tenth of the lifecycles'
# samples against the last tenth (the issue: within 5%), each structure's size at the baseline (after the warm-up)
# against the end, and the map entries left for gone cgroups (must be 0).
# usage: agent-lifecycles.sh [N] [PARALLEL]   (default 2000 lifecycles, 6 at a time)
#        ZERODRIFT=/path/to/zerodrift.dll runs another build's agent (dotnet) instead of publishing this tree's
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-2000}
parallel=${2:-6}
work=$(mktemp -d /tmp/zerodrift-lifecycles.XXXXXX)
id=$$
image=localhost/zdlc-$id:1
pins=$work/pins
agent=
listener=
sampler=
if [ -n "${ZERODRIFT:-}" ]; then
  zd=(dotnet "$ZERODRIFT")
  build="$ZERODRIFT"
else
  dotnet publish "$root/src/ZeroDrift.Cli" -c Release -o /tmp/zerodrift-lifecycles-bin --nologo -v q >/dev/null
  zd=(/tmp/zerodrift-lifecycles-bin/zerodrift)
  build="this tree ($(git -C "$root" rev-parse --short HEAD))"
fi
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
  [ -n "$agent" ] && kill -TERM "$agent" 2>/dev/null && wait "$agent" 2>/dev/null || true
  [ -n "$listener" ] && kill "$listener" 2>/dev/null || true
  podman ps -a --format '{{.Names}}' | grep "^zdlc-$id-" | xargs -r podman rm -f -t 0 >/dev/null 2>&1 || true
  podman rmi -f "$image" >/dev/null 2>&1 || true
  [ -d "$pins" ] && "${zd[@]}" agent --release-enforcement --pin-root "$pins" 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

mkdir -p "$work/ctx/root/bin" "$work/ctx/root/tmp"
cp /bin/busybox "$work/ctx/root/bin/busybox"
for applet in sh cat ls nc sleep echo; do ln -s busybox "$work/ctx/root/bin/$applet"; done
cat /proc/sys/kernel/random/uuid >"$work/ctx/root/image-id"
printf 'FROM scratch\nCOPY root/ /\n' >"$work/ctx/Containerfile"
podman build -q -t "$image" "$work/ctx" >/dev/null

# A listener on the host that the workloads connect to (accepts and closes).
python3 - "$work/port" <<'PY' &
import socket, sys
s = socket.socket(); s.bind(("0.0.0.0", 0)); s.listen(512)
open(sys.argv[1], "w").write(f"{s.getsockname()[1]}\n")
while True:
    c, _ = s.accept(); c.close()
PY
listener=$!
for _ in $(seq 1 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
gateway=$(podman network inspect podman --format '{{range .Subnets}}{{.Gateway}}{{end}}')

# Learning never ends by itself here: two workloads stay in learn, two are switched to protect by a user. The agent
# sees every container on the machine (other sessions' too) and protects none of those.
"${zd[@]}" agent --output none --mode learn --learn-quiet 1h --auto-advance none --enforcement kernel --pin-root "$pins" \
  --profiles "$work/profiles.db" --alerts "file:$work/alerts.jsonl" --host-processes skip --status-file "$work/status.json" 2>"$work/agent.err" &
agent=$!
for _ in $(seq 1 600); do grep -qs "programs attached" "$work/agent.err" && break; sleep 0.1; done
grep -q "programs attached" "$work/agent.err" || { echo "the agent did not start: $(cat "$work/agent.err")" >&2; exit 1; }

work_of() {
  case $1 in
    *-la|*-pa) echo "echo \$\$ > /tmp/state; cat /tmp/state /image-id >/dev/null; ls /bin >/dev/null; nc -w 1 $gateway $port </dev/null; echo done" ;;
    *) echo "cat /image-id > /tmp/copy; sleep 0.1; ls / >/dev/null; nc -w 1 $gateway $port </dev/null; echo done" ;;
  esac
}
run() { # NAME WORKLOAD: one lifecycle
  podman run --rm --runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --name "$1" "$image" /bin/sh -c "$(work_of "$2")" >/dev/null 2>&1 \
    && echo ok || echo "failed $1"
}
export -f run work_of
export image gateway port

workloads=(zdlc-$id-la zdlc-$id-lb zdlc-$id-pa zdlc-$id-pb)
for w in "${workloads[@]}"; do for i in 1 2 3; do run "$w-$i" "$w" >/dev/null; done; done
for w in zdlc-$id-pa zdlc-$id-pb; do
  # The profile is in the store once the agent saved what it learned (every second).
  for _ in $(seq 1 100); do "${zd[@]}" profile mode "$w" protect --profiles "$work/profiles.db" >/dev/null 2>&1 && break; sleep 0.2; done
  for _ in $(seq 1 100); do grep -q "$w .*-> protect" "$work/agent.err" && break; sleep 0.1; done
  grep -q "$w .*-> protect" "$work/agent.err" || { echo "$w was not switched to protect: $(tail -5 "$work/agent.err")" >&2; exit 1; }
done
# One protected container of each, so that the kernel's sets are filled before the baseline is taken.
for w in zdlc-$id-pa zdlc-$id-pb; do run "$w-4" "$w" >/dev/null; done
sleep 4

# Samples: one line a second, the status file as it is (the agent rewrites it every 2 s).
(while :; do printf '%s %s\n' "$(date +%s.%N)" "$(tr -d '\n' <"$work/status.json" 2>/dev/null)" >>"$work/samples"; sleep 1; done) &
sampler=$!
sleep 5
echo "phase lifecycles $(date +%s.%N)" >"$work/phases"
start=$(date +%s)
seq 1 "$n" | awk -v id="$id" '{ w = substr("la lb pa pb", 1 + 3 * ($1 % 4), 2); printf "zdlc-%s-%s-%d zdlc-%s-%s\n", id, w, $1 + 10, id, w }' \
  | xargs -P "$parallel" -L 1 bash -c 'run "$0" "$1"' >"$work/runs"
elapsed=$(( $(date +%s) - start ))
echo "phase settle $(date +%s.%N)" >>"$work/phases"
# Containers are forgotten at the housekeeping round after their cgroup goes; the status is rewritten every 2 s.
sleep 8
kill "$sampler"; sampler=
programs=$(python3 -c 'import json,sys; print(" ".join(str(i) for i in json.load(open(sys.argv[1]))["programIds"]))' "$work/status.json")
python3 "$root/bench/scripts/agent-lifecycles-maps.py" "$pins" $programs >"$work/maps1"
sleep 5
python3 "$root/bench/scripts/agent-lifecycles-maps.py" "$pins" $programs >"$work/maps2"
kill -TERM "$agent"; wait "$agent" || true; agent=

failed=$(grep -c '^failed' "$work/runs" || true)
echo "agent: $build; $n lifecycles, $parallel at a time, in ${elapsed} s ($failed podman runs failed); load average $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/samples" "$work/phases" "$work/maps1" "$work/maps2" "$work/alerts.jsonl" <<'PY'
import json, sys
samples, phases, maps1, maps2, alerts = sys.argv[1:6]
marks = {l.split()[1]: float(l.split()[2]) for l in open(phases)}
rows = []
for line in open(samples):
    at, _, text = line.partition(" ")
    try: rows.append((float(at), json.loads(text)))
    except ValueError: pass
base = [s for t, s in rows if t < marks["lifecycles"]]
during = [s for t, s in rows if marks["lifecycles"] <= t < marks["settle"]]
end = [s for t, s in rows if t >= marks["settle"]]
rss = [s["rssBytes"] / 2**20 for s in during]
tenth = max(1, len(rss) // 10)
first, last = sum(rss[:tenth]) / tenth, sum(rss[-tenth:]) / tenth
print(f"RSS (MiB, {len(rss)} samples): first tenth {first:.1f}, last tenth {last:.1f}: {100 * (last / first - 1):+.1f}% "
      f"(min {min(rss):.1f}, max {max(rss):.1f})")
b, e = base[-1]["structures"], end[-1]["structures"]
print("structures, baseline -> end (max during):")
for name in b:
    peak = max(s["structures"][name] for s in during)
    print(f"  {name:18} {b[name]:6} -> {e[name]:6}  ({peak})")
left = {}
for path in (maps1, maps2):
    for line in open(path):
        head, ids = line.split(":", 1)
        name, total = head.split()
        left.setdefault(name, []).append((int(total), set(ids.split())))
print("kernel map entries of gone cgroups (in both reads, 5 s apart), of all entries:")
for name, ((total, one), (_, two)) in left.items():
    print(f"  {name:14} {len(one & two)} of {total}")
acts = {}
stops = []
for line in open(alerts):
    doc = json.loads(line)
    a = doc["zerodrift"]
    acts[a.get("action")] = acts.get(a.get("action"), 0) + 1
    if a.get("action") not in ("detected", None):
        stops.append(doc.get("output", "").strip())
print(f"alerts: {sum(acts.values())} {acts}")
# Nothing here attacks: every block or kill is a learned behaviour stopped, shown whole so that it can be diagnosed.
for output in stops:
    print(f"  stopped: {output}")
PY
grep -o "the kernel reported [0-9]* blocks" "$work/agent.err" || true
grep -o "errors: .*" "$work/agent.err" || true
