#!/usr/bin/env python3
"""Compare a patient-view response with apply's transaction for the same record (same as-of).
usage: cmp_apply.py PV_RESPONSE APPLY_TRANSACTION"""
import json, sys
pv = json.load(open(sys.argv[1])); tx = json.load(open(sys.argv[2]))
sug = {}
for c in pv.get("cards", []):
    for s in c.get("suggestions", []):
        for a in s["actions"]:
            r = a.get("resource") or {}
            sug[r.get("id")] = (r.get("resourceType"), r.get("status"), r.get("intent"), json.dumps(r.get("code") or r.get("medicationCodeableConcept"), sort_keys=True)[:90], s["uuid"])
txr = {}
for e in tx["entry"]:
    r = e["resource"]
    if r["resourceType"] in ("ServiceRequest", "MedicationRequest"):
        txr[r["id"]] = (r["resourceType"], r.get("status"), r.get("intent"), json.dumps(r.get("code") or r.get("medicationCodeableConcept"), sort_keys=True)[:90])
print("suggestions:", len(sug), " apply requests:", len(txr))
for k in sorted(set(sug) | set(txr)):
    a, b = sug.get(k), txr.get(k)
    mark = "BOTH" if a and b else ("CARD-ONLY" if a else "APPLY-ONLY")
    print(mark, k, (a or b)[:4])
others = [e["resource"]["resourceType"] for e in tx["entry"]]
print("apply resources:", sorted(set(others)))
for e in tx["entry"]:
    r = e["resource"]
    if r["resourceType"] == "DetectedIssue": print("DetectedIssue:", r.get("code",{}).get("coding",[{}])[0].get("code"), (r.get("detail") or "")[:120])
