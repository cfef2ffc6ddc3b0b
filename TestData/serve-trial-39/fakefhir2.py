#!/usr/bin/env python3
"""More odd FHIR servers on 127.0.0.1 (bounded: exits after argv[1] seconds, default 1200)."""
import json, threading, time, sys, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen
LOG = open("/tmp/trial-serve-fakefhir2.log", "a")
def mk(mode):
    class H(BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def do_GET(self):
            LOG.write(f"{mode} {self.path} auth={self.headers.get('Authorization')}\n"); LOG.flush()
            st, ct, b = 200, "application/fhir+json", b""
            if mode == "logger": b = json.dumps(gen.searchset([])).encode()
            elif mode == "s500": st, b = 500, json.dumps({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "exception"}]}).encode()
            elif mode == "s404": st, b = 404, json.dumps({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found"}]}).encode()
            elif mode == "empty200": b = b""
            elif mode == "otherpatient":
                l = gen.loss(5, "2026-02-01"); l["subject"] = {"reference": "Patient/someone-else"}
                b = json.dumps(gen.searchset([l])).encode()
            elif mode == "batchresp": b = json.dumps({"resourceType": "Bundle", "type": "batch-response", "entry": [{"response": {"status": "200"}}]}).encode()
            elif mode == "redirect": st, b = 302, b""
            self.send_response(st)
            if mode == "redirect": self.send_header("Location", "http://127.0.0.1:18657/fhir/Condition?patient=pat-1")
            self.send_header("Content-Type", ct); self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    return H
for mode, port in [("logger", 18657), ("s500", 18658), ("s404", 18659), ("empty200", 18660), ("otherpatient", 18661), ("batchresp", 18662), ("redirect", 18663)]:
    s = ThreadingHTTPServer(("127.0.0.1", port), mk(mode)); s.daemon_threads = True
    threading.Thread(target=s.serve_forever, daemon=True).start()
time.sleep(int(sys.argv[1]) if len(sys.argv) > 1 else 1200)
