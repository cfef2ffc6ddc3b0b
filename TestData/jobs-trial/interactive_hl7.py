#!/usr/bin/env python3
"""HL7 v2 output from an ndjson pipe: is each message written before the next line arrives?
Also: a line without its newline, then EOF. Usage: interactive_hl7.py BINARY JOBS"""
import os, select, subprocess, sys, time
B, jobs = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))
lines = open(os.path.join(HERE, "in", "ordinary.ndjson"), "rb").read().split(b"\n")[:8]
p = subprocess.Popen([B, "apply", "--as-of", "2026-11-02", "--input-format", "ndjson", "--jobs", jobs, "--output-format", "hl7v2",
                      "--requester", "http://fhir.nl/fhir/NamingSystem/agb-z|01234567"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
os.set_blocking(p.stdout.fileno(), False); os.set_blocking(p.stderr.fileno(), False)
out = b""; err = b""
def pump(secs):
    global out, err
    end = time.time() + secs
    while time.time() < end:
        r, _, _ = select.select([p.stdout, p.stderr], [], [], 0.1)
        for f in r:
            c = f.read()
            if c:
                if f is p.stdout: out += c
                else: err += c
res = []
for i, l in enumerate(lines[:-1]):
    before_o, before_e = len(out), len(err)
    p.stdin.write(l + b"\n"); p.stdin.flush()
    pump(1.5)
    res.append((i + 1, len(out) - before_o, len(err) - before_e))
# last line without a newline: nothing yet expected; then EOF
before = (len(out), len(err))
p.stdin.write(lines[-1]); p.stdin.flush(); pump(1.5)
partial = (len(out) - before[0], len(err) - before[1])
p.stdin.close(); p.stdin = None
pump(3)
p.wait(timeout=10)
print(f"jobs={jobs}: per line (line, new stdout bytes, new stderr bytes): {res}")
print(f"jobs={jobs}: unterminated last line before EOF gave {partial}; after EOF total out {len(out)} msgs {out.count(b'MSH|')} rc {p.returncode}")
