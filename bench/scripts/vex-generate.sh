#!/usr/bin/env bash
# Whole-command benchmark: `zerodrift vex generate` of an image against `zerodrift sbom` of the same image, alternating,
# ROUNDS times, medians and their ratio (issue 20: at most 2x). The image is this machine's dpkg database (about 1,000
# packages, 150,000 listed files) in an OCI layout; two profiles hold 100,000 file entries between them, taken from those
# lists (a profile file is at most 8 MiB: 50,000 entries each), and the Debian OSV export is the database.
# usage: vex-generate.sh [ROUNDS]   (ZD=path/to/zerodrift to use a given build; default: a Release publish)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-5}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
if [ -z "${ZD:-}" ]; then
  dotnet publish "$root/src/ZeroDrift.Cli" -c Release -o "$work/bin" --nologo -v q >/dev/null
  ZD="$work/bin/zerodrift"
fi
"$root/bench/scripts/make-oci-image.sh" "$work/image" "etc/os-release usr/lib/os-release var/lib/dpkg" >/dev/null
mkdir -p "$work/osv/Debian"
ln -s "$root/../shared/data/osv/Debian/all.zip" "$work/osv/Debian/all.zip"
"$ZD" db import "$work/osv" --db "$work/osv.db" --quiet
python3 - "$work/profile-a.yaml" "$work/profile-b.yaml" <<'PY'
import glob, os, sys
paths = set()
for lst in glob.glob("/var/lib/dpkg/info/*.list"):
    for line in open(lst, errors="replace"):
        p = line.rstrip("\n")
        if p.startswith("/") and not os.path.isdir(p):
            paths.add(p)
paths = sorted(paths)
step = max(1, len(paths) // 100000)
chosen = paths[::step][:100000]
for n, name in enumerate(sys.argv[1:3]):
    with open(name, "w") as f:
        f.write("apiVersion: zerodrift.dev/v1\nkind: BehaviourProfile\nmetadata:\n  workload: bench\n  imageDigest: sha256:" + "0" * 64 + "\n"
                "  created: 2026-12-07T10:00:00Z\n  updated: 2026-12-07T11:00:00Z\nspec:\n  mode: learn\n  processes:\n  - executable: /usr/bin/python3.11\n  files:\n")
        for p in chosen[n::2]:
            f.write("  - {path: '" + p.replace("'", "''") + "', access: r}\n")
print(f"profiles: {len(chosen)} file entries of {len(paths)} listed files", file=sys.stderr)
PY
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
timed() { /usr/bin/time -f "%e" "$@" 2>&1 >/dev/null | tail -1; }
: >"$work/sbom"; : >"$work/vex"; : >"$work/floor"
# The floor: the same command with a one-entry profile (inventory, database, scan, document), to tell what reading the
# 100,000 entries costs.
head -n 13 "$work/profile-a.yaml" >"$work/profile-small.yaml"
for _ in $(seq 1 "$rounds"); do
  timed "$ZD" sbom "oci-dir:$work/image" --format json --quiet >>"$work/sbom"
  timed "$ZD" vex generate "oci-dir:$work/image" --profile "$work/profile-a.yaml" --profile "$work/profile-b.yaml" --db "$work/osv.db" --quiet --allow-stale-db >>"$work/vex"
  timed "$ZD" vex generate "oci-dir:$work/image" --profile "$work/profile-small.yaml" --db "$work/osv.db" --quiet --allow-stale-db >>"$work/floor"
done
"$ZD" vex generate "oci-dir:$work/image" --profile "$work/profile-a.yaml" --profile "$work/profile-b.yaml" --db "$work/osv.db" --allow-stale-db 2>&1 >/dev/null | grep 'vex:' || true
s=$(median <"$work/sbom"); v=$(median <"$work/vex")
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "zerodrift sbom:         ${s}s median of $rounds ($(tr '\n' ' ' <"$work/sbom"))"
echo "zerodrift vex generate: ${v}s median of $rounds ($(tr '\n' ' ' <"$work/vex"))"
echo "vex, one-entry profile: $(median <"$work/floor")s median of $rounds ($(tr '\n' ' ' <"$work/floor"))"
python3 -c "print(f'ratio vex/sbom: {float(\"$v\")/float(\"$s\"):.2f} (target <= 2)')"
