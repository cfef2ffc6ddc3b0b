#!/usr/bin/env python3
"""Generate inputs for the apply --jobs trial. Writes into ./in/ (relative to this script)."""
import json, os, random, sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "in")
os.makedirs(OUT, exist_ok=True)

SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
BSN = "http://fhir.nl/fhir/NamingSystem/bsn"
MRN = "http://hospital.example.nl/mrn"


def bsn(i):
    """a BSN passing the 11-test, derived from i"""
    for extra in range(0, 1000):
        d = "9%07d" % ((i * 7919 + extra) % 10**7)
        s = sum(int(c) * (9 - k) for k, c in enumerate(d))
        last = s % 11
        if last < 10:
            return d + str(last)
    raise SystemExit("no bsn")


def patient(i, ids_reversed=False, display_variant=False):
    ids = [{"system": BSN, "value": bsn(i)}, {"system": MRN, "value": "MRN%06d" % i}]
    if ids_reversed:
        ids.reverse()
    return {"resourceType": "Patient", "id": "p%d" % i, "identifier": ids,
            "name": [{"family": "Jansen%d" % i, "given": ["Anna"]}],
            "gender": "female", "birthDate": "1990-03-%02d" % (1 + i % 28)}


def loss(i, k, date, display="Miscarriage"):
    return {"resourceType": "Condition", "id": "c%d-%d" % (i, k),
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "resolved"}]},
            "code": {"coding": [{"system": SCT, "code": "17369002", "display": display}]},
            "subject": {"reference": "Patient/p%d" % i}, "onsetDateTime": date}


def tsh(i, value, when, unit="mU/L", raw=None):
    q = {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": "m[IU]/L"}
    o = {"resourceType": "Observation", "id": "o%d" % i, "status": "final",
         "code": {"coding": [{"system": LOINC, "code": "3016-3", "display": "TSH"}]},
         "subject": {"reference": "Patient/p%d" % i}, "effectiveDateTime": when,
         "valueQuantity": q,
         "referenceRange": [{"low": {"value": 0.4, "unit": "mU/L"}, "high": {"value": 4.0, "unit": "mU/L"}}]}
    return o


def bundle(i, losses=2, tshv=4.6, tz="+02:00", ids_reversed=False, display="Miscarriage",
           reverse_entries=False, decimals=None, ts="2026-11-02T09:00:00+01:00"):
    res = [patient(i, ids_reversed)]
    for k in range(losses):
        res.append(loss(i, k, "20%02d-0%d-15" % (24 + k % 2, 1 + k % 8), display))
    if tshv is not None:
        when = {"+02:00": "2026-10-20T10:00:00+02:00", "Z": "2026-10-20T08:00:00Z",
                "-05:00": "2026-10-20T03:00:00-05:00"}[tz]
        res.append(tsh(i, tshv, when))
    if reverse_entries:
        res.reverse()
    b = {"resourceType": "Bundle", "id": "b%d" % i, "type": "collection", "timestamp": ts,
         "entry": [{"fullUrl": "http://hospital.example.nl/fhir/%s/%s" % (r["resourceType"], r["id"]), "resource": r} for r in res]}
    s = json.dumps(b, separators=(",", ":"), ensure_ascii=False)
    if decimals:
        s = s.replace('"value":%s,' % tshv, '"value":%s,' % decimals)
    return s


def w(name, text, mode="w"):
    p = os.path.join(OUT, name)
    if isinstance(text, bytes):
        with open(p, "wb") as f:
            f.write(text)
    else:
        with open(p, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return p


# ---- ordinary: 40 patients, varying losses and TSH
rnd = random.Random(42)
ordinary = []
for i in range(1, 41):
    ordinary.append(bundle(i, losses=rnd.choice([1, 2, 3, 4]), tshv=rnd.choice([None, 1.2, 4.6, 7.9, 2.05])))
w("ordinary.ndjson", "\n".join(ordinary) + "\n")

# ---- cosmetic variants of patient 7 (losses 3, tsh 4.6)
base = bundle(7, losses=3, tshv=4.6)
variants = [base,
            bundle(7, losses=3, tshv=4.6, tz="Z"),
            bundle(7, losses=3, tshv=4.6, tz="-05:00"),
            bundle(7, losses=3, tshv=4.6, ids_reversed=True),
            bundle(7, losses=3, tshv=4.6, display="Spontane abortus"),
            bundle(7, losses=3, tshv=4.6, reverse_entries=True),
            bundle(7, losses=3, tshv=4.6, decimals="4.60")]
w("variants.ndjson", "\n".join(variants) + "\n")
for k, v in enumerate(variants):
    w("variant%d.json" % k, v)

# ---- bad lines mixed with good ones
good = ordinary[:6]
patient_only = json.dumps(patient(99))
bad = [
    good[0],
    "",                                  # blank
    good[1][: len(good[1]) // 2],        # truncated
    "[1,2,3]",                           # array, not an object
    '{"resourceType":"Bundle","type":"collection","entry":"nope"}',  # wrong type
    '{"resourceType":"Bundle","type":"collection","timestamp":20261102}',  # wrong type
    patient_only,                        # a Patient, not a Bundle
    good[2],
    "garbage \x01 not json",
    '{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","active":"true"}}]}',
    "   ",                               # whitespace only
    good[3],
    "null",
    "{}",
    good[4],
    '{"resourceType":"Conditon"}',
    good[5],
]
w("bad.ndjson", "\n".join(bad) + "\n")
# CRLF line ends, no final newline
w("crlf.ndjson", "\r\n".join(good) + "\r\n")
w("nofinalnl.ndjson", "\n".join(good))
# invalid UTF-8 in the middle line
raw = ("\n".join(good[:2]) + "\n").encode() + b'{"resourceType":"Bundle","id":"\xff\xfe\xc3","type":"collection"}\n' + ("\n".join(good[2:4]) + "\n").encode()
w("badutf8.ndjson", raw)
# a NUL byte in a line
w("nul.ndjson", ("\n".join(good[:2]) + "\n").encode() + b'{"resourceType":"Bundle"\x00,"type":"collection"}\n' + (good[2] + "\n").encode())
# deeply nested line
w("deep.ndjson", good[0] + "\n" + "[" * 5000 + "]" * 5000 + "\n" + good[1] + "\n")
# duplicates: same line twice (same input identity twice)
w("dups.ndjson", "\n".join([good[0], good[0], good[1], good[0]]) + "\n")

# ---- many small lines (2,000)
with open(os.path.join(OUT, "many.ndjson"), "w") as f:
    for i in range(2000):
        f.write(bundle(1000 + i, losses=2 + i % 3, tshv=[4.6, 1.1, None][i % 3]) + "\n")

# ---- bundles for files
w("p1.json", ordinary[1])
w("p2.json", ordinary[2])
w("p3.json", ordinary[3])
print("ok")
