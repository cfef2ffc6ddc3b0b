#!/usr/bin/env python3
"""Fake FHIR servers on 127.0.0.1 for prefetch completion. usage: fakefhir.py  (runs all, bounded: exits after 1500 s)"""
import json, threading, time, sys, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen
LOG = open("/tmp/trial-serve-fakefhir.log", "a")
base = gen.resources()
def searchset(lst, base_="http://127.0.0.1:18654/fhir"): return gen.searchset(lst, base_)
def mk(mode):
    class H(BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def do_GET(self):
            LOG.write(f"{mode} {self.path} auth={self.headers.get('Authorization')}\n"); LOG.flush()
            if mode == "hang":
                time.sleep(20); return
            if mode == "slow": time.sleep(3)
            if mode == "html":
                b = b"<html><body>Login required</body></html>"; ct = "text/html"
            elif mode == "wrongtype":
                b = json.dumps(base["Patient"][0]).encode(); ct = "application/fhir+json"
            elif mode == "nextloop":
                bb = searchset([]); bb["link"] = [{"relation": "next", "url": f"http://127.0.0.1:18653{self.path}&x={time.time()}"}]
                b = json.dumps(bb).encode(); ct = "application/fhir+json"
            else:
                p = self.path
                t = p.split("/fhir/")[1].split("?")[0]
                if "page=2" in p: lst = [gen.loss(9, "2026-01-05")]
                elif t == "Patient" and "identifier" in p: lst = [{"resourceType": "Patient", "id": "partner-1", "identifier": [{"system": "http://fhir.nl/fhir/NamingSystem/bsn", "value": "111222333"}], "gender": "male"}]
                elif "partner-1" in p: lst = []
                else: lst = base.get(t, [])
                b = gen.fixnum(json.dumps(searchset(lst))).encode(); ct = "application/fhir+json"
            self.send_response(200); self.send_header("Content-Type", ct); self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    return H
servers = []
for mode, port in [("slow", 18651), ("html", 18652), ("nextloop", 18653), ("ok", 18654), ("hang", 18655), ("wrongtype", 18656)]:
    s = ThreadingHTTPServer(("127.0.0.1", port), mk(mode)); s.daemon_threads = True
    threading.Thread(target=s.serve_forever, daemon=True).start(); servers.append(s)
time.sleep(int(sys.argv[1]) if len(sys.argv) > 1 else 1500)
