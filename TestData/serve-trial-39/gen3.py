#!/usr/bin/env python3
"""Third batch: other records, each as a patient-view request and as a Bundle for apply (same resources, server ids)."""
import json, copy, os
from gen import *
def obs(id_, code, eff, **kw):
    o = {"resourceType": "Observation", "id": id_, "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
         "subject": {"reference": f"Patient/{PID}"}, "effectiveDateTime": eff}
    o.update(kw); return o
def cond(id_, code, onset, status="active", system="http://snomed.info/sct"):
    c = {"resourceType": "Condition", "id": id_, "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": status}]},
         "code": {"coding": [{"system": system, "code": code}]}, "subject": {"reference": f"Patient/{PID}"}}
    if onset: c["onsetDateTime"] = onset
    return c
POS = {"interpretation": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "POS"}]}]}
recs = {}
r = resources({"hcy": False})
r["Observation"] += [obs("preg", "82810-3", "2026-10-20", valueCodeableConcept={"coding": [{"system": "http://snomed.info/sct", "code": "77386006"}]}),
                     obs("ga", "49051-6", "2026-10-20", valueQuantity={"value": 8, "unit": "wk", "system": "http://unitsofmeasure.org", "code": "wk"}),
                     obs("acl1", "3181-5", "2026-01-10", **POS), obs("acl2", "3181-5", "2026-05-10", **POS)]
r["Condition"] += [cond("bleed", "54048003", "2026-10-28")]
recs["r2-pregnant-aps"] = r
r = resources({"hcy": False})
r["Condition"] = r["Condition"][:2] + [cond("loss-u", "17369002", None, "resolved")]
r["Observation"] = [tsh("2.1")]
r["MedicationStatement"] = [{"resourceType": "MedicationStatement", "id": "ms-lt4", "status": "active",
    "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "H03AA01"}]}, "subject": {"reference": f"Patient/{PID}"}, "effectivePeriod": {"start": "2026-06-01"}}]
r["FamilyMemberHistory"] = []
recs["r3-range-levo"] = r
r = resources({"hcy": False})
r["Condition"] = r["Condition"][:1]   # one loss only: not indicated
recs["r4-one-loss"] = r
for name, r in recs.items():
    W(f"pv3-{name}.json", hook("patient-view", prefetch(r)), indent=1)
    allr = [x for t in r for x in r[t]]
    W(f"bundle3-{name}.json", {"resourceType": "Bundle", "type": "collection",
        "entry": [{"fullUrl": f"http://127.0.0.1:18699/fhir/{x['resourceType']}/{x['id']}", "resource": x} for x in allr]}, indent=1)
