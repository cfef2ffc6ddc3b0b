#!/usr/bin/env python3
"""Deterministic hostile mutations of real requests; reports any 5xx, timeout or dropped connection. usage: mutate.py PORT N"""
import sys, random, json, urllib.request, urllib.error, time, http.client
port, n = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(42)
srcs = [("rpl-patient-view", open("pv-base.json","rb").read()), ("rpl-order-sign", open("os-base.json","rb").read()), ("rpl-order-select", open("osel-base.json","rb").read())]
def kinds(v):
    return [None, 0, -1, 1e308, "x", [], {}, True, "9"*400, [None]*3]
def mutate_json(o, depth=0):
    if isinstance(o, dict) and o:
        k = rnd.choice(list(o)); 
        if rnd.random() < 0.3: o[k] = rnd.choice(kinds(o[k]))
        elif rnd.random() < 0.1: del o[k]
        else: mutate_json(o[k], depth+1)
    elif isinstance(o, list) and o:
        i = rnd.randrange(len(o))
        if rnd.random() < 0.3: o[i] = rnd.choice(kinds(o[i]))
        elif rnd.random() < 0.2: o.append(o[i])
        else: mutate_json(o[i], depth+1)
bad = []; codes = {}
t0 = time.time()
for i in range(n):
    svc, b = rnd.choice(srcs)
    m = rnd.randrange(4)
    if m == 0: body = b[:rnd.randrange(len(b))]
    elif m == 1:
        ba = bytearray(b); 
        for _ in range(rnd.randrange(1, 5)): ba[rnd.randrange(len(ba))] = rnd.randrange(256)
        body = bytes(ba)
    else:
        o = json.loads(b)
        for _ in range(rnd.randrange(1, 4)): mutate_json(o)
        body = json.dumps(o).encode()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        c.request("POST", f"/cds-services/{svc}", body, {"Content-Type": "application/json"})
        r = c.getresponse(); r.read(); codes[r.status] = codes.get(r.status, 0) + 1
        if r.status >= 500: bad.append((i, r.status)); open(f"mut-fail-{i}.json","wb").write(body)
    except Exception as e:
        bad.append((i, repr(e)[:80])); open(f"mut-fail-{i}.json","wb").write(body)
    finally: c.close()
print("codes", codes, "bad", bad[:10], round(time.time()-t0,1), "s")
