#!/usr/bin/env python3
"""Large inputs (3-30 MB) for time and peak memory; written to /tmp/share-trial/large/."""
import json, glob, random, copy
R = random.Random(7)
OUT = '/tmp/share-trial/large/'
C = '/work/main/TestData/corpus/synthea/bundles/'
PU = 'urn:uuid:00000000-0000-0000-0000-000000000001'
def coding(c='17369002'): return {"system": "http://snomed.info/sct", "code": c, "display": "Miscarriage"}
def base():
    pat = {"resourceType": "Patient", "id": "p1", "identifier": [{"system": "http://fhir.nl/fhir/NamingSystem/bsn", "value": "999911120"}], "gender": "female", "birthDate": "1990-01-01"}
    ents = [{"fullUrl": PU, "resource": pat}]
    for i, d in enumerate(['2025-03-01', '2026-01-01']):
        ents.append({"fullUrl": "urn:uuid:00000000-0000-0000-0001-%012d" % i, "resource": {"resourceType": "Condition", "subject": {"reference": PU}, "code": {"coding": [coding()]}, "onsetDateTime": d}})
    ents.append({"fullUrl": "urn:uuid:00000000-0000-0000-0002-000000000000", "resource": {"resourceType": "Observation", "status": "final", "subject": {"reference": PU}, "code": {"coding": [{"system": "http://loinc.org", "code": "3016-3"}]}, "effectiveDateTime": "2026-10-20", "valueQuantity": {"value": 4.6, "unit": "mU/L", "system": "http://unitsofmeasure.org", "code": "m[IU]/L"}}})
    return ents
def write(name, ents, pretty=False):
    b = {"resourceType": "Bundle", "type": "collection", "entry": ents}
    s = json.dumps(b, indent=1 if pretty else None, separators=None if pretty else (',', ':'))
    open(OUT + name, 'w').write(s); print(name, len(s))
# synthea merged: every non-Patient entry of all 13 records, subjects pointed at one patient, copies made unique
syn = []
for f in sorted(glob.glob(C + '*.json')):
    d = json.load(open(f))
    pid = [e['fullUrl'] for e in d['entry'] if e['resource']['resourceType'] == 'Patient'][0]
    for e in d['entry']:
        if e['resource']['resourceType'] == 'Patient': continue
        syn.append(json.dumps(e).replace(pid, PU))
def synthea(copies, limit_bytes):
    ents = base(); size = 0
    for c in range(copies):
        for t in syn:
            e = json.loads(t.replace('urn:uuid:', 'urn:uuid:%02d' % c) .replace('"' + 'urn:uuid:%02d' % c + PU[9:], '"' + PU))
            ents.append(e); size += len(t)
            if size > limit_bytes: return ents
    return ents
write('synthea-4mb.json', synthea(1, 10**9))
write('synthea-30mb.json', synthea(8, 29_000_000))
write('synthea-3mb-pretty.json', synthea(1, 2_500_000), True)
# skipped resources with the same few objects recurring (Encounters)
cls = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}
typ = [{"coding": [{"system": "http://snomed.info/sct", "code": "185345009", "display": "Encounter for symptom"}], "text": "Encounter for symptom"}]
prov = {"reference": "Organization/org-1", "display": "UMC Utrecht"}
def enc(i, uniq):
    r = {"resourceType": "Encounter", "id": "e%d" % i, "status": "finished", "class": dict(cls), "type": copy.deepcopy(typ), "subject": {"reference": PU}, "serviceProvider": dict(prov),
         "period": {"start": "2020-01-01T10:00:00Z", "end": "2020-01-01T11:00:00Z"}}
    if uniq:
        r['type'][0]['text'] += ' %d' % i; r['serviceProvider']['display'] += ' %d' % i; r['class']['display'] = 'x%d' % i; r['period']['start'] = '2020-01-01T10:%02d:%02dZ' % (i // 60 % 60, i % 60)
    return {"fullUrl": "urn:uuid:10000000-0000-0000-0000-%012d" % i, "resource": r}
write('enc-recurring-35mb.json', base() + [enc(i, False) for i in range(60000)])
write('enc-unique-37mb.json', base() + [enc(i, True) for i in range(60000)])
# built resources with recurring objects (Observations, not TSH)
def obs(i, uniq):
    return {"fullUrl": "urn:uuid:20000000-0000-0000-0000-%012d" % i, "resource": {"resourceType": "Observation", "status": "final", "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "8302-2", "display": "Body height"}]}, "subject": {"reference": PU},
            "effectiveDateTime": "2020-01-%02d" % (1 + (i % 28 if uniq else 0)), "valueQuantity": {"value": 170 + (i % 30 if uniq else 0), "unit": "cm", "system": "http://unitsofmeasure.org", "code": "cm"}}}
write('obs-recurring-13mb.json', base() + [obs(i, False) for i in range(25000)])
# many distinct texts each recurring twice (Condition extensions + Encounter extensions)
ents = base()
exts = [{"url": "http://example.nl/e%d" % i, "valueString": "waarde %d" % i} for i in range(50000)]
ents[1]['resource']['extension'] = exts
ents.append({"resource": {"resourceType": "Encounter", "status": "finished", "extension": exts[::-1]}})
write('many-distinct-6mb.json', ents)
# ndjson: the 13 Synthea records (made alive, female, two losses), three times over; and 5000 small lines
lines = []
for f in sorted(glob.glob(C + '*.json')):
    d = json.load(open(f))
    for e in d['entry']:
        r = e['resource']
        if r['resourceType'] == 'Patient':
            r.pop('deceasedDateTime', None); r['gender'] = 'female'; r['birthDate'] = '1990-01-01'; pid = e['fullUrl']
    for k, day in enumerate(['2025-03-01', '2026-01-01']):
        d['entry'].append({"fullUrl": "urn:uuid:aaaaaaaa-0000-0000-0000-%012d" % k, "resource": {"resourceType": "Condition", "subject": {"reference": pid}, "code": {"coding": [coding()]}, "onsetDateTime": day}})
    lines.append(json.dumps(d, separators=(',', ':')))
s = '\n'.join(lines * 3) + '\n'
open(OUT + 'synthea-x3.ndjson', 'w').write(s); print('synthea-x3.ndjson', len(s))
small = json.dumps({"resourceType": "Bundle", "type": "collection", "entry": base() + [enc(i, False) for i in range(5)]}, separators=(',', ':'))
s = '\n'.join(small for _ in range(5000)) + '\n'
open(OUT + 'small-x5000.ndjson', 'w').write(s); print('small-x5000.ndjson', len(s))
