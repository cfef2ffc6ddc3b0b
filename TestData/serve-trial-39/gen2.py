#!/usr/bin/env python3
"""Second batch of request files (run after gen.py)."""
import json, copy, os
from gen import *
pv = hook("patient-view", prefetch(resources()))
def save(n, o): W(n, o)
# another patient's Condition slipped into the prefetch (EHR search bug): must not count
x = copy.deepcopy(pv)
other = loss(7, "2026-03-01"); other["id"] = "loss-other"; other["subject"] = {"reference": "Patient/someone-else"}
x["prefetch"]["conditions"]["entry"].append({"fullUrl": "http://127.0.0.1:18699/fhir/Condition/loss-other", "resource": other})
save("h2-foreign-condition.json", x)
# HAPI-style searchset with an OperationOutcome entry (search.mode outcome)
x = copy.deepcopy(pv)
x["prefetch"]["conditions"]["entry"].append({"resource": {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "informational", "diagnostics": "search took long"}]}, "search": {"mode": "outcome"}})
save("h2-searchset-with-outcome.json", x)
# OperationOutcome in place of a prefetch key, no fhirServer -> 412
x = copy.deepcopy(pv); x["prefetch"]["conditions"] = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "timeout"}]}
save("h2-prefetch-outcome.json", x)
# prefetch key holding a Bundle of another type
x = copy.deepcopy(pv); x["prefetch"]["conditions"]["type"] = "collection"; save("h2-prefetch-collection.json", x)
# a whole Bundle of wrong resources under a key (Observations under conditions)
x = copy.deepcopy(pv); x["prefetch"]["conditions"], x["prefetch"]["observations"] = x["prefetch"]["observations"], x["prefetch"]["conditions"]; save("h2-prefetch-swapped.json", x)
# relative fullUrls & no fullUrls
x = copy.deepcopy(pv)
for k, v in x["prefetch"].items():
    if isinstance(v, dict) and v.get("resourceType") == "Bundle":
        for e in v.get("entry", []): e["fullUrl"] = f"{e['resource']['resourceType']}/{e['resource']['id']}"
save("pv2-relative-fullurl.json", x)
x = copy.deepcopy(pv)
for k, v in x["prefetch"].items():
    if isinstance(v, dict) and v.get("resourceType") == "Bundle":
        for e in v.get("entry", []): e.pop("fullUrl", None)
save("pv2-no-fullurl.json", x)
# an extra recognised coding (ICD-10 O03) on a loss: cosmetic
x = copy.deepcopy(pv)
x["prefetch"]["conditions"]["entry"][0]["resource"]["code"]["coding"].append({"system": "http://hl7.org/fhir/sid/icd-10", "code": "O03.9"})
save("pv2-extra-coding.json", x)
# same TSH in other unit spelling: mIU/L
x = copy.deepcopy(pv); q = x["prefetch"]["observations"]["entry"][0]["resource"]["valueQuantity"]; q["unit"] = "mIU/L"; save("pv2-unit-display.json", x)
# OID for LOINC
x = copy.deepcopy(pv); x["prefetch"]["observations"]["entry"][0]["resource"]["code"]["coding"][0]["system"] = "urn:oid:2.16.840.1.113883.6.1"; save("pv2-loinc-oid.json", x)
# BSN as OID
x = copy.deepcopy(pv); x["prefetch"]["patient"]["identifier"][0]["system"] = "urn:oid:2.16.840.1.113883.2.4.6.3"; save("pv2-bsn-oid.json", x)
# the same resource twice in a searchset
x = copy.deepcopy(pv); x["prefetch"]["conditions"]["entry"].append(copy.deepcopy(x["prefetch"]["conditions"]["entry"][0])); save("pv2-dup-entry.json", x)
# a second MRN added
x = copy.deepcopy(pv); x["prefetch"]["patient"]["identifier"].append({"system": "urn:oid:2.16.840.1.113883.2.4.3.99.2", "value": "X-1"}); save("pv2-second-mrn.json", x)
# loss onset as dateTime with zone instead of date
x = copy.deepcopy(pv); x["prefetch"]["conditions"]["entry"][0]["resource"]["onsetDateTime"] = "2023-02-10T00:30:00+01:00"; save("pv2-onset-datetime.json", x)
# large but legal: 4000 extra irrelevant Observations (~3 MB)
x = copy.deepcopy(pv)
for i in range(4000):
    x["prefetch"]["observations"]["entry"].append({"fullUrl": f"http://127.0.0.1:18699/fhir/Observation/bp-{i}", "resource": {"resourceType": "Observation", "id": f"bp-{i}", "status": "final",
      "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6", "display": "Systolic blood pressure"}]}, "subject": {"reference": "Patient/pat-1"},
      "effectiveDateTime": "2026-01-01T10:00:00Z", "valueQuantity": {"value": 120, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}})
save("h2-large-3mb.json", x)
# order-sign: drafts reworded (displays), other draft ids
d = json.load(open(os.path.join(OUT, "os-base.json")))
d["context"]["draftOrders"]["entry"][0]["resource"]["code"]["coding"][0]["display"] = "Homocysteïne bepaling"
save("os2-displays.json", d)
d = json.load(open(os.path.join(OUT, "os-base.json")))
d["context"]["draftOrders"]["entry"][0]["resource"]["doseAndRate"] = {"x": 1}
save("os2-invalid-draft.json", d)
d = json.load(open(os.path.join(OUT, "os-base.json")))
d["context"]["draftOrders"] = {"resourceType": "Bundle", "type": "collection"}
save("os2-no-drafts.json", d)
d = json.load(open(os.path.join(OUT, "os-base.json")))
del d["context"]["draftOrders"]
save("os2-missing-draftorders.json", d)
d = json.load(open(os.path.join(OUT, "os-base.json")))
d["context"]["draftOrders"]["entry"].append(copy.deepcopy(d["context"]["draftOrders"]["entry"][0]))
save("os2-dup-draft.json", d)
# a draft that repeats an open request (TSH draft while... use homocysteine active in prefetch + draft)
d = json.load(open(os.path.join(OUT, "os-base.json")))
d["prefetch"]["serviceRequests"] = searchset([homocys_sr()])
save("os2-repeat-open.json", d)
# order-select with a selection naming no draft
d = json.load(open(os.path.join(OUT, "osel-base.json"))); d["context"]["selections"] = ["ServiceRequest/nope"]; save("osel2-unknown-selection.json", d)
