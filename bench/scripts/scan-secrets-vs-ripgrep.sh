#!/usr/bin/env bash
# The whole command against ripgrep, measured in the same run, caches warm for both: `zerodrift scan TREE
# --scanners secret` (the full built-in rule set, the one-pass pipeline, archives inside the tree opened, JSON report)
# against `rg -i -F -f KEYWORDS` (the rules' keywords only: the pre-filter alone, a floor no secret scanner can beat).
# Both use all cores and skip binary files. The tree is several hundred MB: the .NET SDK folder plus node_modules
# trees, hard-linked into one directory (no copy). usage: scan-secrets-vs-ripgrep.sh [TREE...]
# ZeroDrift is the build users install: published for the machine's runtime, self-contained, as a folder (the
# README's fastest install: the framework and ZeroDrift precompiled into one composite ReadyToRun image; about 90 s).
# The two commands run alternately RUNS times (default 5) so that load on a shared machine hits both alike; the
# medians are compared, wall time and CPU time (user + sys), which load distorts less.
# BEFORE=COMMIT also publishes that commit the same way and runs it in the same rotation (ripgrep, before, after), so
# that a change to the rules or the engine is judged against the same load (ripgrep searches the work tree's keywords).
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
runs=${RUNS:-5}
before=${BEFORE:-}
bin=/tmp/zerodrift-bench-bin-$(id -u)-$$
old=/tmp/zerodrift-bench-before-$(id -u)-$$
keywords=$(mktemp); report=$(mktemp); trap 'rm -rf "$keywords" "$report" "$bin" "$old"' EXIT
dotnet publish "$root/src/ZeroDrift.Cli" -c Release -r linux-x64 --self-contained true -o "$bin" --nologo -v q >/dev/null
if [ -n "$before" ]; then
  mkdir -p "$old/src"
  git -C "$root" archive "$before" | tar -xf - -C "$old/src"
  dotnet publish "$old/src/src/ZeroDrift.Cli" -c Release -r linux-x64 --self-contained true -o "$old/bin" --nologo -v q >/dev/null
fi
dotnet build "$root/bench/ZeroDrift.Benchmarks" -c Release --nologo -v q >/dev/null
"$root/bench/ZeroDrift.Benchmarks/bin/Release/net10.0/ZeroDrift.Benchmarks" secrets-keywords >"$keywords"
bytes=$(find "$tree" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
files=$(find "$tree" -type f | wc -l)

median() { python3 -c "import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
rg -i -F -c --no-messages -f "$keywords" "$tree" >/dev/null || true   # warm the page cache
"$bin/zerodrift" scan "$tree" --scanners secret --format json --quiet --output "$report" >/dev/null 2>&1 || true
rg_times=(); zd_times=(); rg_cpus=(); zd_cpus=(); zd_rss=0; old_times=(); old_cpus=(); old_rss=0
for _ in $(seq "$runs"); do
  read -r s u y < <( { /usr/bin/time -f "%e %U %S" rg -i -F -c --no-messages -f "$keywords" "$tree" >/dev/null || true; } 2>&1 | tail -1)
  rg_times+=("$s"); rg_cpus+=("$(python3 -c "print($u + $y)")")
  if [ -n "$before" ]; then
    read -r s kb u y < <(/usr/bin/time -f "%e %M %U %S" "$old/bin/zerodrift" scan "$tree" --scanners secret --format json --quiet \
                     --output "$report.before" 2>&1 >/dev/null | tail -1)
    old_times+=("$s"); old_cpus+=("$(python3 -c "print($u + $y)")"); old_rss=$((kb > old_rss ? kb : old_rss))
  fi
  read -r s kb u y < <(/usr/bin/time -f "%e %M %U %S" "$bin/zerodrift" scan "$tree" --scanners secret --format json --quiet \
                   --output "$report" 2>&1 >/dev/null | tail -1)
  zd_times+=("$s"); zd_cpus+=("$(python3 -c "print($u + $y)")"); zd_rss=$((kb > zd_rss ? kb : zd_rss))
done
rg_wall=$(median "${rg_times[@]}"); zd_wall=$(median "${zd_times[@]}")
rg_cpu=$(median "${rg_cpus[@]}"); zd_cpu=$(median "${zd_cpus[@]}")
if [ -n "$before" ]; then
  old_wall=$(median "${old_times[@]}"); old_cpu=$(median "${old_cpus[@]}")
  old_findings=$(python3 -c "import json; d=json.load(open('$report.before')); print(len(d['contentFindings']))")
  rm -f "$report.before"
  python3 - <<PY
rg, zd = $rg_wall, $old_wall
print(f"before ($before), same rotation (median): {zd:.2f}s  peak RSS {$old_rss/1024:.0f} MiB  (runs: ${old_times[*]}); "
      f"ratio {rg/zd:.2f}x wall, {$rg_cpu/$old_cpu:.2f}x CPU ({$old_cpu:.2f}s); $old_findings findings")
PY
fi
findings=$(python3 -c "import json; d=json.load(open('$report')); print(len(d['contentFindings']), d['content']['filesScanned'], d['content']['bytesScanned'])")
python3 - <<PY
b, rg, zd = $bytes, $rg_wall, $zd_wall
f, scanned_files, scanned_bytes = "$findings".split()
print(f"tree: $tree ({' '.join('$*'.split())}): {b/1e6:.0f} MB in $files files; keywords: $(wc -l <"$keywords"); $runs alternating runs each")
print(f"ripgrep keywords (median):                {rg:.2f}s  {b/1e6/rg:.0f} MB/s  (runs: ${rg_times[*]})")
print(f"zerodrift scan --scanners secret (median): {zd:.2f}s  {b/1e6/zd:.0f} MB/s  peak RSS {$zd_rss/1024:.0f} MiB  (runs: ${zd_times[*]})")
print(f"ratio: {rg/zd:.2f}x ripgrep's throughput (target >= 0.5)")
print(f"CPU (user+sys, median): ripgrep {$rg_cpu:.2f}s, zerodrift {$zd_cpu:.2f}s: {$rg_cpu/$zd_cpu:.2f}x; load average {open('/proc/loadavg').read().split()[0]}")
print(f"zerodrift read {int(scanned_bytes)/1e6:.0f} MB in {scanned_files} files (archive entries included), {f} findings")
PY
