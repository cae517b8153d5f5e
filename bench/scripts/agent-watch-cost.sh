#!/usr/bin/env bash
# What profiling reads costs (root, podman): the agent asks the kernel for every open of the containers whose
# workload is in Learn or Monitor (the per-cgroup zd_watch flag). Measured in one run, alternating, medians of ROUNDS:
#  1. the host's open-heavy load (read-only opens, filtered in the kernel) with the agent and no watched cgroup vs
#     with the agent and one watched container (idle): the flag costs every other process one hash look-up per open;
#  2. a container that reads a file in a loop (shell `read < FILE`: an open per iteration, no exec), without the
#     agent vs with it in Learn (every open reported), and the event rate the agent received from it.
# usage: agent-watch-cost.sh [ROUNDS]   (default 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-3}
load="$root/bench/scripts/agent-load.py"
bin=/tmp/zerodrift-watch-bench-bin/zerodrift
dotnet publish "$root/src/ZeroDrift.Cli" -c Release -o /tmp/zerodrift-watch-bench-bin --nologo -v q >/dev/null
work=$(mktemp -d)
suffix=$$
image=localhost/zd-watch-bench-$suffix:1
idle=zd-watch-idle-$suffix
agent=
cleanup() {
  [ -n "$agent" ] && kill -TERM "$agent" 2>/dev/null && wait "$agent" 2>/dev/null || true
  podman rm -f -t 0 "$idle" >/dev/null 2>&1 || true
  podman rmi -f "$image" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
podman_run() { podman run --runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@"; }

mkdir -p "$work/ctx/root/bin" "$work/ctx/root/srv"
cp /bin/busybox "$work/ctx/root/bin/busybox"
for a in sh sleep; do ln -s busybox "$work/ctx/root/bin/$a"; done
echo "setting=1" >"$work/ctx/root/srv/config"
printf 'FROM scratch\nCOPY root/ /\n' >"$work/ctx/Containerfile"
podman build -q --runtime runc -t "$image" "$work/ctx" >/dev/null

start_agent() { # a fresh profile store each time: every workload starts in Learn
  rm -f "$work/profiles.db"*
  "$bin" agent --output none --mode learn --profiles "$work/profiles.db" --enforcement user-space --host-processes skip \
    --alerts "file:$work/alerts.jsonl" --status-file "$work/status.json" 2>"$work/agent.err" &
  agent=$!
  for _ in $(seq 1 300); do grep -q "programs attached" "$work/agent.err" && return 0; sleep 0.1; done
  echo "agent did not start: $(cat "$work/agent.err")" >&2; exit 1
}
stop_agent() { kill -TERM "$agent"; wait "$agent" || true; agent=; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
events() { sed -n 's/.*detached, \([0-9]*\) events.*/\1/p' "$work/agent.err"; }

# 0. Kernel time of this agent's programs per host read-only open (bpf_stats; insensitive to the machine's load, but
#    counting every syscall that ran during the window): nothing watched, then one idle container watched.
snapshot() { # this agent's programs: the newest of each zd_ name (ids grow; the agent was just started): name run_cnt run_time_ns
  bpftool --json prog show | python3 -c '
import json, sys
newest = {}
for p in json.load(sys.stdin):
    n = p.get("name", "")
    if n.startswith("zd_") and (n not in newest or p["id"] > newest[n]["id"]):
        newest[n] = p
for n, p in newest.items():
    print(n, p.get("run_cnt", 0), p.get("run_time_ns", 0))'
}
per_open() { # before after opens -> ns of zd_sys_enter + zd_x_openat per open
  python3 - "$1" "$2" "$3" <<'PY'
import sys
def load(p): return {l.split()[0]: (int(l.split()[1]), int(l.split()[2])) for l in open(p) if l.strip()}
a, b, n = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
total = sum(b[k][1] - a.get(k, (0, 0))[1] for k in b if k in ("zd_sys_enter", "zd_x_openat"))
print(f"{total / n:.0f}")
PY
}
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
: >"$work/k-plain"; : >"$work/k-watched"
for _ in $(seq 1 "$rounds"); do
  start_agent
  snapshot >"$work/s0"; python3 "$load" open-read 300000 >/dev/null; snapshot >"$work/s1"
  per_open "$work/s0" "$work/s1" 300000 >>"$work/k-plain"
  podman_run -d --name "$idle" "$image" sleep 3600 >/dev/null
  sleep 1
  snapshot >"$work/s0"; python3 "$load" open-read 300000 >/dev/null; snapshot >"$work/s1"
  per_open "$work/s0" "$work/s1" 300000 >>"$work/k-watched"
  podman rm -f -t 0 "$idle" >/dev/null
  stop_agent
done
sysctl -qw kernel.bpf_stats_enabled="$old_stats"
echo "kernel time per host read-only open (zd_sys_enter + zd_x_openat, upper bound): nothing watched $(median <"$work/k-plain") ns, one container watched $(median <"$work/k-watched") ns"

# 1. Host open-read load: agent, nothing watched / agent, one idle container watched.
n=300000
: >"$work/plain"; : >"$work/watched"
for _ in $(seq 1 "$rounds"); do
  start_agent
  python3 "$load" open-read $n >>"$work/plain"
  podman_run -d --name "$idle" "$image" sleep 3600 >/dev/null
  sleep 1 # the agent sees the container's first exec and sets its watch flag
  python3 "$load" open-read $n >>"$work/watched"
  podman rm -f -t 0 "$idle" >/dev/null
  stop_agent
done
p=$(median <"$work/plain"); w=$(median <"$work/watched")
echo "host open-read x$n with the agent: no cgroup watched ${p}s, one container watched ${w}s, ratio $(python3 -c "print(f'{$w/$p:.3f}')")"

# 2. A reading container: alone, then with the agent in Learn (every open reported and learned).
reads=200000
# The loop times itself from /proc/uptime (centiseconds; busybox date has no sub-second format).
script="read s x < /proc/uptime; i=0; while [ \$i -lt $reads ]; do read x < /srv/config; i=\$((i+1)); done; read e x < /proc/uptime; echo \$s \$e"
: >"$work/alone"; : >"$work/learn"; : >"$work/rate"
for _ in $(seq 1 "$rounds"); do
  podman_run --rm "$image" sh -c "$script" | awk '{print $2 - $1}' >>"$work/alone"
  start_agent
  secs=$(podman_run --rm "$image" sh -c "$script" | awk '{print $2 - $1}')
  echo "$secs" >>"$work/learn"
  stop_agent
  # Events from the whole run (the container's start and exit included) over the reading loop's time.
  python3 -c "print(f'{$(events) / $secs:.0f}')" >>"$work/rate"
done
a=$(median <"$work/alone"); l=$(median <"$work/learn"); r=$(median <"$work/rate")
echo "reading container x$reads opens: alone ${a}s, agent in Learn ${l}s, ratio $(python3 -c "print(f'{$l/$a:.3f}')"); events received ${r}/s while it read"
