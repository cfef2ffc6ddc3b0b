#!/usr/bin/env python3
"""Lines trickled into the pipe in small pieces with pauses (a slow sender), CRLF ends.
Output must equal the same bytes given at once. Usage: trickle.py BINARY JOBS"""
import subprocess, sys, time, threading
B, jobs = sys.argv[1], sys.argv[2]
data = open(__import__("os").path.join(__import__("os").path.dirname(__file__), "in", "bad.ndjson"), "rb").read().replace(b"\n", b"\r\n")
args = [B, "apply", "--as-of", "2026-11-02", "--input-format", "ndjson", "--jobs", jobs]
p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
def feed():
    for k in range(0, len(data), 997):
        p.stdin.write(data[k:k + 997]); p.stdin.flush(); time.sleep(0.02)
    p.stdin.close()
threading.Thread(target=feed, daemon=True).start()
res = {}
rd = [threading.Thread(target=lambda k, f: res.__setitem__(k, f.read()), args=(k, f)) for k, f in (('o', p.stdout), ('e', p.stderr))]
[t.start() for t in rd]; [t.join(120) for t in rd]; p.wait(timeout=30); out, err = res['o'], res['e']
ref = subprocess.run(args, input=data, capture_output=True, timeout=60)
print(f"jobs={jobs}: trickled == at once: stdout {out == ref.stdout}, stderr {err == ref.stderr}, rc {p.returncode}/{ref.returncode}, lines {len(out.splitlines())}")
