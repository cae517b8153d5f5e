#!/usr/bin/env bash
# Whole-command benchmark: `zerodrift scan` against `zerodrift sbom` of the same target, both timed in this run
# (the scan's extra cost is the matching). usage: scan-overhead.sh [TARGET] (default: the machine's /usr and dpkg db)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${1:-/tmp/zerodrift-bench-image}
if [ "$target" = /tmp/zerodrift-bench-image ] && [ ! -f "$target/index.json" ]; then
  "$root/bench/scripts/make-oci-image.sh" "$target" "etc var/lib/dpkg usr/bin" "usr/lib/x86_64-linux-gnu" "usr/share usr/libexec" "usr/lib/jvm usr/lib/gcc" >/dev/null
fi
[ -f "$target/index.json" ] && target="oci-dir:$target"
bin=/tmp/zerodrift-bench-bin/zerodrift
dotnet publish "$root/src/ZeroDrift.Cli" -c Release -o /tmp/zerodrift-bench-bin --nologo -v q >/dev/null
db=$(mktemp -d)/osv.db
$bin db import "$root/../shared/data/osv" --db "$db" --quiet 2>/dev/null
measure() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; }
for round in 1 2 3; do
  read -r sbom_s sbom_kb < <(measure $bin sbom "$target" --format json --quiet)
  read -r scan_s scan_kb < <(measure $bin scan "$target" --db "$db" --format json --quiet)
  echo "round $round: sbom ${sbom_s}s ($((sbom_kb / 1024)) MiB), scan ${scan_s}s ($((scan_kb / 1024)) MiB), ratio $(python3 -c "print(f'{$scan_s/$sbom_s:.2f}')")"
done
rm -f "$db"
