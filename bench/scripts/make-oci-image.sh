#!/usr/bin/env bash
# Builds an OCI image layout from directories of this machine, one gzip layer per argument group,
# for benchmarks: real files (libraries, binaries, a dpkg database) at a realistic size.
# usage: make-oci-image.sh OUT_DIR "dir1 dir2" ["dir3"] ...
set -euo pipefail
out=$1; shift
rm -rf "$out"; mkdir -p "$out/blobs/sha256"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
layers=(); diffs=(); sizes=()
for group in "$@"; do
  # shellcheck disable=SC2086
  tar -C / --numeric-owner -cf "$tmp/layer.tar" $group 2>/dev/null || [ -s "$tmp/layer.tar" ]
  sha256sum "$tmp/layer.tar" | cut -d' ' -f1 > "$tmp/diff"
  gzip -1 -c "$tmp/layer.tar" > "$tmp/blob"; rm "$tmp/layer.tar"
  digest=$(sha256sum "$tmp/blob" | cut -d' ' -f1)
  mv "$tmp/blob" "$out/blobs/sha256/$digest"
  layers+=("$digest"); diffs+=("$(cat "$tmp/diff")"); sizes+=("$(stat -c %s "$out/blobs/sha256/$digest")")
done
python3 - "$out" "${#layers[@]}" "${layers[@]}" "${diffs[@]}" "${sizes[@]}" <<'PY'
import hashlib, json, os, sys
out, n = sys.argv[1], int(sys.argv[2])
layers, diffs, sizes = sys.argv[3:3+n], sys.argv[3+n:3+2*n], sys.argv[3+2*n:3+3*n]
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    open(os.path.join(out, "blobs", "sha256", d), "wb").write(data)
    return d, len(data)
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in diffs]},
    "history": [{"created_by": f"layer {i}"} for i in range(n)]}).encode()
cd, cs = blob(config)
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + cd, "size": cs},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + l, "size": int(s)} for l, s in zip(layers, sizes)]}).encode()
md, ms = blob(manifest)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + md, "size": ms}]}, open(os.path.join(out, "index.json"), "w"))
open(os.path.join(out, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
echo "$out"
