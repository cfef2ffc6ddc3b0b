#!/usr/bin/env python3
"""Raw HTTP oddities against the service (each bounded by a 12 s socket timeout)."""
import socket, sys, time
port = int(sys.argv[1]) if len(sys.argv) > 1 else 18601
body = open("pv-base.json", "rb").read()
cases = {
 "http10": b"POST /cds-services/rpl-patient-view HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body,
 "pipelined2": (b"POST /cds-services/rpl-patient-view HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body) * 2,
 "bad-content-length": b"POST /cds-services/rpl-patient-view HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n" + body,
 "negative-content-length": b"POST /cds-services/rpl-patient-view HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n" + body,
 "short-body-then-close": b"POST /cds-services/rpl-patient-view HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:100],
 "bad-chunked": b"POST /cds-services/rpl-patient-view HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
 "expect-100": b"POST /cds-services/rpl-patient-view HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body),
 "garbage-line": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"A" * 200,
 "huge-header": b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n",
}
for name, data in cases.items():
    s = socket.create_connection(("127.0.0.1", port)); s.settimeout(12)
    t0 = time.time(); out = b""
    try:
        s.sendall(data)
        if name == "short-body-then-close": s.shutdown(socket.SHUT_WR)
        if name == "expect-100":
            first = s.recv(200); out += first
            if b"100" in first: s.sendall(body)
        while True:
            d = s.recv(65536)
            if not d: break
            out += d
            if out.count(b"HTTP/1.") >= (2 if name == "pipelined2" else 1) and (b"\r\n\r\n" in out) and name not in ("expect-100",) and out.endswith(b"}"): break
            if name == "expect-100" and out.count(b"HTTP/1.1") >= 2 and out.endswith(b"}"): break
    except Exception as e: out += f" [{type(e).__name__}]".encode()
    statuses = [l.split(b" ")[1].decode() for l in out.split(b"\r\n") if l.startswith(b"HTTP/1.")]
    print(f"{name}: statuses={statuses} after {round(time.time()-t0,2)} s, {len(out)} bytes", out[-40:] if not statuses else "")
    s.close()
