#!/usr/bin/env python3
"""Few large ndjson lines: each a Bundle with many Observations (~N MB per line). Usage: genbig.py LINES ENTRIES OUT"""
import json, sys
sys.path.insert(0, __import__("os").path.dirname(__file__))
lines, entries, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
from gen import patient, loss, tsh  # noqa (gen.py rewrites in/ when imported; harmless)
with open(out, "w") as f:
    for i in range(lines):
        res = [patient(5000 + i), loss(5000 + i, 0, "2024-01-15"), loss(5000 + i, 1, "2025-02-15")]
        for k in range(entries):
            o = tsh(5000 + i, round(1 + (k % 50) / 10, 1), "2026-%02d-%02dT10:00:00+02:00" % (1 + k % 9, 1 + k % 28))
            o["id"] = "o%d-%d" % (i, k)
            o["code"]["coding"][0]["code"] = "8302-2"  # body height: not read, skipped
            res.append(o)
        b = {"resourceType": "Bundle", "id": "big%d" % i, "type": "collection",
             "entry": [{"fullUrl": "http://hospital.example.nl/fhir/%s/%s" % (r["resourceType"], r["id"]), "resource": r} for r in res]}
        f.write(json.dumps(b, separators=(",", ":")) + "\n")
