#!/usr/bin/env python3
"""Generates the trial's request files (deterministic). Run: python3 gen.py"""
import json, copy, os
OUT = os.path.dirname(os.path.abspath(__file__))
def w(name, obj, raw=None):
    p = os.path.join(OUT, name)
    with open(p, 'w') as f:
        if raw is not None: f.write(raw)
        else: json.dump(obj, f, indent=1, ensure_ascii=False)

BSN = "123456782"  # passes the 11-test
PID = "pat-1"
def patient(idorder=("bsn","mrn")):
    ids = {"bsn": {"system": "http://fhir.nl/fhir/NamingSystem/bsn", "value": BSN},
           "mrn": {"system": "urn:oid:2.16.840.1.113883.2.4.3.99.1", "value": "MRN-7788"}}
    return {"resourceType": "Patient", "id": PID,
            "identifier": [ids[k] for k in idorder],
            "name": [{"family": "de Vries", "given": ["Anna"]}],
            "gender": "female", "birthDate": "1994-03-15"}

def loss(i, date, disp="Miscarriage"):
    return {"resourceType": "Condition", "id": f"loss-{i}",
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "resolved"}]},
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "17369002", "display": disp}]},
            "subject": {"reference": f"Patient/{PID}"}, "onsetDateTime": date}

def tsh(value="5.2", eff="2026-10-01T10:00:00+02:00", disp="TSH"):
    return {"resourceType": "Observation", "id": "tsh-1", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "3016-3", "display": disp}]},
            "subject": {"reference": f"Patient/{PID}"}, "effectiveDateTime": eff,
            "valueQuantity": {"value": "__NUM__" + value, "unit": "mU/L", "system": "http://unitsofmeasure.org", "code": "m[IU]/L"}}

def fmh(disp="Recurrent miscarriage"):
    return {"resourceType": "FamilyMemberHistory", "id": "fmh-1", "status": "completed",
            "patient": {"reference": f"Patient/{PID}"},
            "relationship": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "SIS", "display": "sister"}]},
            "condition": [{"code": {"coding": [{"system": "http://snomed.info/sct", "code": "102878001", "display": disp}]}}]}

def partner():
    return {"resourceType": "RelatedPerson", "id": "rp-1", "patient": {"reference": f"Patient/{PID}"},
            "identifier": [{"system": "http://fhir.nl/fhir/NamingSystem/bsn", "value": "111222333"}],
            "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "HUSB"}]}],
            "name": [{"family": "de Vries", "given": ["Bram"]}], "gender": "male"}

def homocys_sr(status="active"):
    return {"resourceType": "ServiceRequest", "id": "sr-hcy", "status": status, "intent": "order",
            "code": {"coding": [{"system": "http://loinc.org", "code": "13965-9", "display": "Homocysteine"}]},
            "subject": {"reference": f"Patient/{PID}"}, "authoredOn": "2026-10-20"}

def resources(v=None):
    v = v or {}
    disp = v.get("disp", False)
    rs = {
      "Patient": [patient(v.get("idorder", ("bsn","mrn")))],
      "Condition": [loss(1, v.get("d1","2023-02-10"), "Miskraam" if disp else "Miscarriage"),
                    loss(2, "2024-06-01", "Spontaneous abortion (disorder)" if disp else "Miscarriage"),
                    loss(3, "2025-09-20")],
      "Observation": [tsh(v.get("tshv","5.2"), v.get("tsheff","2026-10-01T10:00:00+02:00"), "Thyrotropin [Units/volume] in Serum" if disp else "TSH")],
      "FamilyMemberHistory": [fmh("Herhaalde miskramen" if disp else "Recurrent miscarriage")],
      "RelatedPerson": [partner()],
      "ServiceRequest": [homocys_sr()] if v.get("hcy", True) else [],
    }
    if v.get("revorder"):
        for k in rs: rs[k] = list(reversed(rs[k]))
    return rs

def searchset(lst, base="http://127.0.0.1:18699/fhir"):
    b = {"resourceType": "Bundle", "type": "searchset", "total": len(lst)}
    if lst: b["entry"] = [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}} for r in lst]
    return b

PREFETCH_TYPES = ["Condition","Observation","Procedure","MedicationRequest","MedicationStatement","ServiceRequest",
                  "FamilyMemberHistory","RelatedPerson","DiagnosticReport","ImagingStudy","EpisodeOfCare","ResearchSubject"]

KEYS = {"Condition":"conditions","Observation":"observations","Procedure":"procedures","MedicationRequest":"medicationRequests",
 "MedicationStatement":"medicationStatements","ServiceRequest":"serviceRequests","FamilyMemberHistory":"familyHistory",
 "RelatedPerson":"relatedPersons","DiagnosticReport":"diagnosticReports","ImagingStudy":"imagingStudies","EpisodeOfCare":"episodesOfCare","ResearchSubject":"researchSubjects"}
