#!/usr/bin/env python3
"""Load for enforce-latency.sh: moves itself into a cgroup, then times N execs or N connects from there.

usage: enforce-load.py CGROUP_DIR exec PATH N      spawn PATH and reap it, N times
       enforce-load.py CGROUP_DIR connect PORT N   UDP socket + connect(127.0.0.1:PORT) + close, N times
CGROUP_DIR "-" stays where it was started (the host's cgroup).
Prints one JSON object: per-iteration times (CLOCK_MONOTONIC ns, comparable with bpf_ktime_get_ns), pids, outcomes.
"""
import json, os, socket, sys, time

cgroup, kind, target, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
if cgroup != "-":
    with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))
mono = time.CLOCK_MONOTONIC
runs = []
if kind == "exec":
    for _ in range(n):
        t0 = time.clock_gettime_ns(mono)
        pid = os.posix_spawn(target, [target], {})
        _, status = os.waitpid(pid, 0)
        t1 = time.clock_gettime_ns(mono)
        runs.append([pid, t0, t1, os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0])
else:
    port = int(target)
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t0 = time.clock_gettime_ns(mono)
        try:
            s.connect(("127.0.0.1", port))
            denied = 0
        except PermissionError:
            denied = 1
        t1 = time.clock_gettime_ns(mono)
        s.close()
        runs.append([os.getpid(), t0, t1, denied])
print(json.dumps(runs))
