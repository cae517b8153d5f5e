#!/usr/bin/env bash
# Soak of `zerodrift agent` (root): a steady load at RATE reported events per second for SECONDS (default 600 s at
# 100k events/s, the issue's figures); the agent's own stats lines (every 10 s) give RSS, received, lost and the
# kernel-to-user latency per interval. Prints every RSS sample, so growth is visible, and a summary.
# usage: agent-soak.sh [SECONDS] [RATE]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-600}
rate=${2:-100000}
bin=/tmp/zerodrift-agent-soak-bin/zerodrift
dotnet publish "$root/src/ZeroDrift.Cli" -c Release -o /tmp/zerodrift-agent-soak-bin --nologo -v q >/dev/null
work=$(mktemp -d)
agent=
trap '[ -n "$agent" ] && kill -TERM $agent 2>/dev/null; rm -rf "$work"' EXIT
"$bin" agent --output-file "$work/soak.jsonl" --stats-interval 10 2>"$work/agent.err" &
agent=$!
for _ in $(seq 1 300); do grep -q "programs attached" "$work/agent.err" && break; sleep 0.1; done
grep -q "programs attached" "$work/agent.err" || { echo "agent did not start: $(cat "$work/agent.err")" >&2; exit 1; }
# Two producers at half the rate each: one Python process cannot open files fast enough for 100k/s on its own.
python3 "$root/bench/scripts/agent-load.py" paced $((rate / 2)) "$seconds" & producer=$!
python3 "$root/bench/scripts/agent-load.py" paced $((rate - rate / 2)) "$seconds"
wait "$producer"
sleep 11 # one more stats line after the load
kill -TERM "$agent"; wait "$agent"; agent=
python3 - "$work/soak.jsonl" <<'PY'
import json, sys
stats = [json.loads(l) for l in open(sys.argv[1]) if '"type":"stats"' in l]
rss = [s["rssBytes"] / 2**20 for s in stats]
print("RSS MiB per 10 s:", " ".join(f"{r:.0f}" for r in rss))
p99 = [s["latencyUs"]["p99"] for s in stats if s["latencyUs"]["p99"] > 0]
print("p99 latency us per 10 s:", " ".join(f"{p:.0f}" for p in p99))
last = stats[-1]
received, lost = sum(last["received"].values()), sum(last["lost"].values())
half = len(rss) // 2
print(f"soak: {len(stats)} stats lines, {received} events received, {lost} lost ({last['lost']}); "
      f"RSS first {rss[0]:.0f} MiB, max {max(rss):.0f} MiB, last {rss[-1]:.0f} MiB, "
      f"mean of first half {sum(rss[:half])/max(1,half):.0f} vs second half {sum(rss[half:])/max(1,len(rss)-half):.0f} MiB; "
      f"per-interval p99 latency median {sorted(p99)[len(p99)//2]:.0f} us, worst {max(p99):.0f} us")
PY
