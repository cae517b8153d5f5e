#!/usr/bin/env bash
# In-kernel enforcement (root): block latency and the cost of the exec and connect programs, each as a ratio against
# the same load with enforcement off, measured in the same run (see bench/ZeroDrift.EnforceBench/Program.cs).
# usage: enforce-latency.sh [ROUNDS] [EXECS] [CONNECTS]   (default 3 rounds, 2000 execs, 20000 connects per phase)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=/tmp/zerodrift-enforce-bench-bin
dotnet publish "$root/bench/ZeroDrift.EnforceBench" -c Release -o "$out" --nologo -v q >/dev/null
exec "$out/ZeroDrift.EnforceBench" "$root/bench/scripts/enforce-load.py" "${1:-3}" "${2:-2000}" "${3:-20000}"
