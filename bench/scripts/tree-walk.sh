#!/usr/bin/env bash
# Whole-command benchmark: `zerodrift sbom dir:TREE` against `find TREE -type f | wc -l` on the same tree,
# caches warm for both. usage: tree-walk.sh [TREE] (default /usr)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tree=${1:-/usr}
dotnet publish "$root/src/ZeroDrift.Cli" -c Release -o /tmp/zerodrift-bench-bin --nologo -v q >/dev/null
files=$(find "$tree" -type f | wc -l)
measure() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; }
read -r find_s _ < <(measure bash -c "find '$tree' -type f | wc -l")
read -r zd_s zd_kb < <(measure /tmp/zerodrift-bench-bin/zerodrift sbom "dir:$tree" --format json --quiet)
echo "tree: $tree, $files files"
echo "find -type f | wc -l: ${find_s}s"
echo "zerodrift sbom:       ${zd_s}s, peak RSS $((zd_kb / 1024)) MiB"
python3 -c "print(f'files/s: {$files/max(float(\"$zd_s\"),0.001):.0f}; ratio zerodrift/find: {float(\"$zd_s\")/max(float(\"$find_s\"),0.001):.2f}')"
