#!/usr/bin/env python3
"""stdout a pipe whose read end is already closed; compare stderr/rc across --jobs."""
import os, subprocess, sys, hashlib
B = sys.argv[1]
for f in ["in/ordinary.ndjson", "in/bad.ndjson", "in/many.ndjson"]:
    seen = {}
    for j in ["1", "2", "3", "4", "8", "64"]:
        r, w = os.pipe(); os.close(r)
        p = subprocess.run([B, "apply", "--as-of", "2026-11-02", "--input-format", "ndjson", "--jobs", j, f],
                           stdout=w, stderr=subprocess.PIPE, timeout=60)
        os.close(w)
        seen[j] = (p.returncode, p.stderr)
    refs = set(seen.values())
    print(f, "identical" if len(refs) == 1 else "DIFFERENT", [(j, rc, len(e.splitlines())) for j, (rc, e) in seen.items()])
    print("   ", seen["1"][1].decode()[-200:].replace("\n", " | "))
