#!/usr/bin/env bash
# The reference for VersionBenchmarks: dpkg --compare-versions per pair, over the first N Debian vector pairs.
# Usage: bench/scripts/dpkg-compare.sh [N]   (prints the time per pair)
set -euo pipefail
n="${1:-1000}"
vectors="$(dirname "$0")/../../../shared/data/version-vectors/debian-versions-generated.txt"
pairs="$(awk -v n="$n" 'NF == 3 && $1 !~ /^#/ { print; if (++c >= n) exit }' "$vectors")"
start=$(date +%s%N)
while read -r a _ b; do dpkg --compare-versions "$a" lt "$b" || true; done <<< "$pairs"
end=$(date +%s%N)
echo "dpkg --compare-versions: $n pairs in $(( (end - start) / 1000000 )) ms, $(( (end - start) / n / 1000 )) us per pair"
