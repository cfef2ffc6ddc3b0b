#!/usr/bin/env python3
"""Sends N requests (variants of one patient) with K in flight; all answers must be identical. usage: load_same.py PORT N K"""
import sys, glob, hashlib, urllib.request, concurrent.futures, time
port, n, k = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
files = sorted(glob.glob("pv-*.json")) + ["pv2-bsn-oid.json", "pv2-extra-coding.json", "pv2-loinc-oid.json", "pv2-unit-display.json", "pv2-dup-entry.json"]
bodies = [open(f, "rb").read() for f in files]
def one(i):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/cds-services/rpl-patient-view", data=bodies[i % len(bodies)], headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r: return r.status, hashlib.md5(r.read()).hexdigest()[:8]
    except Exception as e: return "ERR", str(e)[:60]
t0 = time.time()
with concurrent.futures.ThreadPoolExecutor(k) as ex: res = list(ex.map(one, range(n)))
from collections import Counter
print(Counter(res), round(time.time() - t0, 1), "s")
