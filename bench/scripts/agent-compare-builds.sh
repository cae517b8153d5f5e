#!/usr/bin/env bash
# Two builds of `zerodrift agent` (root) on the same loads in the same run: each load timed with no agent, with agent
# A and with agent B, alternating, ROUNDS times; medians and ratios against no agent, and B against A; and the CPU
# the agent itself used during the load (utime+stime ticks, less sensitive than wall time to a busy machine). For a
# change to the agent's loop: A the build before it, B the build with it.
# usage: agent-compare-builds.sh BIN_A BIN_B [ROUNDS]   (BIN_*: a published zerodrift; default 5 rounds)
#        LOADS="exec 20000;connect 20000" agent-compare-builds.sh …
#        WARMUP=N: each agent first sees N unmeasured execs (its hot code compiled at full optimisation: the steady
#        state of a node agent that has run for a while, rather than its first seconds)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin_a=$1 bin_b=$2 rounds=${3:-5}
load="$root/bench/scripts/agent-load.py"
work=$(mktemp -d)
agent=
trap '[ -n "$agent" ] && kill -TERM "$agent" 2>/dev/null; rm -rf "$work"' EXIT

start() { # args: binary
  rm -f "$work/profiles.db"*
  "$1" agent --output-file "$work/events.jsonl" --stats-interval 1 --profiles "$work/profiles.db" \
    --enforcement user-space --pin-root "/sys/fs/bpf/zd-compare-$$" --alerts "file:$work/alerts.jsonl" 2>"$work/agent.err" &
  agent=$!
  for _ in $(seq 1 300); do grep -qs "programs attached" "$work/agent.err" && return 0; sleep 0.1; done
  echo "agent did not start: $(cat "$work/agent.err")" >&2; exit 1
}
stop() { kill -TERM "$agent"; wait "$agent" || true; agent=; }
cpu() { awk '{print $14 + $15}' "/proc/$agent/stat"; } # the agent's utime + stime, in clock ticks
timed() { # args: binary, result file, cpu file: one load under that agent
  start "$1"
  [ "${WARMUP:-0}" -gt 0 ] && python3 "$load" exec "$WARMUP" >/dev/null
  local c0; c0=$(cpu)
  python3 "$load" "$load_kind" "$load_n" >>"$2"
  echo $(( $(cpu) - c0 )) >>"$3"; stop
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

IFS=';' read -r -a specs <<<"${LOADS:-exec 20000;connect 20000}"
for spec in "${specs[@]}"; do
  set -- $spec
  load_kind=$1 load_n=$2
  : >"$work/none"; : >"$work/a"; : >"$work/b"; : >"$work/a.cpu"; : >"$work/b.cpu"
  for _ in $(seq 1 "$rounds"); do
    python3 "$load" "$1" "$2" >>"$work/none"
    timed "$bin_a" "$work/a" "$work/a.cpu"
    timed "$bin_b" "$work/b" "$work/b.cpu"
  done
  n=$(median <"$work/none"); a=$(median <"$work/a"); b=$(median <"$work/b"); ca=$(median <"$work/a.cpu"); cb=$(median <"$work/b.cpu")
  python3 -c "print(f'$1 x$2 (medians of $rounds): none {$n}s, A {$a}s ({$a/$n:.3f}), B {$b}s ({$b/$n:.3f}); B/A {$b/$a:.3f}; agent CPU A {$ca} ticks, B {$cb} ticks, B/A {$cb/max($ca,1):.3f}')"
done
