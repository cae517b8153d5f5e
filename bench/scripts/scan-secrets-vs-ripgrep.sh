#!/usr/bin/env bash
# The whole command against ripgrep, measured in the same run, caches warm for both: `zerodrift scan TREE
# --scanners secret` (the full built-in rule set, the one-pass pipeline, archives inside the tree opened, JSON report)
# against `rg -i -F -f KEYWORDS` (the rules' keywords only: the pre-filter alone, a floor no secret scanner can beat).
# Both use all cores and skip binary files. The tree is several hundred MB: the .NET SDK folder plus node_modules
# trees, hard-linked into one directory (no copy). usage: scan-secrets-vs-ripgrep.sh [TREE...]
# Needs: ripgrep (apt-get install ripgrep).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v rg >/dev/null || { echo "ripgrep (rg) is required: apt-get install ripgrep" >&2; exit 2; }
if [ $# -eq 0 ]; then
  set -- "$(dirname "$(readlink -f "$(command -v dotnet)")")" /usr/lib/node_modules $(ls -d /root/.npm/_npx/*/node_modules 2>/dev/null || true)
fi
tree=/tmp/zerodrift-secrets-tree
if [ ! -d "$tree" ]; then
  mkdir -p "$tree.tmp"
  i=0
  for t in "$@"; do i=$((i + 1)); cp -al "$t" "$tree.tmp/$i-$(basename "$t")" 2>/dev/null || cp -a "$t" "$tree.tmp/$i-$(basename "$t")"; done
  mv "$tree.tmp" "$tree"
fi
dotnet publish "$root/src/ZeroDrift.Cli" -c Release -o /tmp/zerodrift-bench-bin --nologo -v q >/dev/null
dotnet build "$root/bench/ZeroDrift.Benchmarks" -c Release --nologo -v q >/dev/null
keywords=$(mktemp); trap 'rm -f "$keywords"' EXIT
"$root/bench/ZeroDrift.Benchmarks/bin/Release/net10.0/ZeroDrift.Benchmarks" secrets-keywords >"$keywords"
bytes=$(find "$tree" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
files=$(find "$tree" -type f | wc -l)

best() { python3 -c "import sys; print(min(float(x) for x in sys.argv[1:]))" "$@"; }
rg -i -F -c --no-messages -f "$keywords" "$tree" >/dev/null || true   # warm the page cache
# Wall time and CPU time (user + sys) of each run: on a shared machine CPU time is the steadier of the two.
rg_times=(); zd_times=(); rg_cpus=(); zd_cpus=(); zd_rss=0
for _ in 1 2 3; do
  read -r s u y < <( { /usr/bin/time -f "%e %U %S" rg -i -F -c --no-messages -f "$keywords" "$tree" >/dev/null || true; } 2>&1 | tail -1)
  rg_times+=("$s"); rg_cpus+=("$(python3 -c "print($u + $y)")")
  read -r s kb u y < <(/usr/bin/time -f "%e %M %U %S" /tmp/zerodrift-bench-bin/zerodrift scan "$tree" --scanners secret --format json --quiet \
                   --output /tmp/zerodrift-secrets-report.json 2>&1 >/dev/null | tail -1)
  zd_times+=("$s"); zd_cpus+=("$(python3 -c "print($u + $y)")"); zd_rss=$((kb > zd_rss ? kb : zd_rss))
done
rg_best=$(best "${rg_times[@]}"); zd_best=$(best "${zd_times[@]}")
rg_cpu=$(best "${rg_cpus[@]}"); zd_cpu=$(best "${zd_cpus[@]}")
findings=$(python3 -c "import json; d=json.load(open('/tmp/zerodrift-secrets-report.json')); print(len(d['contentFindings']), d['content']['filesScanned'], d['content']['bytesScanned'])")
python3 - <<PY
b, rg, zd = $bytes, $rg_best, $zd_best
f, scanned_files, scanned_bytes = "$findings".split()
print(f"tree: $tree ({' '.join('$*'.split())}): {b/1e6:.0f} MB in $files files; keywords: $(wc -l <"$keywords")")
print(f"ripgrep keywords (best of 3):            {rg:.2f}s  {b/1e6/rg:.0f} MB/s")
print(f"zerodrift scan --scanners secret (best): {zd:.2f}s  {b/1e6/zd:.0f} MB/s  peak RSS {$zd_rss/1024:.0f} MiB")
print(f"ratio: {rg/zd:.2f}x ripgrep's throughput (target >= 0.5)")
print(f"CPU (user+sys, best of 3): ripgrep {$rg_cpu:.2f}s, zerodrift {$zd_cpu:.2f}s: {$rg_cpu/$zd_cpu:.2f}x; load average {open('/proc/loadavg').read().split()[0]}")
print(f"zerodrift read {int(scanned_bytes)/1e6:.0f} MB in {scanned_files} files (archive entries included), {f} findings")
PY
