#!/usr/bin/env python3
"""Kernel time of zde_exec per exec (bpf_stats), before and after policies, in one run (root, podman + runc).

Driven by enforce-exec-cost.sh, which builds both objects and the loader. Each round and scenario loads one
object alone (enforce-exec-loader), runs N execs, reads run_cnt / run_time_ns of that program, unloads; the two
objects alternate order each round. zde_exec runs for every exec on the machine, other sessions' too: a quiet
window before each loop measures that background, which is subtracted from the loop's window.

Scenarios:
  host         N execs of /bin/true by a host shell (every exec on a machine pays this)
  container    N execs inside a running container nobody assigned: before, one miss in zde_mode (no decision:
               the window a new container had); after, the container is classified at every exec (root on
               overlayfs, mount namespace, the overlay's top lower layer, zde_image) with its image not mapped:
               the first-instruction decision at its most expensive
  protected    N execs inside a container in protect, the program allowed: before, zde_mode[cgroup] + the allow
               look-up; after, the image mapped to a policy in protect, so the container's first exec classifies
               and records it, and every exec is zde_cgroup + zde_policy + the allow look-up
usage: enforce-exec-cost.py LOADER BEFORE.o AFTER.o IMAGE ROUNDS N
"""
import json, os, statistics, subprocess, sys, time, uuid

loader, before, after, image, rounds, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
objects = {"before": before, "after": after}


def kernel_dev(st_dev):
    return (os.major(st_dev) << 20) | os.minor(st_dev)


def stats(prog_id):
    p = json.loads(subprocess.check_output(["bpftool", "--json", "prog", "show", "id", str(prog_id)]))
    return p.get("run_cnt", 0), p.get("run_time_ns", 0)


def podman(*args):
    return subprocess.check_output(["podman", *args], text=True).strip()


name = f"zerodrift-exec-cost-{uuid.uuid4().hex[:12]}"
podman("run", "-d", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network", "none",
       "--name", name, image, "/bin/sleep", "3600")
try:
    pid = int(podman("inspect", "--format", "{{.State.Pid}}", name))
    cgroup_path = next(l[3:].strip() for l in open(f"/proc/{pid}/cgroup") if l.startswith("0::"))
    unified = "/sys/fs/cgroup/unified" if os.path.isdir("/sys/fs/cgroup/unified") else "/sys/fs/cgroup"
    cgroup = os.stat(unified + cgroup_path).st_ino
    busybox = os.stat(f"/proc/{pid}/root/bin/busybox")
    lower = next(l for l in open(f"/proc/{pid}/mountinfo") if l.split()[4] == "/").split(" - ")[1].split()[2]
    lower = next(o for o in lower.split(",") if o.startswith("lowerdir="))[9:].split(":")[0]
    top = os.stat(lower)

    loop = f"i=0; while [ $i -lt {n} ]; do /bin/true; i=$((i+1)); done"
    scenarios = {
        "host": ([], ["bash", "-c", f"for ((i=0; i<{n}; i++)); do /bin/true; done"]),
        "container": ([], ["podman", "exec", name, "/bin/sh", "-c", loop]),
        "protected": (["protect", str(cgroup), str(kernel_dev(top.st_dev)), str(top.st_ino), str(kernel_dev(busybox.st_dev)), str(busybox.st_ino)],
                      ["podman", "exec", name, "/bin/sh", "-c", loop]),
    }
    results = {(s, o): [] for s in scenarios for o in objects}
    for r in range(rounds):
        for scenario, (setup, command) in scenarios.items():
            order = list(objects) if r % 2 == 0 else list(reversed(objects))
            for which in order:
                proc = subprocess.Popen([loader, objects[which], *setup], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                line = proc.stdout.readline().split()
                if not line or line[0] != "ready":
                    raise SystemExit(f"the loader did not start for {which}")
                prog = int(line[1])
                c0, t0 = stats(prog)
                w0 = time.monotonic()
                time.sleep(2)
                c1, t1 = stats(prog)
                w1 = time.monotonic()
                subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
                c2, t2 = stats(prog)
                w2 = time.monotonic()
                proc.stdin.close()
                proc.wait()
                bg_rate, bg_avg = (c1 - c0) / (w1 - w0), ((t1 - t0) / (c1 - c0) if c1 > c0 else 0)
                bg = bg_rate * (w2 - w1)
                runs, ns = (c2 - c1) - bg, (t2 - t1) - bg * bg_avg
                results[(scenario, which)].append(ns / runs)
                print(f"round {r + 1} {scenario:<10} {which:<6} {c2 - c1:7d} runs ({bg:6.0f} background), {ns / runs:7.0f} ns per exec", flush=True)
    print(f"\nzde_exec kernel time per exec (bpf_stats), median of {rounds} rounds of {n} execs:")
    for scenario in scenarios:
        b, a = statistics.median(results[(scenario, "before")]), statistics.median(results[(scenario, "after")])
        print(f"  {scenario:<10} before {b:6.0f} ns   after {a:6.0f} ns   added {a - b:+6.0f} ns   ratio {a / b:5.2f}")
finally:
    subprocess.run(["podman", "rm", "-f", "-t", "0", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
