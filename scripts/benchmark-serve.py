#!/usr/bin/env python3
"""`rpl-adapter serve` under load on loopback (interface.md v3, serve, Speed): patient-view with a
typical prefetch (about 50 resources), p50/p99 latency and throughput at 1, 16 and 64 requests in
flight (wrk, Debian's), and the server's RSS before and after 100,000 requests. Numbers, not a
test: the spec's target (p99 <= 20 ms at 16 in flight on a 2-core machine) is reported against.

Usage: benchmark-serve.py [--binary path/to/rpl-adapter] [--smoke]
  --smoke: a few seconds per level and 2,000 requests for the RSS run (CI keeps it working).
"""
import argparse
import glob
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# What the rules read (the service's prefetch keys by resource type).
KEYS = {"Condition": "conditions", "Observation": "observations", "Procedure": "procedures", "MedicationRequest": "medicationRequests",
        "MedicationStatement": "medicationStatements", "ServiceRequest": "serviceRequests", "FamilyMemberHistory": "familyHistory",
        "RelatedPerson": "relatedPersons", "DiagnosticReport": "diagnosticReports", "ImagingStudy": "imagingStudies",
        "EpisodeOfCare": "episodesOfCare", "ResearchSubject": "researchSubjects"}


def typical_request():
    """A Synthea woman's record cut to about 50 resources the rules read, with two miscarriages
    added so the card applies: a patient-view request with its prefetch."""
    for f in sorted(glob.glob(os.path.join(HERE, "TestData/corpus/synthea/bundles/*.json"))):
        b = json.load(open(f))
        patient = next(e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == "Patient")
        if patient.get("gender") == "female":
            break
    pid = patient["id"]
    chosen = [e["resource"] for e in b["entry"] if e["resource"]["resourceType"] in KEYS][:47]
    for n, d in enumerate(["2025-03-10", "2026-01-22"]):
        chosen.append({"resourceType": "Condition", "id": f"loss-{n}", "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "resolved"}]},
                       "code": {"coding": [{"system": "http://snomed.info/sct", "code": "17369002", "display": "Miscarriage"}]},
                       "subject": {"reference": "Patient/" + pid}, "onsetDateTime": d})
    prefetch = {"patient": patient}
    for key in KEYS.values():
        prefetch[key] = None
    for r in chosen:
        key = KEYS[r["resourceType"]]
        if prefetch[key] is None:
            prefetch[key] = {"resourceType": "Bundle", "type": "searchset", "entry": []}
        prefetch[key]["entry"].append({"resource": r})
    request = {"hook": "patient-view", "hookInstance": "5c0e5bd4-0c0f-4bb9-9a12-3a4f8a1e2f10",
               "context": {"userId": "Practitioner/bench", "patientId": pid}, "prefetch": prefetch}
    return json.dumps(request), 1 + len(chosen)


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wrk(port, body_file, connections, seconds):
    script = os.path.join(os.path.dirname(body_file), "post.lua")
    with open(script, "w") as s:
        s.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                f'local f = io.open("{body_file}", "rb")\nwrk.body = f:read("*a")\nf:close()\n')
    out = subprocess.run(["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", script,
                          f"http://127.0.0.1:{port}/cds-services/rpl-patient-view"], capture_output=True, text=True, timeout=seconds + 60).stdout

    def ms(label):
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"p50": ms("50%"), "p99": ms("99%"), "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "requests": requests, "non2xx": int(errors.group(1)) if errors else 0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(HERE, ".build/release/rpl-adapter"))
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    body, resources = typical_request()
    tmp = tempfile.mkdtemp()
    body_file = os.path.join(tmp, "patient-view.json")
    open(body_file, "w").write(body)
    p = subprocess.Popen([args.binary, "serve", "--port", "0", "--as-of", "2026-11-02"], stderr=subprocess.PIPE, text=True)
    port = None
    allocator = ""
    for _ in range(200):
        line = p.stderr.readline()
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if m:
            port = int(m.group(1))
            allocator = re.search(r"\((allocator: [^)]*\)?)\)", line)
            allocator = ", " + allocator.group(1) if allocator else ""
            break
    threading.Thread(target=lambda: [None for _ in p.stderr], daemon=True).start()
    try:
        seconds = 3 if args.smoke else 10
        print(f"patient-view, prefetch of {resources} resources ({len(body)} bytes), {os.cpu_count()} cores, binary {os.path.relpath(args.binary, HERE)}{allocator}")
        print(f"{'in flight':>9} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'non-2xx':>8}")
        for c in (1, 16, 64):
            r = wrk(port, body_file, c, seconds)
            print(f"{c:>9} {r['p50']:>8.2f} {r['p99']:>8.2f} {r['rps']:>8.0f} {r['non2xx']:>8}")
            if r["non2xx"]:
                raise SystemExit("the service answered errors under load")
        target = 2_000 if args.smoke else 100_000
        before = rss_kib(p.pid)
        done = 0
        for _ in range(200):  # bounded
            if done >= target:
                break
            done += wrk(port, body_file, 16, 5 if not args.smoke else 2)["requests"]
        after = rss_kib(p.pid)
        print(f"RSS before {before / 1024:.1f} MiB, after {done} more requests {after / 1024:.1f} MiB")
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


if __name__ == "__main__":
    main()
