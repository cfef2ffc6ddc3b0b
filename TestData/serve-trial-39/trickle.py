#!/usr/bin/env python3
"""Trickles a body one byte a second (at most 40 s) and reports what the server answers."""
import socket, time, sys
port = int(sys.argv[1]) if len(sys.argv) > 1 else 18601
body = open(sys.argv[2] if len(sys.argv) > 2 else "pv-base.json", "rb").read()
s = socket.create_connection(("127.0.0.1", port)); s.settimeout(1)
s.sendall(f"POST /cds-services/rpl-patient-view HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode())
t0 = time.time(); i = 0; resp = b""
while time.time() - t0 < 40 and i < len(body):
    try: s.sendall(body[i:i+1]); i += 1
    except OSError as e: print("send failed after", round(time.time()-t0,1), "s:", e); break
    try:
        r = s.recv(4096)
        if r: resp += r; break
        else: print("closed by server after", round(time.time()-t0,1)); break
    except socket.timeout: pass
print("answer after", round(time.time()-t0,1), "s:", resp[:120])
