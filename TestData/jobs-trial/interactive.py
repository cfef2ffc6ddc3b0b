#!/usr/bin/env python3
"""Interactive pipe: write one ndjson line, wait (bounded) for its answer, then the next.
Usage: interactive.py BINARY JOBS [extra apply args...]"""
import os, select, subprocess, sys, time

B, jobs = sys.argv[1], sys.argv[2]
extra = sys.argv[3:]
HERE = os.path.dirname(os.path.abspath(__file__))
lines = open(os.path.join(HERE, "in", "bad.ndjson"), "rb").read().split(b"\n")[:-1]
args = [B, "apply", "--as-of", "2026-11-02", "--input-format", "ndjson"] + extra
if jobs != "default":
    args += ["--jobs", jobs]
p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
os.set_blocking(p.stdout.fileno(), False)
NL = b'\n'
buf = b""
ok = 0
lat = []
for i, line in enumerate(lines):
    p.stdin.write(line + b"\n"); p.stdin.flush()
    t0 = time.time()
    deadline = t0 + 10
    while buf.count(b"\n") < i + 1 and time.time() < deadline:
        r, _, _ = select.select([p.stdout], [], [], 0.2)
        if r:
            chunk = p.stdout.read()
            if chunk:
                buf += chunk
    if buf.count(b"\n") >= i + 1:
        ok += 1; lat.append(time.time() - t0)
    else:
        print(f"jobs={jobs}: line {i+1}: no answer within 10 s (have {buf.count(NL)} lines)")
        break
p.stdin.close(); p.stdin = None
os.set_blocking(p.stdout.fileno(), True)
try:
    rest, err = p.communicate(timeout=20)
except subprocess.TimeoutExpired:
    p.kill(); rest, err = p.communicate()
    print(f"jobs={jobs}: no exit 20 s after stdin closed")
buf += rest or b""
print(f"jobs={jobs}: {ok}/{len(lines)} answered before the next line; max latency {max(lat) if lat else 0:.3f}s; "
      f"out lines {buf.count(NL)}; rc {p.returncode}")
sys.stdout.flush()
ref = subprocess.run(args[:-2] if jobs != "default" else args, input=b"\n".join(lines) + b"\n", capture_output=True, timeout=60)
print(f"jobs={jobs}: same stdout as a non-interactive run: {ref.stdout == buf}; same stderr: {ref.stderr == err}")
