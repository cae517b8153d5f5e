#!/usr/bin/env python3
"""Average kernel time per run of each loaded zd_ program, from `bpftool --json prog show` on stdin (needs
kernel.bpf_stats_enabled=1). Tail-called handlers are counted in the program that called them."""
import json,sys
for p in json.load(sys.stdin):
    n = p.get("name", "")
    if n.startswith("zd_") and p.get("run_cnt"):
        print("%-20s runs %10d  avg %6.0f ns" % (n, p["run_cnt"], p["run_time_ns"] / p["run_cnt"]))