def prefetch(rs, keyname=lambda t: KEYS[t], revkeys=False):
    pf = {"patient": rs["Patient"][0]}
    for t in PREFETCH_TYPES:
        pf[keyname(t)] = searchset(rs.get(t, []))
    if revkeys: pf = dict(reversed(list(pf.items())))
    return pf

def hook(hookname, pf, uuid="d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", ctx_extra=None, user="Practitioner/prac-1"):
    ctx = {"userId": user, "patientId": PID}
    if ctx_extra: ctx.update(ctx_extra)
    h = {"hookInstance": uuid, "hook": hookname, "context": ctx}
    if pf is not None: h["prefetch"] = pf
    return h

def dumps(o, **kw):
    s = json.dumps(o, ensure_ascii=False, **kw)
    return s.replace('"__NUM__', '').replace('__ENDNUM__"', '')

def fixnum(s):
    # value "__NUM__5.2" -> 5.2 (raw JSON number, keeps trailing zeros as written)
    import re
    return re.sub(r'"__NUM__([-0-9.eE]+)"', r'\1', s)

def W(name, obj, **kw):
    with open(os.path.join(OUT, name), 'w') as f: f.write(fixnum(json.dumps(obj, ensure_ascii=False, **kw)))

if __name__ == "__main__":
    base = resources()
    W("pv-base.json", hook("patient-view", prefetch(base)), indent=1)
    # cosmetic variants (same patient)
    W("pv-var-displays.json", hook("patient-view", prefetch(resources({"disp": True}))), indent=1)
    W("pv-var-decimal.json", hook("patient-view", prefetch(resources({"tshv": "5.20"}))), indent=1)
    W("pv-var-tz.json", hook("patient-view", prefetch(resources({"tsheff": "2026-10-01T08:00:00Z"}))), indent=1)
    W("pv-var-idorder.json", hook("patient-view", prefetch(resources({"idorder": ("mrn","bsn")}))), indent=1)
    W("pv-var-entryorder.json", hook("patient-view", prefetch(resources({"revorder": True}))), indent=1)
    W("pv-var-keyorder.json", hook("patient-view", prefetch(base, revkeys=True)), indent=1)
    W("pv-var-compact.json", hook("patient-view", prefetch(base)))
    W("pv-var-hookinstance.json", hook("patient-view", prefetch(base), uuid="0b8c4d3e-1111-4222-8333-944455556666"), indent=1)
    W("pv-var-all.json", hook("patient-view", prefetch(resources({"disp": True, "tshv": "5.200", "tsheff": "2026-10-01T04:00:00-04:00", "idorder": ("mrn","bsn"), "revorder": True}), revkeys=True), uuid="aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"))
    # Bundle for apply / $rpl-transaction: same resources, absolute fullUrls (server ids)
    allr = [r for t in ["Patient","Condition","Observation","FamilyMemberHistory","RelatedPerson","ServiceRequest"] for r in base[t]]
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"fullUrl": f"http://127.0.0.1:18699/fhir/{r['resourceType']}/{r['id']}", "resource": r} for r in allr]}
    W("bundle-base.json", bundle, indent=1)
    bundle_nofu = copy.deepcopy(bundle)
    for e in bundle_nofu["entry"]: del e["fullUrl"]
    W("bundle-nofullurl.json", bundle_nofu, indent=1)
    # $apply Parameters
    params = {"resourceType": "Parameters", "parameter": [
        {"name": "subject", "valueString": f"Patient/{PID}"},
        {"name": "data", "resource": bundle}]}
    W("apply-params.json", params, indent=1)
    p2 = copy.deepcopy(params); p2["parameter"].insert(0, {"name": "url", "valueUri": "http://rpl-adapter.org/fhir/PlanDefinition/rpl-guideline"})
    W("apply-params-typelevel.json", p2, indent=1)
    p3 = copy.deepcopy(params); p3["parameter"][0]["valueString"] = "Patient/nobody"
    W("apply-params-badsubject.json", p3, indent=1)
    p4 = copy.deepcopy(params); p4["parameter"].append({"name": "subject", "valueString": f"Patient/{PID}"})
    W("apply-params-twosubjects.json", p4, indent=1)
    # order-sign: draft homocysteine (not recommended) + draft fT4 (recommended) + draft repeat TSH
    drafts = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "ServiceRequest", "id": "draft-hcy", "status": "draft", "intent": "order",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "13965-9", "display": "Homocysteine"}]},
                      "subject": {"reference": f"Patient/{PID}"}}},
        {"resource": {"resourceType": "ServiceRequest", "id": "draft-ft4", "status": "draft", "intent": "order",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "14920-3", "display": "Free T4"}]},
                      "subject": {"reference": f"Patient/{PID}"}}},
        {"resource": {"resourceType": "MedicationRequest", "id": "draft-lt4", "status": "draft", "intent": "order",
                      "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "H03AA01", "display": "levothyroxine"}]},
                      "subject": {"reference": f"Patient/{PID}"}}},
        {"resource": {"resourceType": "MedicationRequest", "id": "draft-pred", "status": "draft", "intent": "order",
                      "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "H02AB07", "display": "prednisone"}]},
                      "subject": {"reference": f"Patient/{PID}"}}},
    ]}
    base_nohcy = resources({"hcy": False})
    W("os-base.json", hook("order-sign", prefetch(base_nohcy), ctx_extra={"draftOrders": drafts}), indent=1)
    d2 = copy.deepcopy(drafts); d2["entry"].reverse()
    W("os-var-draftorder.json", hook("order-sign", prefetch(base_nohcy), ctx_extra={"draftOrders": d2}), indent=1)
    W("osel-base.json", hook("order-select", prefetch(base_nohcy), ctx_extra={"draftOrders": drafts, "selections": ["ServiceRequest/draft-hcy"]}), indent=1)
    W("osel-noselections.json", hook("order-select", prefetch(base_nohcy), ctx_extra={"draftOrders": drafts}), indent=1)
    # hostile / edge
    pv = hook("patient-view", prefetch(base))
    s = fixnum(json.dumps(pv))
    W("h-truncated.json", None) if False else open(os.path.join(OUT,"h-truncated.json"),"w").write(s[:len(s)//2])
    open(os.path.join(OUT,"h-garbage.bin"),"wb").write(bytes(range(256))*40)
    open(os.path.join(OUT,"h-empty.json"),"w").write("")
    W("h-array.json", [pv])
    x = copy.deepcopy(pv); x["context"]["patientId"] = 12345; W("h-patientid-number.json", x)
    x = copy.deepcopy(pv); x["prefetch"]["patient"]["birthDate"] = 19940315; W("h-birthdate-number.json", x)
    x = copy.deepcopy(pv); x["prefetch"]["conditions"] = "not a bundle"; W("h-prefetch-string.json", x)
    x = copy.deepcopy(pv); del x["prefetch"]["conditions"]; W("h-prefetch-missingkey.json", x)
    x = copy.deepcopy(pv); x["prefetch"]["conditions"] = None; W("h-prefetch-nullkey.json", x)
    x = copy.deepcopy(pv); del x["prefetch"]; W("h-noprefetch.json", x)
    x = copy.deepcopy(pv); x["context"]["userId"] = "Patient/pat-1"; W("h-user-patient.json", x)
    x = copy.deepcopy(pv); x["context"]["userId"] = "RelatedPerson/rp-1"; W("h-user-relatedperson.json", x)
    x = copy.deepcopy(pv); x["prefetch"]["patient"]["id"] = "other"; W("h-patient-mismatch.json", x)
    x = copy.deepcopy(pv); x["hook"] = "order-sign"; W("h-wronghook.json", x)
    x = copy.deepcopy(pv); del x["hookInstance"]; W("h-nohookinstance.json", x)
    x = copy.deepcopy(pv); del x["context"]; W("h-nocontext.json", x)
    x = copy.deepcopy(pv); x["prefetch"]["observations"]["entry"][0]["resource"]["valueQuantity"]["value"] = "5.2"; W("h-value-string.json", x)
    # deeply nested
    open(os.path.join(OUT,"h-deep.json"),"w").write('{"hook":"patient-view","hookInstance":"x","context":{"patientId":"pat-1","userId":"Practitioner/1"},"prefetch":{"patient":' + '['*100000 + ']'*100000 + '}}')
    # duplicate keys
    open(os.path.join(OUT,"h-dupkey.json"),"w").write(s.replace('"hook": "patient-view"', '"hook": "patient-view", "hook": "order-sign"',1))
    # fhirServer variants for missing prefetch key
    for name, port in [("down", 18650), ("slow", 18651), ("html", 18652), ("nextloop", 18653), ("ok", 18654), ("hang", 18655), ("wrongtype", 18656)]:
        x = copy.deepcopy(pv); del x["prefetch"]["conditions"]
        x["fhirServer"] = f"http://127.0.0.1:{port}/fhir"
        x["fhirAuthorization"] = {"access_token": "tok123", "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read", "subject": "rpl"}
        W(f"h-fetch-{name}.json", x)
    x = copy.deepcopy(pv); del x["prefetch"]["conditions"]; x["fhirServer"] = "http://10.255.255.1/fhir"; W("h-fetch-nonloopback.json", x)
    x = copy.deepcopy(pv); x["prefetch"]["conditions"]["link"] = [{"relation": "next", "url": "http://127.0.0.1:18654/fhir/Condition?page=2"}]; x["fhirServer"] = "http://127.0.0.1:18654/fhir"; W("h-fetch-nextlink.json", x)
