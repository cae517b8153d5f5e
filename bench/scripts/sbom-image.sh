#!/usr/bin/env bash
# Whole-command benchmark: `zerodrift sbom` of an image against merely decompressing its layers (gzip -dc),
# both timed in this run, with peak memory. usage: sbom-image.sh [OCI_LAYOUT]  (default: builds one from /usr)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
layout=${1:-/tmp/zerodrift-bench-image}
if [ ! -f "$layout/index.json" ]; then
  "$root/bench/scripts/make-oci-image.sh" "$layout" "etc var/lib/dpkg usr/bin" "usr/lib/x86_64-linux-gnu" "usr/share usr/libexec" "usr/lib/jvm usr/lib/gcc" >/dev/null
fi
dotnet publish "$root/src/ZeroDrift.Cli" -c Release -o /tmp/zerodrift-bench-bin --nologo -v q >/dev/null
layers=$(python3 -c "
import json,sys; l=sys.argv[1]; i=json.load(open(l+'/index.json'))['manifests'][0]['digest'][7:]
print(' '.join(l+'/blobs/sha256/'+x['digest'][7:] for x in json.load(open(l+'/blobs/sha256/'+i))['layers']))" "$layout")
bytes=$(for l in $layers; do gzip -dc "$l"; done | wc -c)
measure() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; }
read -r dec_s dec_kb < <(measure bash -c "for l in $layers; do gzip -dc \$l; done")
read -r zd_s zd_kb < <(measure /tmp/zerodrift-bench-bin/zerodrift sbom "oci-dir:$layout" --format json --quiet)
echo "image: $layout, $(du -sh "$layout" | cut -f1) compressed, $((bytes / 1048576)) MiB uncompressed"
echo "decompress only (gzip -dc): ${dec_s}s"
echo "zerodrift sbom:             ${zd_s}s, peak RSS $((zd_kb / 1024)) MiB"
python3 -c "print(f'ratio sbom/decompress: {float(\"$zd_s\")/float(\"$dec_s\"):.2f}')"
