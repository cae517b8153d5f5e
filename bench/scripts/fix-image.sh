#!/usr/bin/env bash
# `zerodrift fix` against the cost it cannot avoid: downloading and unpacking the updated packages. One local apt
# repository (dpkg-deb, dpkg-scanpackages, apt-ftparchive, a gpg key made here, python3 -m http.server on
# 127.0.0.1) holds zdbench 1.0 and 1.1, each ~PAYLOAD_MB of real files (this machine's shared libraries); the image
# (an OCI layout: busybox-static, os-release, a dpkg database) has 1.0 installed; an OSV record says 1.0 is
# vulnerable. Alternating ROUNDS times: the reference (curl the 1.1 .deb + dpkg-deb -x, and curl InRelease and
# Packages.gz) and the fix (zerodrift fix ... --output oci-dir:...), medians and the ratio fix/reference.
# usage: [BENCH_MANAGED_XZ=1] fix-image.sh ZERODRIFT [ROUNDS] [PAYLOAD_MB]   (BENCH_MANAGED_XZ=1 also times the fix with the
# managed xz decoder in the same rounds; each fix prints its phases with --timings) (ZERODRIFT: a built zerodrift, e.g. src/ZeroDrift.Cli/bin/Release/net10.0/zerodrift)
set -euo pipefail
zd=$(realpath "$1") rounds=${2:-5} payload_mb=${3:-40}
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; GNUPGHOME="$work/gnupg" gpgconf --kill gpg-agent 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"

