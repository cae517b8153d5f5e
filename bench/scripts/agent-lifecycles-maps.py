#!/usr/bin/env python3
"""Entries of the kernel's per-cgroup maps whose cgroup no longer exists, one line per map: `NAME ENTRIES: ID ID …`.

usage: agent-lifecycles-maps.py PIN_ROOT PROGRAM_ID…
The enforcement's cgroup map is read where it is pinned (PIN_ROOT/zde_cgroup); the sensor's per-cgroup maps (zd_watch,
zd_syscalls) are found from the agent's program ids (its status file's `programIds`), so another agent's maps of the
same names are never read. A cgroup exists when a directory of the cgroup v2 hierarchy has its id as inode number;
the hierarchy is listed before and after the maps are read, so a cgroup made or removed meanwhile is not miscounted.
"""
import json, os, subprocess, sys

CGROUP_MAPS = ("zd_watch", "zd_syscalls")


def bpftool(*args):
    return json.loads(subprocess.run(["bpftool", "-j", *args], check=True, capture_output=True, text=True).stdout or "null")


def cgroup_ids(root="/sys/fs/cgroup"):
    ids = set()
    for directory, _, _ in os.walk(root):
        try:
            ids.add(os.stat(directory).st_ino)
        except OSError:
            pass  # gone while listed
    return ids


def keys(dump):
    """The u64 keys of a map dump (little-endian bytes as hex strings)."""
    result = []
    for entry in dump or []:
        key = entry.get("key")
        if isinstance(key, list):
            result.append(int.from_bytes(bytes(int(b, 16) for b in key[:8]), "little"))
        elif isinstance(entry.get("formatted"), dict):
            result.append(int(entry["formatted"]["key"]))
    return result


def main():
    pins, programs = sys.argv[1], sys.argv[2:]
    before = cgroup_ids()
    dumps = {"zde_cgroup": keys(bpftool("map", "dump", "pinned", os.path.join(pins, "zde_cgroup")))}
    maps = set()
    for program in programs:
        maps.update(bpftool("prog", "show", "id", program).get("map_ids", []))
    for map_id in sorted(maps):
        name = bpftool("map", "show", "id", str(map_id)).get("name")
        if name in CGROUP_MAPS:
            dumps[name] = keys(bpftool("map", "dump", "id", str(map_id)))
    alive = before | cgroup_ids()
    for name in ("zde_cgroup", *CGROUP_MAPS):
        gone = [k for k in dumps.get(name, []) if k not in alive]
        print(f"{name} {len(dumps.get(name, []))}: {' '.join(map(str, gone))}")


if __name__ == "__main__":
    main()
