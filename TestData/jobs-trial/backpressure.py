#!/usr/bin/env python3
"""stdout never read: how many input lines does apply take in, and how much memory does it hold?
Usage: backpressure.py BINARY JOBS FILE"""
import os, subprocess, sys, threading, time
B, jobs, path = sys.argv[1], sys.argv[2], sys.argv[3]
lines = open(path, "rb").read().split(b"\n")[:-1]
p = subprocess.Popen([B, "apply", "--as-of", "2026-11-02", "--input-format", "ndjson", "--jobs", jobs],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
sent = [0]
def feed():
    try:
        for l in lines:
            p.stdin.write(l + b"\n"); p.stdin.flush(); sent[0] += 1
        p.stdin.close()
    except (BrokenPipeError, ValueError):
        pass
t = threading.Thread(target=feed, daemon=True); t.start()
time.sleep(6)
rss = [l for l in open(f"/proc/{p.pid}/status") if l.startswith(("VmRSS", "VmHWM", "Threads"))]
print(f"jobs={jobs}: lines fully written into its stdin after 6 s with stdout unread: {sent[0]}/{len(lines)};", " ".join(x.split()[0] + x.split()[1] for x in rss))
out = b""
deadline = time.time() + 60
while time.time() < deadline:
    chunk = p.stdout.read(1 << 16)
    if not chunk: break
    out += chunk
p.wait(timeout=30)
print(f"jobs={jobs}: then {len(out.splitlines())} output lines, rc {p.returncode}")