# Packages: the same payload in both versions (real libraries, so the compression ratio is a real one).
mkdir -p payload
du_target=$((payload_mb * 1024 * 1024)); total=0
for f in /usr/lib/x86_64-linux-gnu/*.so.*; do
  [ -f "$f" ] && [ ! -L "$f" ] || continue
  cp "$f" payload/; total=$((total + $(stat -c %s "$f")))
  [ "$total" -ge "$du_target" ] && break
done
build() { # name version
  local root="build/$1-$2"
  mkdir -p "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/$1"
  printf 'Package: %s\nVersion: %s\nArchitecture: amd64\nMaintainer: bench <bench@zerodrift.invalid>\nDescription: bench\n' "$1" "$2" >"$root/DEBIAN/control"
  printf '#!/bin/sh\necho %s %s\n' "$1" "$2" >"$root/usr/bin/$1"; chmod 755 "$root/usr/bin/$1"
  cp payload/* "$root/usr/lib/$1/"
  mkdir -p repo/pool/main
  dpkg-deb --root-owner-group -Zxz --build "$root" "repo/pool/main/$1_$2_amd64.deb" >/dev/null
}
build zdbench 1.0; build zdbench 1.1
mkdir -p repo/dists/stable/main/binary-amd64 gnupg; chmod 700 gnupg
(cd repo && dpkg-scanpackages --multiversion pool /dev/null 2>/dev/null >dists/stable/main/binary-amd64/Packages && gzip -k9n dists/stable/main/binary-amd64/Packages)
(cd repo && apt-ftparchive -o APT::FTPArchive::Release::Suite=stable -o APT::FTPArchive::Release::Architectures=amd64 \
  -o APT::FTPArchive::Release::Components=main release dists/stable >Release.tmp && mv Release.tmp dists/stable/Release)
export GNUPGHOME="$work/gnupg"
gpg -q --batch --pinentry-mode loopback --passphrase '' --quick-gen-key 'bench <bench@zerodrift.invalid>' rsa2048 sign never
gpg -q --batch --yes --digest-algo SHA512 --clearsign -o repo/dists/stable/InRelease repo/dists/stable/Release
gpg -q --batch --export >keyring.gpg
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd repo && exec python3 -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1) & server=$!
url="http://127.0.0.1:$port"
for _ in $(seq 1 50); do curl -sf "$url/dists/stable/InRelease" >/dev/null && break; sleep 0.1; done

# The image: one base layer and one with zdbench 1.0 installed as dpkg would (files, status, list).
mkdir -p rootfs/bin rootfs/etc rootfs/var/lib/dpkg/info
cp /bin/busybox rootfs/bin/; ln -s busybox rootfs/bin/sh
printf 'ID=debian\nVERSION_ID="12"\n' >rootfs/etc/os-release
dpkg-deb -x repo/pool/main/zdbench_1.0_amd64.deb rootfs
{ dpkg-deb -f repo/pool/main/zdbench_1.0_amd64.deb | sed '1a Status: install ok installed'; echo; } >rootfs/var/lib/dpkg/status
(cd rootfs && { echo /.; find usr -mindepth 0 | sed 's|^|/|'; }) >rootfs/var/lib/dpkg/info/zdbench.list
python3 - rootfs image <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
root, out = sys.argv[1], sys.argv[2]
os.makedirs(f"{out}/blobs/sha256")
def blob(data):
    d = hashlib.sha256(data).hexdigest(); open(f"{out}/blobs/sha256/{d}", "wb").write(data); return "sha256:" + d, len(data)
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t: t.add(root, arcname=".")
tar = buf.getvalue(); diff = "sha256:" + hashlib.sha256(tar).hexdigest()
ld, ls = blob(gzip.compress(tar, 1))
cd, cs = blob(json.dumps({"architecture": "amd64", "os": "linux", "config": {"Entrypoint": ["/usr/bin/zdbench"]},
    "rootfs": {"type": "layers", "diff_ids": [diff]}, "history": [{"created_by": "bench"}]}).encode())
md, ms = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld, "size": ls}]}).encode())
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms}]}, open(f"{out}/index.json", "w"))
open(f"{out}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
mkdir -p osv/Debian
python3 - <<'PY'
import json, zipfile
r = {"schema_version": "1.6.0", "id": "DEBIAN-CVE-2099-0202", "modified": "2026-01-01T00:00:00Z", "aliases": ["CVE-2099-0202"],
     "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
     "affected": [{"package": {"ecosystem": "Debian:12", "name": "zdbench"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1"}]}]}]}
with zipfile.ZipFile("osv/Debian/all.zip", "w") as z: z.writestr("r.json", json.dumps(r))
PY
"$zd" db import osv/Debian --db vuln.db --quiet >/dev/null

reference() {
  rm -rf ref; mkdir ref
  curl -sf -o ref/InRelease "$url/dists/stable/InRelease"
  curl -sf -o ref/Packages.gz "$url/dists/stable/main/binary-amd64/Packages.gz"
  curl -sf -o ref/p.deb "$url/pool/main/zdbench_1.1_amd64.deb"
  dpkg-deb -x ref/p.deb ref/root
}
fix() {
  rm -rf out
  echo "[${1:-native xz}]" >>fix.timings
  "$zd" fix oci-dir:image --repo "deb $url stable main" --keyring keyring.gpg --db vuln.db --output oci-dir:out --timings >/dev/null 2>>fix.timings
}
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
: >ref.times; : >fix.times; : >fix.timings
: >managed.times
fix; reference # warm both (page cache, first JIT of the runtime's files)
for _ in $(seq 1 "$rounds"); do
  t0=$(now); reference; t1=$(now); fix; t2=$(now)
  echo "$t1 - $t0" | bc >>ref.times; echo "$t2 - $t1" | bc >>fix.times
  # BENCH_MANAGED_XZ=1: also the same fix with the managed xz decoder (SharpCompress), in the same rounds.
  if [ "${BENCH_MANAGED_XZ:-0}" = 1 ]; then
    t3=$(now); ZERODRIFT_MANAGED_XZ=1 fix "managed xz"; t4=$(now); echo "$t4 - $t3" | bc >>managed.times
  fi
done
deb=$(stat -c %s repo/pool/main/zdbench_1.1_amd64.deb)
unpacked=$(du -sb ref/root | cut -f1)
r=$(median <ref.times) f=$(median <fix.times)
echo "package: $deb bytes (.deb, xz), $unpacked bytes unpacked; $rounds rounds, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "reference (curl InRelease + Packages.gz + .deb, dpkg-deb -x): median ${r}s  [$(tr '\n' ' ' <ref.times)]"
echo "zerodrift fix (verify, fetch, unpack, layer, write, rescan):  median ${f}s  [$(tr '\n' ' ' <fix.times)]"
echo "ratio fix/reference: $(echo "scale=2; $f / $r" | bc)"
if [ -s managed.times ]; then
  m=$(median <managed.times)
  echo "zerodrift fix, managed xz decoder:                         median ${m}s  [$(tr '\n' ' ' <managed.times)]  ratio $(echo "scale=2; $m / $r" | bc)"
fi
echo "phases of each fix (zerodrift fix --timings):"; sed 's/^/  /' fix.timings
