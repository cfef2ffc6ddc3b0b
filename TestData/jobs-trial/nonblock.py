#!/usr/bin/env python3
"""stdout a pipe in O_NONBLOCK mode (as some parents leave it), read slowly: is every line delivered?
Usage: nonblock.py BINARY JOBS"""
import os, subprocess, sys, time
B, jobs = sys.argv[1], sys.argv[2]
r, w = os.pipe(); os.set_blocking(w, False)
p = subprocess.Popen([B, "apply", "--as-of", "2026-11-02", "--input-format", "ndjson", "--jobs", jobs, "in/many.ndjson"],
                     stdout=w, stderr=subprocess.PIPE)
os.close(w)
time.sleep(1.5)
out = b""
deadline = time.time() + 60
while time.time() < deadline:
    c = os.read(r, 65536)
    if not c: break
    out += c
    time.sleep(0.001)
err = p.stderr.read(); p.wait(timeout=30)
NL = bytes([10]); print(f"ends with newline {out.endswith(NL)}, bytes {len(out)}; jobs={jobs}: rc {p.returncode}, {len(out.splitlines())} of 2000 lines, stderr: {err.decode()[:200]!r}")
