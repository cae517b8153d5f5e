#!/usr/bin/env python3
"""Load generators for the agent benchmarks. usage: agent-load.py exec N | open N | connect N | mixed N
Prints the seconds the load took."""
import os, socket, subprocess, sys, tempfile, threading, time

def exec_load(n):
    # Tens of thousands of short processes, the way a shell script spawns them (a shell forks far faster than Python).
    subprocess.run(["busybox", "sh", "-c", f"i=0; while [ $i -lt {n} ]; do /bin/true; i=$((i+1)); done"], check=True)

def open_load(n, path):
    # Opens for writing: every one is reported (the worst case for the agent).
    for _ in range(n):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))

def open_read_load(n, path):
    # Read-only opens, the bulk of a real workload's opens: filtered in the kernel, never streamed.
    for _ in range(n):
        os.close(os.open(path, os.O_RDONLY))

def connect_load(n):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(1024)
    port = server.getsockname()[1]
    def accept():
        for _ in range(n):
            c, _ = server.accept()
            c.close()
    t = threading.Thread(target=accept)
    t.start()
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.connect(("127.0.0.1", port))
        s.close()
    t.join()
    server.close()

def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    fd, path = tempfile.mkstemp(prefix="zd-bench-")
    os.close(fd)
    start = time.monotonic()
    if mode == "exec":
        exec_load(n)
    elif mode == "open":
        open_load(n, path)
    elif mode == "open-read":
        open_read_load(n, path)
    elif mode == "connect":
        connect_load(n)
    elif mode == "mixed":
        open_load(n, path)
        connect_load(n // 10)
    else:
        sys.exit(f"unknown mode {mode}")
    print(f"{time.monotonic() - start:.3f}")
    os.unlink(path)

main()
