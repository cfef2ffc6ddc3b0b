#!/usr/bin/env python3
"""Opens N idle connections (and N/2 that trickle header bytes), checks a normal request still works, and when the server closes them (bounded 25 s)."""
import socket, time, sys, urllib.request
port, n = int(sys.argv[1]), int(sys.argv[2])
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
hdr = [socket.create_connection(("127.0.0.1", port)) for _ in range(n // 2)]
for s in hdr: s.sendall(b"POST /cds-services/rpl-patient-view HTTP/1.1\r\nHost: x\r\n")
t0 = time.time()
body = open("pv-base.json", "rb").read()
r = urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/cds-services/rpl-patient-view", data=body, headers={"Content-Type": "application/json"}), timeout=10)
print("normal request with", n, "idle +", n // 2, "trickling:", r.status, round(time.time() - t0, 3), "s")
closed_at = {}
for s in idle + hdr: s.setblocking(False)
while time.time() - t0 < 25 and len(closed_at) < len(idle) + len(hdr):
    for i, s in enumerate(idle + hdr):
        if i in closed_at: continue
        try:
            if i >= n: s.sendall(b"X-a: b\r\n")
            d = s.recv(100)
            if d == b"" or d: closed_at[i] = round(time.time() - t0, 1)
        except BlockingIOError: pass
        except OSError: closed_at[i] = round(time.time() - t0, 1)
    time.sleep(1)
idle_c = [closed_at.get(i) for i in range(n)]; hdr_c = [closed_at.get(i) for i in range(n, n + n // 2)]
print("idle closed:", sum(x is not None for x in idle_c), "/", n, "max t", max([x for x in idle_c if x] or [None]))
print("header-trickle closed:", sum(x is not None for x in hdr_c), "/", n // 2, "max t", max([x for x in hdr_c if x] or [None]))
