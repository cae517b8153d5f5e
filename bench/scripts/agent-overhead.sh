#!/usr/bin/env bash
# Whole-command benchmark of `zerodrift agent` (root): the same loads timed without and with the agent in this
# run, then throughput, kernel-to-user latency and memory from the agent's own stats lines.
# usage: agent-overhead.sh [ROUNDS]   (default 3; the ten-minute soak is agent-soak.sh)
#        LOADS="exec 20000;tree /usr/share" OVERHEAD_ONLY=1 agent-overhead.sh   (some loads, no throughput/latency part)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-3}
load="$root/bench/scripts/agent-load.py"
bin=/tmp/zerodrift-agent-bench-bin/zerodrift
dotnet publish "$root/src/ZeroDrift.Cli" -c Release -o /tmp/zerodrift-agent-bench-bin --nologo -v q >/dev/null
work=$(mktemp -d)
trap 'kill -TERM $agent 2>/dev/null || true; rm -rf "$work"' EXIT
agent=

start_agent() { # args: output file, extra agent args...
  local out=$1; shift
  "$bin" agent --output-file "$out" --stats-interval 1 "$@" 2>"$work/agent.err" &
  agent=$!
  for _ in $(seq 1 300); do grep -q "programs attached" "$work/agent.err" && return 0; sleep 0.1; done
  echo "agent did not start: $(cat "$work/agent.err")" >&2; exit 1
}
stop_agent() { kill -TERM "$agent"; wait "$agent"; agent=; }
# shellcheck source=compare-loads.sh
. "$root/bench/scripts/compare-loads.sh"
start_default() { start_agent "$work/events.jsonl"; }

# Overhead: each load without and with the agent (default event set), alternating, `rounds` times.
# tree: every file under /usr/share opened and read once (a realistic open-heavy job: builds, backups, scanners);
# syscall: getppid in a loop, the floor a hook on every syscall's entry costs.
compare_loads overhead agent start_default stop_agent

[ -n "${OVERHEAD_ONLY:-}" ] && exit 0

# Kernel time per program run (independent of how busy the machine is): bpf_stats on, one load of each kind.
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
start_agent "$work/stats.jsonl"
python3 "$load" open-read 300000 >/dev/null
python3 "$load" exec 2000 >/dev/null
python3 "$load" syscall 300000 >/dev/null
echo "kernel time per run (open-read x300000 + exec x2000 + getppid x300000):"
bpftool --json prog show | python3 "$root/bench/scripts/bpf-prog-stats.py"
stop_agent
sysctl -qw kernel.bpf_stats_enabled="$old_stats"

# Throughput: a burst of write-opens from two producers at once; the agent's received/lost counts tell.
start_agent "$work/through.jsonl" --events open
t0=$(date +%s.%N)
python3 "$load" open 500000 >/dev/null & producer=$!; python3 "$load" open 500000 >/dev/null; wait "$producer"
secs=$(python3 -c "print($(date +%s.%N) - $t0)")
sleep 2
stop_agent
python3 - "$work/through.jsonl" "$secs" <<'PY'
import json, sys
stats = [json.loads(l) for l in open(sys.argv[1]) if '"type":"stats"' in l]
last = stats[-1]
received, lost = last["received"]["open"], last["lost"]["open"]
secs = float(sys.argv[2])
p99 = max(s["latencyUs"]["p99"] for s in stats)
print(f"throughput: {received} open events in {secs:.2f}s of load = {received/secs:,.0f} events/s, lost {lost}, worst per-second p99 latency {p99:.0f} us")
PY
