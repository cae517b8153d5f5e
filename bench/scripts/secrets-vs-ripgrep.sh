#!/usr/bin/env bash
# Secret scanning throughput against ripgrep over the same tree, caches warm for both, measured in the same run.
# ZeroDrift runs the full built-in rule set (keyword pre-filter + regexes + entropy + allowlists); ripgrep searches
# the rules' keywords only (-i -F -f), which is the pre-filter alone: a floor no real secret scanner can beat.
# Both skip binary files and use all cores. usage: secrets-vs-ripgrep.sh [TREE] (default: the .NET SDK folder)
# Needs: ripgrep (apt-get install ripgrep).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tree=${1:-$(dirname "$(readlink -f "$(command -v dotnet)")")}
command -v rg >/dev/null || { echo "ripgrep (rg) is required: apt-get install ripgrep" >&2; exit 2; }
dotnet build "$root/bench/ZeroDrift.Benchmarks" -c Release --nologo -v q >/dev/null
bench="$root/bench/ZeroDrift.Benchmarks/bin/Release/net10.0/ZeroDrift.Benchmarks"
keywords=$(mktemp); trap 'rm -f "$keywords"' EXIT
"$bench" secrets-keywords >"$keywords"

# Warm the page cache, then take ripgrep's best of three.
rg -i -F -c --no-messages -f "$keywords" "$tree" >/dev/null || true
best_rg=999999
for _ in 1 2 3; do
  start=$(date +%s.%N)
  rg -i -F -c --no-messages -f "$keywords" "$tree" >/dev/null || true
  end=$(date +%s.%N)
  best_rg=$(python3 -c "print(min($best_rg, $end - $start))")
done

out=$("$bench" secrets-tree "$tree" 2>/dev/null)
echo "$out"
first=$(echo "$out" | awk -F'seconds=' '/pass=1 /{split($2,a," "); print a[1]}')
best=$(echo "$out" | awk -F'seconds=' '{split($2,a," "); print a[1]}' | sort -g | head -1)
bytes=$(echo "$out" | head -1 | sed 's/.* bytes=\([0-9]*\).*/\1/')
text=$(echo "$out" | head -1 | sed 's/.*text_bytes=\([0-9]*\).*/\1/')
python3 - <<PY
rg, first, best, b, t = $best_rg, $first, $best, $bytes, $text
print(f"tree: $tree: {b/1e6:.0f} MB ({t/1e6:.0f} MB text), keywords: $(wc -l <"$keywords")")
print(f"ripgrep keywords:   {rg:.3f}s  {b/1e6/rg:.0f} MB/s")
print(f"zerodrift (warm):   {best:.3f}s  {b/1e6/best:.0f} MB/s  ratio {rg/best:.2f}x ripgrep")
print(f"zerodrift (cold):   {first:.3f}s  {b/1e6/first:.0f} MB/s  ratio {rg/first:.2f}x ripgrep")
PY
