#!/usr/bin/env python3
"""Load generators for the agent benchmarks.
usage: agent-load.py exec N | open N | open-read N | connect N | mixed N | syscall N | paced RATE SECONDS | tree ROOT
Prints the seconds the load took (paced: the events generated and the rate reached)."""
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

def paced_load(rate, seconds, path):
    # A steady stream at `rate` reported events per second for `seconds`: write-opens (reported), with a connect
    # (connect + accept: 2 events) every 200 opens and ten short processes (exec + exit) per second.
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1024)
    port = server.getsockname()[1]
    stop = threading.Event()
    def accept():
        server.settimeout(0.5)
        while not stop.is_set():
            try:
                c, _ = server.accept()
                c.close()
            except socket.timeout:
                pass
    t = threading.Thread(target=accept)
    t.start()
    start = time.monotonic()
    sent = 0
    next_exec = start
    while True:
        now = time.monotonic()
        if now - start >= seconds:
            break
        due = int((now - start) * rate) - sent
        if due <= 0:
            time.sleep(0.002)
            continue
        for i in range(min(due, 5000)):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            sent += 1
            if sent % 200 == 0:
                s = socket.create_connection(("127.0.0.1", port))
                s.close()
                sent += 2
        if now >= next_exec:
            subprocess.run(["/bin/true"])
            sent += 2
            next_exec += 0.1
    stop.set()
    t.join()
    server.close()
    elapsed = time.monotonic() - start
    return sent, elapsed

def tree_load(root):
    # A realistic open-heavy job: read every regular file under root once (what a build, a backup or a scanner
    # does), in one process so process start-up does not dominate.
    buf = bytearray(65536)
    for dirpath, dirnames, filenames in os.walk(root):
        for f in filenames:
            p = os.path.join(dirpath, f)
            try:
                fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                continue
            try:
                while os.readv(fd, [buf]) == len(buf):
                    pass
            except OSError:
                pass
            os.close(fd)

def main():
    mode = sys.argv[1]
    if mode == "tree":
        start = time.monotonic()
        tree_load(sys.argv[2])
        print(f"{time.monotonic() - start:.3f}")
        return
    n = int(sys.argv[2])
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
    elif mode == "syscall":
        # The floor: a syscall that does nothing (getppid), so the per-syscall cost of the sys_enter hook shows.
        for _ in range(n):
            os.getppid()
    elif mode == "paced":
        sent, elapsed = paced_load(n, float(sys.argv[3]), path)
        print(f"{sent} events in {elapsed:.1f}s = {sent / elapsed:.0f}/s")
    elif mode == "mixed":
        open_load(n, path)
        connect_load(n // 10)
    else:
        sys.exit(f"unknown mode {mode}")
    print(f"{time.monotonic() - start:.3f}")
    os.unlink(path)

main()
