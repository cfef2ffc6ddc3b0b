#!/usr/bin/env python3
"""Trickle a file into apply's stdin in CHUNK-byte pieces with PAUSE s between; print stdout lines/stderr.
Usage: trickle2.py BINARY JOBS FILE CHUNK PAUSE [crlf]"""
import subprocess, sys, time, threading
B, jobs, path, chunk, pause = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
data = open(path, "rb").read()
if len(sys.argv) > 6: data = data.replace(b"\n", b"\r\n")
args = [B, "apply", "--as-of", "2026-11-02", "--input-format", "ndjson", "--jobs", jobs]
p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
def feed():
    for k in range(0, len(data), chunk):
        p.stdin.write(data[k:k + chunk]); p.stdin.flush(); time.sleep(pause)
    p.stdin.close()
threading.Thread(target=feed, daemon=True).start()
res = {}
rd = [threading.Thread(target=lambda k, f: res.__setitem__(k, f.read()), args=(k, f)) for k, f in (('o', p.stdout), ('e', p.stderr))]
[t.start() for t in rd]; [t.join(120) for t in rd]; p.wait(timeout=30); out, err = res['o'], res['e']
ref = subprocess.run(args, input=data, capture_output=True, timeout=60)
print(f"jobs={jobs} chunk={chunk}: stdout same {out == ref.stdout} ({len(out.splitlines())} vs {len(ref.stdout.splitlines())} lines), stderr same {err == ref.stderr}, rc {p.returncode}/{ref.returncode}")
if err != ref.stderr:
    print("  trickled stderr:", err.decode(errors='replace')[:600])
