#!/usr/bin/env python3
"""`rpl-adapter serve` as a running process, against code others wrote (interface.md v3, serve):

1. fhirpy (a FHIR client library from PyPI) calls PlanDefinition/rpl-card/$apply and gets the
   CarePlan;
2. $rpl-transaction answers exactly the bytes `rpl-adapter apply` writes, for every fixture input
   (JSON and XML, errors included);
3. `serve --host 0.0.0.0` without --auth exits 78 without listening;
4. SIGTERM during load: requests in flight finish whole, none is cut; the server exits 0.

Everything listens on 127.0.0.1; every loop is bounded; what it starts it stops by process id.
Usage: test-serve.py path/to/rpl-adapter   (rpl-serve beside it)
"""
import glob
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.abspath(sys.argv[1])
AS_OF = "2026-11-02"
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def start(*args):
    """rpl-adapter serve on a free port; returns (process, port)."""
    p = subprocess.Popen([BIN, "serve", "--port", "0", "--as-of", AS_OF, *args], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        line = p.stderr.readline()
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if m:
            threading.Thread(target=lambda: [None for _ in p.stderr], daemon=True).start()  # drain the logs
            return p, int(m.group(1))
        if p.poll() is not None:
            break
    p.kill()
    raise SystemExit("serve did not start")


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        return None


def post(port, path, body, headers=None, timeout=60):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("POST", path, body=body, headers={"Connection": "close", **(headers or {})})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def fhirpy_apply(port):
    from fhirpy import SyncFHIRClient
    bundle = json.load(open(os.path.join(HERE, "Fixtures/examples/two-losses-tsh.json")))
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    client = SyncFHIRClient(f"http://127.0.0.1:{port}/fhir")
    params = {"resourceType": "Parameters", "parameter": [
        {"name": "subject", "valueString": "Patient/" + patient["id"]}, {"name": "data", "resource": bundle}]}
    plan = client.execute("PlanDefinition/rpl-card/$apply", method="post", data=params)
    contained = [r["resourceType"] for r in plan.get("contained", [])]
    check(plan.get("resourceType") == "CarePlan" and plan.get("status") == "draft" and plan.get("intent") == "proposal",
          f"fhirpy $apply: a draft CarePlan proposal ({plan.get('resourceType')}, {plan.get('status')})")
    check("RequestGroup" in contained and "ServiceRequest" in contained, f"fhirpy $apply: RequestGroup and requests contained ({contained})")
    capability = client.execute("metadata", method="get")
    check(capability.get("resourceType") == "CapabilityStatement", "fhirpy metadata: a CapabilityStatement")


def transaction_is_apply(port):
    inputs = sorted(glob.glob(os.path.join(HERE, "Fixtures/*/input.*")))
    same = 0
    for f in inputs:
        expected = subprocess.run([BIN, "apply", "--as-of", AS_OF, f], capture_output=True)
        status, body = post(port, "/fhir/$rpl-transaction", open(f, "rb").read())
        ok = body == expected.stdout and (status == 200) == (expected.returncode == 0)
        if not ok:
            check(False, f"$rpl-transaction {os.path.relpath(f, HERE)}: HTTP {status}, apply exit {expected.returncode}, bytes equal {body == expected.stdout}")
        same += ok
    check(same == len(inputs), f"$rpl-transaction gives apply's bytes for {same} of {len(inputs)} fixture inputs")


def refuses_open_address():
    p = subprocess.run([BIN, "serve", "--host", "0.0.0.0", "--port", "0"], capture_output=True, text=True, timeout=30)
    check(p.returncode == 78, f"serve --host 0.0.0.0 without --auth exits 78 (got {p.returncode}: {p.stderr.strip()[:120]})")


def sigterm_during_load():
    p, port = start()
    big = open(sorted(glob.glob(os.path.join(HERE, "TestData/corpus/synthea/bundles/*.json")), key=os.path.getsize)[-1], "rb").read()
    expected = post(port, "/fhir/$rpl-transaction", big)
    results, lock, stop_at = [], threading.Lock(), [None]

    def worker():
        for _ in range(200):  # bounded
            started = time.time()
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                c.request("POST", "/fhir/$rpl-transaction", body=big, headers={"Connection": "close"})
            except OSError:
                with lock:
                    results.append(("refused", started, time.time()))
                return
            try:
                r = c.getresponse()
                data = r.read()
                outcome = "ok" if (r.status, data) == expected else "cut"
            except http.client.IncompleteRead:
                outcome = "cut"
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # Closed before any byte of an answer: the request was never taken.
                outcome = "refused"
            finally:
                c.close()
            with lock:
                results.append((outcome, started, time.time()))
            if outcome != "ok":
                return

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    stop_at[0] = time.time()
    p.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(timeout=120)
    code = p.wait(timeout=60)
    ok = [r for r in results if r[0] == "ok"]
    in_flight = [r for r in ok if r[1] < stop_at[0] < r[2]]
    cut = [r for r in results if r[0] == "cut"]
    check(not cut, f"SIGTERM during load: {len(ok)} answered whole, {len(in_flight)} of them in flight at the signal, {len(cut)} cut")
    check(len(in_flight) >= 1, "SIGTERM during load: at least one request was in flight when the signal came")
    check(code == 0, f"SIGTERM: serve exits 0 (got {code})")


def main():
    p, port = start()
    try:
        fhirpy_apply(port)
        transaction_is_apply(port)
    finally:
        code = stop(p)
    check(code == 0, f"serve stops on SIGTERM with exit 0 (got {code})")
    refuses_open_address()
    sigterm_during_load()
    print(f"{len(failures)} failed" if failures else "serve: all checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
