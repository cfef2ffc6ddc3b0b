#!/usr/bin/env python3
"""Generator of JSON inputs aimed at the 'shared recurring object' change of rpl-adapter's JSON reader.

Writes /tmp/share-trial/cases/<id>.json|.ndjson and cases/manifest.jsonl
(one line per case: id, files, variants to run). Deterministic (seed below).
Usage: python3 gen.py [--seed N] [--scale F]
"""
import json, os, random, re, sys, glob, shutil

SEED = 20261102
SCALE = 1.0
for i, a in enumerate(sys.argv):
    if a == '--seed': SEED = int(sys.argv[i + 1])
    if a == '--scale': SCALE = float(sys.argv[i + 1])
R = random.Random(SEED)
OUT = '/tmp/share-trial/cases'
CORPUS = '/work/main/TestData/corpus'
shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)
MAN = open(os.path.join(OUT, 'manifest.jsonl'), 'w')
COUNT = {}


def n(k):  # scaled loop bound
    return max(1, int(k * SCALE))


# ---------------------------------------------------------------- serializer with raw slots
class Raw:
    """A verbatim JSON text inserted as is (the recurring text)."""
    def __init__(self, text): self.text = text


def ser(o, pretty=False, lvl=0):
    ind = '  '
    if isinstance(o, Raw):
        return o.text
    if isinstance(o, dict):
        if not o: return '{}'
        items = [json.dumps(k, ensure_ascii=False) + (': ' if pretty else ':') + ser(v, pretty, lvl + 1) for k, v in o.items()]
        if pretty:
            return '{\n' + ',\n'.join(ind * (lvl + 1) + it for it in items) + '\n' + ind * lvl + '}'
        return '{' + ','.join(items) + '}'
    if isinstance(o, list):
        if not o: return '[]'
        items = [ser(v, pretty, lvl + 1) for v in o]
        if pretty:
            return '[\n' + ',\n'.join(ind * (lvl + 1) + it for it in items) + '\n' + ind * lvl + ']'
        return '[' + ','.join(items) + ']'
    return json.dumps(o, ensure_ascii=False)


def emit(cat, files, variants):
    """files: list of (suffix, bytes or str)."""
    cid = '%05d-%s' % (sum(COUNT.values()), cat)
    COUNT[cat] = COUNT.get(cat, 0) + 1
    names = []
    for i, (suf, data) in enumerate(files):
        name = cid + ('' if i == 0 else '-%d' % i) + suf
        if isinstance(data, str): data = data.encode('utf-8')
        with open(os.path.join(OUT, name), 'wb') as f: f.write(data)
        names.append(name)
    MAN.write(json.dumps({'id': cid, 'files': names, 'variants': variants}) + '\n')


STD = ['apply', 'apply-xml', 'convert-xml']
PU = 'urn:uuid:00000000-0000-0000-0000-000000000001'

# ---------------------------------------------------------------- recurring texts (kinds)
def coding(i=0, disp='Miscarriage'):
    return {"system": "http://snomed.info/sct", "code": "17369002" if i == 0 else str(100000 + i), "display": disp}

def cc(i=0): return {"coding": [coding(i)], "text": "Miskraam %d" % i}
def ref(i=0): return {"reference": PU if i == 0 else "Organization/org-%d" % i, "display": "ref %d" % i}
def qty(i=0): return {"value": 4.6 + i, "unit": "mU/L", "system": "http://unitsofmeasure.org", "code": "m[IU]/L"}
def ext(i=0): return {"url": "http://example.nl/fhir/StructureDefinition/e%d" % i, "valueString": "waarde %d" % i}
def period(i=0): return {"start": "2025-01-%02d" % (1 + i % 28), "end": "2025-02-%02d" % (1 + i % 28)}
def primext(i=0): return {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}], "id": "pe%d" % i}
def ident(i=0): return {"system": "http://hospital.example.nl/mrn", "value": "MRN%06d" % i}

KINDS = {'coding': coding, 'cc': cc, 'ref': ref, 'qty': qty, 'ext': ext, 'period': period, 'primext': primext, 'ident': ident}

# slot catalogue: resource type -> kind -> list of (key, repeats)
SLOTS = {
    'Condition': {'cc': [('code', 0), ('category', 1), ('severity', 0), ('bodySite', 1), ('clinicalStatus', 0)],
                  'ref': [('subject', 0), ('encounter', 0), ('recorder', 0), ('asserter', 0)],
                  'period': [('abatementPeriod', 0)], 'ext': [('extension', 1), ('modifierExtension', 1)],
                  'primext': [('_recordedDate', 0)], 'qty': [('abatementAge', 0)], 'ident': [('identifier', 1)]},
    'Observation': {'cc': [('category', 1), ('interpretation', 1), ('method', 0), ('bodySite', 0), ('dataAbsentReason', 0)],
                    'ref': [('encounter', 0), ('performer', 1), ('specimen', 0), ('basedOn', 1), ('derivedFrom', 1)],
                    'qty': [('valueQuantity', 0)], 'period': [('effectivePeriod', 0)],
                    'ext': [('extension', 1), ('modifierExtension', 1)], 'primext': [('_issued', 0)], 'ident': [('identifier', 1)]},
    'Patient': {'cc': [('maritalStatus', 0)], 'ref': [('managingOrganization', 0), ('generalPractitioner', 1)],
                'ext': [('extension', 1)], 'primext': [('_birthDate', 0), ('_gender', 0)], 'ident': [('identifier', 1)]},
    'Encounter': {'coding': [('class', 0)], 'cc': [('type', 1), ('reasonCode', 1), ('serviceType', 0), ('priority', 0)],
                  'ref': [('subject', 0), ('serviceProvider', 0), ('partOf', 0), ('episodeOfCare', 1)],
                  'period': [('period', 0)], 'qty': [('length', 0)], 'ext': [('extension', 1)], 'primext': [('_status', 0)],
                  'ident': [('identifier', 1)]},
    'Organization': {'cc': [('type', 1)], 'ref': [('partOf', 0), ('endpoint', 1)], 'ext': [('extension', 1)],
                     'primext': [('_name', 0), ('_active', 0)], 'ident': [('identifier', 1)]},
    'Claim': {'cc': [('type', 0), ('subType', 0), ('priority', 0)], 'ref': [('patient', 0), ('provider', 0), ('insurer', 0)],
              'period': [('billablePeriod', 0)], 'ext': [('extension', 1)], 'primext': [('_created', 0)],
              'ident': [('identifier', 1)], 'qty': [('total', 0)]},
}
BUILT = ['Condition', 'Observation', 'Patient']
SKIPPED = ['Encounter', 'Organization', 'Claim']
PRIMS = {'Condition': ['onsetDateTime', 'recordedDate'], 'Observation': ['status', 'issued', 'effectiveDateTime'],
         'Patient': ['gender', 'birthDate', 'active'], 'Encounter': ['status'], 'Organization': ['name', 'active'],
         'Claim': ['status', 'created']}


def base_resources():
    """A bundle that gives a plan: Patient, two miscarriages, a TSH, plus skipped resources."""
    pat = {"resourceType": "Patient", "id": "p1", "identifier": [{"system": "http://fhir.nl/fhir/NamingSystem/bsn", "value": "999911120"}],
           "gender": "female", "birthDate": "1990-01-01", "name": [{"family": "Jansen", "given": ["Anna"]}]}
    c1 = {"resourceType": "Condition", "id": "c1", "subject": {"reference": PU}, "code": {"coding": [coding()]}, "onsetDateTime": "2025-03-01"}
    c2 = {"resourceType": "Condition", "id": "c2", "subject": {"reference": PU}, "code": {"coding": [coding()]}, "onsetDateTime": "2026-01-01"}
    ob = {"resourceType": "Observation", "id": "o1", "status": "final", "subject": {"reference": PU},
          "code": {"coding": [{"system": "http://loinc.org", "code": "3016-3"}]}, "effectiveDateTime": "2026-10-20", "valueQuantity": qty()}
    en = {"resourceType": "Encounter", "id": "e1", "status": "finished", "subject": {"reference": PU}}
    org = {"resourceType": "Organization", "id": "org1", "name": "Ziekenhuis"}
    cl = {"resourceType": "Claim", "id": "cl1", "status": "active", "patient": {"reference": PU}}
    return [pat, c1, c2, ob, en, org, cl]


def bundle(resources, extra_entries=()):
    entries = []
    for i, r in enumerate(resources):
        entries.append({"fullUrl": "urn:uuid:00000000-0000-0000-0000-%012d" % (i + 1), "resource": r})
    entries.extend(extra_entries)
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def find(res, t):
    return [r for r in res if r['resourceType'] == t]


def place(res, rtype, key, rep, text, mode='valid'):
    """Insert Raw(text) into resource of type rtype under key. mode: valid | noarray | array | contained"""
    r = R.choice(find(res, rtype))
    if mode == 'valid':
        val = [Raw(text)] if rep else Raw(text)
    elif mode == 'noarray':  # repeating element without an array / single one as array
        val = Raw(text) if rep else [Raw(text)]
    else:
        val = Raw(text)
    if key in r and rep and isinstance(r[key], list) and mode == 'valid':
        r[key].append(Raw(text))
    else:
        r[key] = val
    return r


def doc_text(res, pretty=False, extra=()):
    return ser(bundle(res, extra), pretty)


def compact(o): return ser(o)


def prettyt(o, lvl=0): return ser(o, True, lvl)

# ---------------------------------------------------------------- error mutations of a JSON object text
def mutations(t):
    """Variants of object text t each with one error (or a borderline form). Returns list of (name, text)."""
    out = []
    m = re.match(r'\{\s*("(?:[^"\\]|\\.)*")\s*:', t)
    if m:
        k = m.group(1)
        out.append(('dupkey', t[:-1] + ',' + k + ':"dup"}'))
    # first string value
    m = re.search(r':\s*"((?:[^"\\]|\\.)*)"', t)
    if m:
        s, e = m.span(1)
        out.append(('badescape', t[:s] + r'\q' + t[s:]))
        out.append(('badescape-u', t[:s] + r'\u12G4' + t[s:]))
        out.append(('lonesurrogate', t[:s] + r'\ud800' + t[s:]))
        out.append(('esc-ctrl', t[:s] + r'\u0001' + t[s:]))
        out.append(('raw-ctrl', t[:s] + '\x01' + t[s:]))
        out.append(('raw-tab', t[:s] + '\t' + t[s:]))
        out.append(('utf8-overlong', t[:s].encode() + b'\xc0\xaf' + t[s:].encode()))
        out.append(('utf8-trunc', t[:s].encode() + b'\xe2\x82' + t[s:].encode()))
        out.append(('utf8-surr', t[:s].encode() + b'\xed\xa0\x80' + t[s:].encode()))
        out.append(('utf8-ff', t[:s].encode() + b'\xff' + t[s:].encode()))
        out.append(('null', t[:s - 1] + 'null' + t[e + 1:]))
        out.append(('emptyobj', t[:s - 1] + '{}' + t[e + 1:]))
        out.append(('emptyarr', t[:s - 1] + '[]' + t[e + 1:]))
        out.append(('num-for-string', t[:s - 1] + '12' + t[e + 1:]))
        out.append(('obj-for-string', t[:s - 1] + '{"value":"x"}' + t[e + 1:]))
    m = re.search(r':\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)', t)
    if m:
        s, e = m.span(1)
        for bad in ['01', '1.', '-', '1e', '.5', '+1', '1.5e+', 'NaN', '0x1F', '1e99999', '99999999999', '"4.6"', '4.60', '-0']:
            out.append(('num:' + bad, t[:s] + bad + t[e:]))
    out.append(('trailingcomma', t[:-1] + ',}'))
    out.append(('badname', t[:-1] + ',"Bad_Name":"x"}'))
    out.append(('unknownel', t[:-1] + ',"unknownElement":"x"}'))
    out.append(('nullprop', t[:-1] + ',"id":null}'))
    out.append(('missingcolon', t.replace(':', ' ', 1)))
    out.append(('truncated', t[:len(t) // 2]))
    return out


# ---------------------------------------------------------------- categories
VALID_MODES = ['valid']


def random_placements(text, kind, k, allow_invalid=False):
    """Place text into k random slots of kind (valid ones), returns resources."""
    res = base_resources()
    spots = [(t, key, rep) for t in SLOTS for key, rep in SLOTS[t].get(kind, [])]
    R.shuffle(spots)
    for t, key, rep in spots[:k]:
        place(res, t, key, rep, text)
    return res


def cat_valid_recurring():
    """One object text recurring under different names, built and skipped resources."""
    for _ in range(n(220)):
        kind = R.choice(list(KINDS))
        o = KINDS[kind](R.randrange(3))
        pretty = R.random() < 0.3
        text = compact(o) if R.random() < 0.7 else prettyt(o, R.randrange(4))
        res = random_placements(text, kind, R.randint(2, 6))
        emit('valid-recur', [('.json', doc_text(res, pretty))], STD)


def cat_mismatch():
    """The same text valid for one parent and invalid for another (first or second occurrence)."""
    for _ in range(n(260)):
        kind = R.choice(list(KINDS))
        o = KINDS[kind](R.randrange(3))
        text = compact(o)
        res = base_resources()
        good = [(t, key, rep) for t in SLOTS for key, rep in SLOTS[t].get(kind, [])]
        t, key, rep = R.choice(good)
        badtype = R.choice(['othertype', 'noarray', 'primitive'])
        bt = R.choice(BUILT + SKIPPED)
        order = R.random() < 0.5
        def put_good(): place(res, t, key, rep, text)
        def put_bad():
            if badtype == 'othertype':
                others = [(ok, kk, rr) for ok in SLOTS[bt] if ok != kind for kk, rr in SLOTS[bt][ok]]
                kk, rr = R.choice(others)[1:]
                place(res, bt, kk, rr, text)
            elif badtype == 'noarray':
                cands = [(kk, rr) for kk, rr in SLOTS[bt].get(kind, [])] or [(kk, rr) for ok in SLOTS[bt] for kk, rr in SLOTS[bt][ok]]
                kk, rr = R.choice(cands)
                place(res, bt, kk, rr, text, 'noarray')
            else:
                place(res, bt, R.choice(PRIMS[bt]), 0, text)
        # document order is resource order; the dict key order within a resource is insertion order
        if order: put_good(); put_bad()
        else: put_bad(); put_good()
        emit('mismatch', [('.json', doc_text(res, R.random() < 0.3))], STD)


def cat_error_text():
    """A recurring text that holds an error; in built/skipped resources, first/second occurrence, same or differing texts."""
    for kind in KINDS:
        for i in range(n(4)):
            o = KINDS[kind](i)
            t0 = compact(o)
            for name, bad in mutations(t0):
                for layout in range(3):
                    res = base_resources()
                    spots = [(t, key, rep) for t in SLOTS for key, rep in SLOTS[t].get(kind, [])]
                    if layout == 0:   # identical bad text twice, both in skipped resources
                        spots = [s for s in spots if s[0] in SKIPPED]
                        if len(spots) < 2: spots.append(('Organization', 'wrapx', 0))
                    elif layout == 1:  # skipped then built
                        sk = [s for s in spots if s[0] in SKIPPED]; bu = [s for s in spots if s[0] in BUILT]
                        spots = [R.choice(sk), R.choice(bu)] if sk and bu else spots
                    R.shuffle(spots) if layout != 1 else None
                    sel = spots[:2] if layout != 2 else spots[:3]
                    badstr = bad if isinstance(bad, str) else None
                    # layout 2: valid text first, then bad text (differs) then the valid again
                    texts = []
                    if layout == 2:
                        texts = [t0, bad, t0][:len(sel)]
                        if R.random() < 0.5: texts = [bad, t0, t0][:len(sel)]
                    else:
                        texts = [bad] * len(sel)
                    marks = []
                    for j, ((t, key, rep), tx) in enumerate(zip(sel, texts)):
                        mk = '@@RAW%d@@' % j
                        marks.append((mk, tx))
                        place(res, t, key, rep, mk)
                    out = doc_text(res, R.random() < 0.3).encode('utf-8')
                    for mk, tx in marks:
                        out = out.replace(mk.encode(), tx if isinstance(tx, bytes) else tx.encode('utf-8'))
                    emit('errtext-' + name.split(':')[0], [('.json', out)], STD)


def nest_wrap_skipped(text, d):
    """d extra levels of object/array nesting in a skipped resource (unknown keys)."""
    s = text
    for i in range(d):
        s = ('{"w":%s}' % s) if i % 2 == 0 else ('[%s]' % s)
    return s


def ext_chain(d, inner):
    """Valid FHIR nesting: extension in extension; each level adds an array and an object (2 levels)."""
    s = inner
    for i in range(d):
        s = '{"url":"http://example.nl/x%d","extension":[%s]}' % (i, s)
    return s


def cat_depth():
    """Recurring text shallow then beyond the 100-level limit, and the other way round, near the boundary."""
    leaf = '{"url":"http://example.nl/leaf","valueString":"blad"}'
    for inner in [5, 20, 40]:
        R_text = ext_chain(inner, leaf)      # depth of R_text itself: 2*inner + 1
        for total in range(95, 107):
            for where_deep in ['Encounter', 'Condition', 'Organization', 'Observation']:
                for order in ['shallow-first', 'deep-first']:
                    res = base_resources()
                    # depth of an extension array element in a resource inside bundle: Bundle{ entry[ {resource{ extension[ X
                    base = 5
                    need = total - base - (2 * inner + 1)
                    if need < 0: continue
                    if where_deep in SKIPPED:
                        deep = nest_wrap_skipped(R_text, need)
                        deep_key, deep_val = 'wrap', Raw(deep)
                        if need == 0: deep_key, deep_val = 'extension', [Raw(R_text)]
                    else:
                        # inside extension chain: each ext level adds 2
                        lv = need // 2
                        s = R_text
                        for i in range(lv):
                            s = '{"url":"http://example.nl/w%d","extension":[%s]}' % (i, s)
                        if need % 2 == 1:
                            s = s  # cannot add one level with valid FHIR; approximate
                        deep_key, deep_val = 'extension', [Raw(s)]
                    shallow_t = R.choice(['Condition', 'Encounter', 'Patient', 'Claim'])
                    rd = find(res, where_deep)[0]; rs = find(res, shallow_t)[-1]
                    if order == 'shallow-first':
                        # document order: patient, c1, c2, obs, enc, org, claim; choose resources accordingly
                        pass
                    if rd is rs:
                        rs[deep_key] = deep_val; rs['modifierExtension' if shallow_t != 'Encounter' else 'extension2'] = [Raw(R_text)]
                        if order == 'shallow-first':
                            # move shallow before deep
                            v = rs.pop(deep_key); rs[deep_key] = v
                    else:
                        rd[deep_key] = deep_val
                        rs.setdefault('extension', []).append(Raw(R_text)) if isinstance(rs.get('extension', []), list) else None
                        if order == 'deep-first' and res.index(rd) > res.index(rs):
                            res.remove(rd); res.insert(res.index(rs), rd)
                        if order == 'shallow-first' and res.index(rd) < res.index(rs):
                            res.remove(rs); res.insert(res.index(rd), rs)
                    emit('depth', [('.json', doc_text(res, R.random() < 0.2))], STD)
    # also: the same deep text inside contained and two Bundle entries, and the recurring text itself deeper than 100
    for d in range(45, 53):
        t = ext_chain(d, leaf)
        for k in range(2):
            res = base_resources()
            find(res, 'Encounter')[0]['extension'] = [Raw(t)]
            find(res, 'Condition')[k]['extension'] = [Raw(t)]
            emit('depth-self', [('.json', doc_text(res))], STD)
            res = base_resources()
            find(res, 'Encounter')[0]['extension'] = [Raw(t)]
            find(res, 'Organization')[0]['extension'] = [Raw(t)]
            if k: find(res, 'Claim')[0]['extension'] = [Raw(ext_chain(10, leaf))]
            emit('depth-self-skipped', [('.json', doc_text(res))], STD)
    # plain object nesting of arbitrary keys in skipped resources; recurring at both depths
    for d in range(88, 100):
        inner = nest_wrap_skipped('{"a":1}', 10)
        for order in range(2):
            res = base_resources()
            enc, org = find(res, 'Encounter')[0], find(res, 'Organization')[0]
            a, b = (enc, org) if order else (org, enc)
            a['x'] = Raw(inner)
            b['x'] = Raw(nest_wrap_skipped(inner, d - 16))
            emit('depth-plain', [('.json', doc_text(res))], STD)


def cat_prefix64():
    """Texts that differ only after their first 64 bytes, only in whitespace, or by one byte in the middle."""
    for i in range(n(150)):
        disp = 'X' * R.randint(40, 120)
        a = {"system": "http://snomed.info/sct", "display": disp, "code": "17369002"}
        ta = compact(a)
        variants = []
        # differ after 64 bytes: the last value (code) differs; one of them type-wrong
        variants.append(ta.replace('"17369002"', '"17369003"'))
        variants.append(ta.replace('"17369002"', '17369002'))           # number where string belongs
        variants.append(ta.replace('"17369002"', '"17369002","code":"x"'))  # duplicate key after 64 bytes
        variants.append(ta.replace('"17369002"', '"1736900\\q"'))        # bad escape after 64
        variants.append(ta.replace('"17369002"', 'null'))
        variants.append(ta.replace(',', ', ', 1))                       # whitespace only
        variants.append(ta.replace(':', ' : '))
        variants.append(' ' + ta if R.random() < 0.5 else ta.replace('{', '{\n  ', 1))
        # same length, one byte differs in the middle (beyond 64)
        mid = min(len(ta) - 5, 70 + R.randrange(10))
        variants.append(ta[:mid] + ('Y' if ta[mid] == 'X' else ta[mid]) + ta[mid + 1:])
        other = R.choice(variants)
        res = base_resources()
        spots = [('Condition', 'code'), ('Encounter', 'class'), ('Encounter', 'type'), ('Observation', 'category'), ('Organization', 'type'), ('Claim', 'type')]
        picks = R.sample(spots, 3)
        texts = [ta, other, ta]
        R.shuffle(texts)
        for (t, key), tx in zip(picks, texts):
            r = R.choice(find(res, t))
            if key in ('code', 'category', 'type') and t != 'Encounter' or (t == 'Encounter' and key == 'type'):
                val = {"coding": [Raw(tx)]}
                r[key] = [val] if key in ('category',) or (t in ('Encounter', 'Organization') and key == 'type') else val
            else:
                r[key] = Raw(tx)
        emit('prefix64', [('.json', doc_text(res, R.random() < 0.3))], STD)


def cat_brace_in_string():
    """Recurring texts with } or \\" early in a string."""
    tricky = ['}', '}}', '"}', '\\"}', '\\\\', '\\\\"', '{"a":1}', '},{', '}]', '\\u007d', '\\"},{\\"code\\":\\"x', '\\/}', '}' * 70, '{', '{{{', '[', ']', '{\\"', '\\\\\\"}']
    for i in range(n(200)):
        tr = R.choice(tricky)
        body = tr.replace('"', '\\"') if tr.startswith('"') else tr
        kind = R.choice(['coding', 'ext', 'ref'])
        if kind == 'coding': t = '{"display":"%s","system":"http://snomed.info/sct","code":"17369002"}' % body
        elif kind == 'ext': t = '{"url":"http://example.nl/e","valueString":"%s"}' % body
        else: t = '{"display":"%s","reference":"%s"}' % (body, PU)
        try:
            json.loads(t)
        except Exception:
            continue
        # a sibling text equal to the part after the brace
        res = base_resources()
        sk = {'coding': 'coding', 'ext': 'ext', 'ref': 'ref'}[kind]
        spots = [(ty, key, rep) for ty in SLOTS for key, rep in SLOTS[ty].get('cc' if sk == 'coding' else sk, [])]
        R.shuffle(spots)
        for ty, key, rep in spots[:R.randint(2, 4)]:
            val = Raw('{"coding":[%s]}' % t) if sk == 'coding' else Raw(t)
            r = R.choice(find(res, ty))
            r[key] = [val] if rep else val
        if R.random() < 0.4:  # make one occurrence invalid (type mismatch): into a primitive
            ty = R.choice(BUILT + SKIPPED); find(res, ty)[0][R.choice(PRIMS[ty])] = Raw(t)
        emit('brace', [('.json', doc_text(res, R.random() < 0.3))], STD)


def cat_nested_resource():
    """Recurring texts holding a resource (resource, contained, outcome) where allowed and not."""
    inner_res = [
        {"resourceType": "Organization", "id": "o9", "name": "Lab"},
        {"resourceType": "Condition", "id": "cx", "subject": {"reference": PU}, "code": {"coding": [coding()]}, "onsetDateTime": "2024-05-01"},
        {"resourceType": "Observation", "id": "ox", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "3016-3"}]}, "valueQuantity": qty()},
        {"resourceType": "Encounter", "id": "ex", "status": "finished", "active": "yes"},
        {"resourceType": "Condition", "id": "cbad", "code": "yes"},
        {"resourceType": "Conditon", "id": "typo"},
        {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid"}]},
        {"resourceType": "Patient", "id": "p2", "gender": "male"},
    ]
    for i in range(n(300)):
        ir = R.choice(inner_res)
        rt = compact(ir)
        form = R.choice(['contained', 'resource', 'outcome', 'entry', 'value'])
        res = base_resources()
        extra = []
        places = R.sample(['Condition', 'Observation', 'Patient', 'Encounter', 'Organization', 'Claim', 'entry', 'response', 'unknown-built', 'unknown-skipped', 'ext-value'], R.randint(2, 4))
        for p in places:
            if p in SLOTS:
                r = R.choice(find(res, p))
                if form == 'contained' or R.random() < 0.5:
                    r.setdefault('contained', []).append(Raw(rt)) if isinstance(r.get('contained', []), list) else None
                else:
                    r[R.choice(['resource', 'outcome'])] = Raw(rt)
            elif p == 'entry':
                extra.append({"fullUrl": "urn:uuid:00000000-0000-0000-0000-0000000009%02d" % len(extra), "resource": Raw(rt)})
            elif p == 'response':
                extra.append({"resource": {"resourceType": "Basic", "code": {"text": "b"}}, "response": {"status": "200", "outcome": Raw(rt)}})
            elif p == 'unknown-built':
                find(res, 'Condition')[0]['resource'] = Raw(rt)
            elif p == 'unknown-skipped':
                find(res, 'Encounter')[0]['outcome'] = Raw(rt)
            elif p == 'ext-value':
                find(res, 'Patient')[0]['extension'] = [{"url": "http://example.nl/r", "valueReference": Raw(rt)}]
        if form == 'entry':  # the whole entry text recurring
            e = '{"resource":%s}' % rt
            extra.append({"resource": Raw(rt)}); extra.append({"resource": Raw(rt)})
        emit('nested-res', [('.json', doc_text(res, R.random() < 0.3, extra))], STD)
    # whole entries repeated verbatim (with and without fullUrl)
    for i in range(n(40)):
        res = base_resources()
        b = bundle(res)
        ents = b['entry']
        k = R.randrange(len(ents))
        et = compact(ents[k])
        if R.random() < 0.5:
            e2 = dict(ents[k]); e2.pop('fullUrl'); et = compact(e2); ents[k] = Raw(et)
        ents.insert(R.randrange(len(ents) + 1), Raw(et))
        emit('dup-entry', [('.json', ser(b, R.random() < 0.3))], STD)


def cat_primitive_ext():
    """_name objects and arrays (with nulls) paired with their primitive, before and after it."""
    pe = compact(primext(0))
    pe_ext = compact({"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"})
    forms = []
    for rt, pname, val, rep in [('Patient', 'birthDate', '"1990-01-01"', 0), ('Patient', 'gender', '"female"', 0),
                                ('Condition', 'onsetDateTime', '"2025-03-01"', 0), ('Organization', 'name', '"Zh"', 0),
                                ('Organization', 'alias', '["a","b"]', 1), ('Encounter', 'status', '"finished"', 0),
                                ('Observation', 'issued', '"2026-10-20T10:00:00Z"', 0), ('Claim', 'created', '"2026-01-01"', 0)]:
        forms.append((rt, pname, val, rep))
    arr_forms = ['[null,%s]' % pe, '[%s,null]' % pe, '[%s,%s]' % (pe, pe), '[null,null]', '[null]', '[%s]' % pe, '[]', '[null,%s,null]' % pe]
    given_forms = ['["Anna",null]', '[null,"Anna"]', '["Anna","Maria"]', '["Anna"]', '[null]', '["Anna",null,null]']
    for i in range(n(400)):
        res = base_resources()
        # name.given/_given in Patient (built) or Organization alias (skipped)
        g = R.choice(given_forms); ga = R.choice(arr_forms)
        nm = {}
        if R.random() < 0.5:
            nm['family'] = 'Jansen'; nm['given'] = Raw(g); nm['_given'] = Raw(ga)
        else:
            nm['_given'] = Raw(ga); nm['family'] = 'Jansen'; nm['given'] = Raw(g)
        if R.random() < 0.2: nm.pop('given')
        find(res, 'Patient')[0]['name'] = [nm]
        # scalar _x with its primitive, before/after, objects shared with other places
        for _ in range(R.randint(1, 3)):
            rt, pname, val, rep = R.choice(forms)
            r = R.choice(find(res, rt))
            pv = R.choice([pe, pe, '[%s]' % pe, 'null', '{}', ga, pe_ext, '"x"'])
            if rep and R.random() < 0.7: pv = R.choice(arr_forms)
            if R.random() < 0.5:
                r.pop(pname, None); r['_' + pname] = Raw(pv); r[pname] = Raw(val)
            else:
                r[pname] = Raw(val); r['_' + pname] = Raw(pv)
            if R.random() < 0.15: r.pop(pname)
        # the primitive-extension object recurring elsewhere as an element or an extension
        if R.random() < 0.5:
            t = R.choice(BUILT + SKIPPED); find(res, t)[0]['modifierExtension'] = [Raw(pe_ext)]
        if R.random() < 0.3:
            find(res, 'Encounter')[0]['_class'] = Raw(pe)
        emit('primext', [('.json', doc_text(res, R.random() < 0.3))], STD)


def cat_many():
    """Thousands of distinct recurring texts; an error somewhere among them."""
    for cnt in [500, 2000, 5000]:
        for errpos in [None, 'first', 'middle', 'last', 'second-occ']:
            res = base_resources()
            enc, cond, org, obs = find(res, 'Encounter')[0], find(res, 'Condition')[0], find(res, 'Organization')[0], find(res, 'Observation')[0]
            texts = [compact(ext(i)) for i in range(cnt)]
            bad_i = {'first': 0, 'middle': cnt // 2, 'last': cnt - 1, 'second-occ': cnt // 3}.get(errpos)
            e1 = [Raw(t) for t in texts]
            e2 = [Raw(t) for t in texts]
            R.shuffle(e2)
            if bad_i is not None:
                bt = texts[bad_i].replace('"valueString"', '"valueInteger"')  # string where an integer belongs
                if errpos == 'second-occ':
                    e2 = [Raw(bt) if x.text == texts[bad_i] else x for x in e2]
                else:
                    e1[bad_i] = Raw(bt); e2 = [Raw(bt) if x.text == texts[bad_i] else x for x in e2]
            skip_first = R.random() < 0.5
            (enc if skip_first else cond)['extension'] = e1
            (cond if skip_first else org)['extension'] = e2
            obs['extension'] = e1[:50]
            emit('many', [('.json', doc_text(res, cnt == 500))], STD)


def cat_large():
    """Very large recurring texts (tens of KB), once with an error near the end."""
    for size in [20000, 60000, 200000]:
        for err in [None, 'end-dup', 'end-type', 'utf8', 'deep']:
            big = {"coding": [coding(i, 'disp %d ' % i + 'x' * 30) for i in range(size // 90)], "text": "groot"}
            t = compact(big)
            bt = t
            if err == 'end-dup': bt = t[:-1] + ',"text":"twee"}'
            if err == 'end-type': bt = t[:-1].replace('"text":"groot"', '"text":5') + '}'
            for order in range(3):
                res = base_resources()
                e = find(res, 'Encounter')[0]; c = find(res, 'Condition')[1]; o = find(res, 'Organization')[0]
                texts = [t, t, bt] if order == 0 else ([bt, t, t] if order == 1 else [t, bt, t])
                data = None
                e['type'] = [Raw('@@0@@')]; c['code'] = Raw('@@1@@'); o['type'] = [Raw('@@2@@')]
                out = doc_text(res).encode()
                for j, tx in enumerate(texts):
                    tb = tx.encode()
                    if err == 'utf8' and j == order: tb = tb[:-20] + b'\xc3' + tb[-20:]
                    out = out.replace(('@@%d@@' % j).encode(), tb)
                emit('large', [('.json', out)], STD)
        # a large text as valueString / attachment data
        blob = 'A' * size
        tx = compact({"contentType": "text/plain", "data": blob[:size - size % 4]})
        res = base_resources()
        find(res, 'Observation')[0]['valueAttachment'] = Raw(tx) if False else None
        find(res, 'Observation')[0].pop('valueAttachment')
        find(res, 'Encounter')[0]['wrap'] = Raw(tx)
        find(res, 'Condition')[0]['extension'] = [{"url": "http://example.nl/a", "valueAttachment": Raw(tx)}]
        emit('large-attach', [('.json', doc_text(res))], STD)


def cat_truncated(pool):
    """Documents cut inside a recurring text (first or second occurrence)."""
    for data in pool:
        spans = recurring_spans(data)
        if not spans: continue
        for _ in range(3):
            t, occ = R.choice(spans)
            s, e = R.choice(occ[:2])
            cut = R.randint(s, e)
            emit('truncated', [('.json', data[:cut])], STD)


def scan_objects(b):
    """Return list of (start, end) byte spans of every JSON object in b (a rough scanner, strings aware)."""
    spans, stack = [], []
    i, L, ins = 0, len(b), False
    while i < L:
        c = b[i]
        if ins:
            if c == 0x5c: i += 2; continue
            if c == 0x22: ins = False
        else:
            if c == 0x22: ins = True
            elif c == 0x7b: stack.append(i)
            elif c == 0x7d and stack:
                s = stack.pop(); spans.append((s, i + 1))
        i += 1
    return spans


def recurring_spans(b):
    groups = {}
    for s, e in scan_objects(b):
        groups.setdefault(b[s:e], []).append((s, e))
    rec = [(t, sorted(v)) for t, v in groups.items() if len(v) > 1]
    return rec


def mutate_occurrence(b, maxn=6):
    """Mutate one occurrence (first, second or last) of a recurring object text with an error."""
    rec = recurring_spans(b)
    out = []
    if not rec: return out
    for _ in range(maxn):
        t, occ = R.choice(rec)
        which = R.choice([0, 1, -1])
        s, e = occ[which]
        txt = t.decode('utf-8', 'surrogateescape')
        ms = mutations(txt)
        if not ms: continue
        name, m = R.choice(ms)
        mb = m if isinstance(m, bytes) else m.encode('utf-8', 'surrogateescape')
        out.append((name, which, b[:s] + mb + b[e:]))
    return out


def cat_corpus():
    """Corpus files (HL7 examples, mii-labor, Synthea): as is, mutated at a recurring object, wrapped into a plan bundle."""
    files = sorted(glob.glob(CORPUS + '/hl7-examples/json/*.json')) + sorted(glob.glob(CORPUS + '/lab-ig/mii-labor-json/*.json'))
    for f in files:
        b = open(f, 'rb').read()
        emit('corpus', [('.json', b)], STD + ['convert-roundtrip'])
        for name, which, mb in mutate_occurrence(b, 4):
            emit('corpus-mut', [('.json', mb)], STD)
    syn = sorted(glob.glob(CORPUS + '/synthea/bundles/*.json'))
    for f in syn:
        d = json.load(open(f))
        # make her a patient with a plan: alive, female, two miscarriages
        for e in d['entry']:
            r = e['resource']
            if r['resourceType'] == 'Patient':
                r.pop('deceasedDateTime', None); r['gender'] = 'female'; r['birthDate'] = '1990-01-01'
                pid = e['fullUrl']
        for k, day in enumerate(['2025-03-01', '2026-01-01']):
            d['entry'].append({"fullUrl": "urn:uuid:aaaaaaaa-0000-0000-0000-%012d" % k, "resource": {"resourceType": "Condition", "subject": {"reference": pid}, "code": {"coding": [coding()]}, "onsetDateTime": day}})
        b = json.dumps(d, separators=(',', ':')).encode()
        emit('synthea', [('.json', b)], STD)
        bp = json.dumps(d, indent=1).encode()
        emit('synthea-pretty', [('.json', bp)], ['apply'])
        for name, which, mb in mutate_occurrence(b, n(12)):
            emit('synthea-mut', [('.json', mb)], ['apply'])
        for _ in range(2):
            rec = recurring_spans(b)
            t, occ = R.choice(rec); s, e = R.choice(occ)
            emit('synthea-trunc', [('.json', b[:R.randint(s, e)])], ['apply'])


def cat_ndjson(pool):
    """ndjson: one Bundle per line, lines repeating each other's objects; a line with the same text deep, bad lines."""
    leaf = '{"url":"http://example.nl/leaf","valueString":"blad"}'
    for i in range(n(150)):
        lines = []
        for j in range(R.randint(2, 6)):
            c = R.random()
            if c < 0.5:
                lines.append(R.choice(pool))
            elif c < 0.65:
                # same recurring text deep (over 100) on this line
                res = base_resources()
                t = ext_chain(R.choice([10, 30]), leaf)
                find(res, 'Encounter')[0]['wrap'] = Raw(nest_wrap_skipped(t, R.randint(30, 80)))
                find(res, 'Condition')[0]['extension'] = [Raw(t)]
                lines.append(doc_text(res).encode())
            elif c < 0.75:
                b = R.choice(pool)
                m = mutate_occurrence(b, 1)
                lines.append(m[0][2] if m else b)
            elif c < 0.8:
                lines.append(b'')
            elif c < 0.9:
                b = R.choice(pool); lines.append(b[:R.randrange(1, len(b))])
            else:
                res = base_resources()
                lines.append(doc_text(res).encode())
        lines = [l.replace(b'\n', b' ') for l in lines]
        emit('ndjson', [('.ndjson', b'\n'.join(lines) + (b'\n' if R.random() < 0.7 else b''))], ['apply-ndjson'])


def cat_multi(pool):
    """Several FILEs in one run: the same text shallow in one and deep / invalid in the next."""
    leaf = '{"url":"http://example.nl/leaf","valueString":"blad"}'
    for i in range(n(80)):
        files = []
        for j in range(R.randint(2, 3)):
            c = R.random()
            if c < 0.5: files.append(('.json', R.choice(pool)))
            else:
                res = base_resources()
                t = ext_chain(20, leaf)
                if R.random() < 0.5: find(res, 'Encounter')[0]['wrap'] = Raw(nest_wrap_skipped(t, R.randint(50, 70)))
                else: find(res, 'Condition')[0]['extension'] = [Raw(t)]
                files.append(('.json', doc_text(res)))
        emit('multi', files, ['apply-multi'])


def cat_context_typing():
    """The same text where it is typed (R4 order, XML attributes, XHTML, decimals) and where it is an unknown element."""
    T = {
        'coding': '{"code":"17369002","system":"http://snomed.info/sct","id":"i1"}',
        'narr': '{"div":"<div xmlns=\\"http://www.w3.org/1999/xhtml\\">x &amp; y</div>","status":"generated"}',
        'extdec': '{"valueDecimal":1.50,"url":"http://example.nl/u","id":"x"}',
        'qty': '{"unit":"mU/L","value":4.60,"system":"http://unitsofmeasure.org","code":"m[IU]/L"}',
        'elem': '{"id":"x","extension":[{"url":"http://example.nl/u","valueString":"v"}]}',
        'res': '{"id":"o9","resourceType":"Organization","name":"Lab"}',
        'ref': '{"display":"x","reference":"' + PU + '","id":"r"}',
        'period': '{"end":"2025-02-01","start":"2025-01-01"}',
        'attach': '{"title":"a\\u00e9\\/b\\u0009","contentType":"text/plain"}',
        'num': '{"unit":"mU/L","value":1E+2}',
        'cc': '{"text":"Miskraam","coding":[{"code":"17369002","system":"http://snomed.info/sct"}]}',
    }
    # contexts: (resource type, key, wrap) wrap: 'one' | 'arr' | 'cc' (inside a CodeableConcept.coding) | 'ext:<valueX>'
    C = {
        'coding': [('Condition', 'code', 'cc'), ('Encounter', 'class', 'one'), ('Condition', 'foo', 'one'), ('Observation', 'valueCodeableConcept', 'cc'),
                   ('Patient', 'identifier', 'arr'), ('Patient', 'extension', 'ext:valueCoding'), ('Organization', 'fooBar', 'arr'), ('Claim', 'type', 'cc')],
        'narr': [('Condition', 'text', 'one'), ('Condition', 'bar', 'one'), ('Encounter', 'text', 'one'), ('Organization', 'zz', 'arr'), ('Patient', 'text', 'one'), ('Observation', 'note', 'arr')],
        'extdec': [('Condition', 'extension', 'arr'), ('Condition', 'modifierExtension', 'arr'), ('Encounter', 'baz', 'arr'), ('Patient', '_birthDate', 'ext:'),
                   ('Observation', 'extension', 'arr'), ('Claim', 'extension', 'arr'), ('Patient', 'baz', 'one')],
        'qty': [('Observation', 'valueQuantity', 'one'), ('Observation', 'referenceRange', 'rr'), ('Condition', 'abatementAge', 'one'), ('Condition', 'q', 'one'),
                ('Encounter', 'length', 'one'), ('Claim', 'total', 'one'), ('Patient', 'extension', 'ext:valueQuantity')],
        'elem': [('Patient', '_birthDate', 'one'), ('Patient', 'contact', 'arr'), ('Condition', 'stage', 'arr'), ('Condition', 'foo', 'one'), ('Encounter', '_status', 'one'),
                 ('Observation', 'component', 'arr'), ('Condition', '_onsetDateTime', 'one')],
        'res': [('Condition', 'contained', 'arr'), ('Condition', 'resource', 'one'), ('Encounter', 'contained', 'arr'), ('Patient', 'contained', 'arr'), ('ENTRY', '', ''),
                ('Observation', 'contained', 'arr'), ('Claim', 'outcome2', 'one')],
        'ref': [('Condition', 'subject', 'one'), ('Condition', 'r', 'one'), ('Observation', 'performer', 'arr'), ('Patient', 'identifier', 'assigner'), ('Encounter', 'subject', 'one'),
                ('Patient', 'extension', 'ext:valueReference')],
        'period': [('Observation', 'effectivePeriod', 'one'), ('Encounter', 'period', 'one'), ('Condition', 'p', 'one'), ('Patient', 'identifier', 'period'), ('Condition', 'onsetPeriod', 'one'),
                   ('Patient', 'extension', 'ext:valuePeriod')],
        'attach': [('Patient', 'photo', 'arr'), ('Condition', 'att', 'one'), ('Observation', 'valueAttachment', 'one'), ('Encounter', 'a', 'one'), ('Patient', 'extension', 'ext:valueAttachment')],
        'num': [('Observation', 'valueQuantity', 'one'), ('Condition', 'q', 'one'), ('Observation', 'referenceRange', 'rr'), ('Encounter', 'length', 'one')],
        'cc': [('Condition', 'code', 'one'), ('Condition', 'category', 'arr'), ('Condition', 'xx', 'one'), ('Encounter', 'reasonCode', 'arr'), ('Observation', 'valueCodeableConcept', 'one'),
               ('Observation', 'code', 'one'), ('Patient', 'extension', 'ext:valueCodeableConcept'), ('Claim', 'type', 'one')],
    }
    for i in range(n(500)):
        k = R.choice(list(T)); t = T[k]
        if R.random() < 0.2: t = prettyt(json.loads(t), 2) if k not in ('num', 'qty', 'extdec') else t.replace(',', ', ')
        res = base_resources(); extra = []
        ctxs = [R.choice(C[k]) for _ in range(R.randint(2, 4))]
        for rt, key, wrap in ctxs:
            if rt == 'ENTRY':
                extra.append({"resource": Raw(t)}); continue
            r = R.choice(find(res, rt))
            if wrap == 'one': v = Raw(t)
            elif wrap == 'arr': v = [Raw(t)]
            elif wrap == 'cc': v = {"coding": [Raw(t)]}
            elif wrap == 'rr': v = [{"low": Raw(t)}]
            elif wrap == 'assigner': v = [{"system": "s", "value": "v", "assigner": Raw(t)}]
            elif wrap == 'period': v = [{"system": "s", "value": "v", "period": Raw(t)}]
            elif wrap == 'ext:': v = {"extension": [Raw(t)]}
            else: v = [{"url": "http://example.nl/v", wrap[4:]: Raw(t)}]
            if key in r and isinstance(r[key], list) and isinstance(v, list): r[key] += v
            else: r[key] = v
        pretty = R.random() < 0.3
        emit('ctx-typing', [('.json', doc_text(res, pretty, extra))], STD + ['convert-json'])
        # also as a single resource (convert builds everything)
        rr = R.choice(res)
        emit('ctx-typing-res', [('.json', ser(rr, pretty))], ['convert-json', 'convert-xml'])


def cat_collision():
    """Texts of one length, equal in their first and last 64 bytes, differing in the middle (or by a swap):
    one of them a miscarriage, the other not, so wrong sharing changes the plan."""
    for i in range(n(200)):
        pad1 = 'A' * R.randint(60, 400); pad2 = 'B' * R.randint(60, 400)
        code = '17369002'
        other = R.choice(['17369003', '17369020', '71369002', '17369200', '27369001'])  # swaps keep the byte multiset
        mk = lambda c: '{"coding":[{"system":"http://snomed.info/sct","display":"%s","code":"%s","userSelected":false}],"text":"%s"}' % (pad1, c, pad2)
        ta, tb = mk(code), mk(other)
        res = base_resources()
        c1, c2 = find(res, 'Condition')
        order = R.randrange(4)
        c1['code'] = Raw(ta if order % 2 == 0 else tb)
        c2['code'] = Raw(tb if order % 2 == 0 else ta)
        if order >= 2:  # a third copy in a skipped resource first
            find(res, 'Encounter')[0]['reasonCode'] = [Raw(tb)]
            res.remove(find(res, 'Encounter')[0]); res.insert(1, {"resourceType": "Encounter", "reasonCode": [Raw(tb)], "status": "finished"})
        # a third Condition with the first text: 2 losses only if texts are read as written
        if R.random() < 0.5:
            res.append({"resourceType": "Condition", "id": "c3", "subject": {"reference": PU}, "code": Raw(ta), "onsetDateTime": "2024-01-01"})
        emit('collision', [('.json', doc_text(res))], ['apply', 'convert-json'])
    # numbers that differ only in the middle of a long text: TSH value
    for i in range(n(100)):
        pad = 'C' * R.randint(60, 300)
        mk = lambda v: '{"comparator":"<","value":%s,"unit":"%s","system":"http://unitsofmeasure.org","code":"m[IU]/L"}' % (v, pad)
        mk2 = lambda v: '{"unit":"%s","value":%s,"system":"http://unitsofmeasure.org","code":"m[IU]/L","id":"%s"}' % (pad, v, pad)
        f = R.choice([mk, mk2])
        a, b = R.choice([('4.6', '6.4'), ('1.5', '5.1'), ('2.50', '2.05'), ('10', '01')])
        res = base_resources()
        ob = find(res, 'Observation')[0]
        ob['valueQuantity'] = Raw(f(a))
        ob2 = dict(ob); ob2['id'] = 'o2'; ob2['effectiveDateTime'] = '2026-10-21'; ob2['valueQuantity'] = Raw(f(b))
        ob2 = {k: v for k, v in ob2.items()}
        if R.random() < 0.5: res.insert(3, ob2)
        else: res.append(ob2)
        ob3 = {"resourceType": "Encounter", "status": "finished", "length": Raw(f(b))}
        res.insert(R.randrange(len(res)), ob3)
        emit('collision-num', [('.json', doc_text(res))], ['apply', 'convert-json'])


def cat_refs():
    """The same reference text resolved in different contexts (fullUrl bases, contained ids)."""
    for i in range(n(150)):
        rtext = R.choice(['{"reference":"Patient/p1"}', '{"reference":"#p"}', '{"reference":"Patient/p1","display":"x"}', '{"reference":"#ob"}'])
        res = base_resources()
        b = bundle(res)
        base = R.choice(['http://a.example/fhir/', 'http://b.example/fhir/'])
        for e in b['entry']:
            r = e['resource']
            srv = base if R.random() < 0.6 else ('http://b.example/fhir/' if base.startswith('http://a') else 'http://a.example/fhir/')
            e['fullUrl'] = srv + r['resourceType'] + '/' + r.get('id', 'x%d' % R.randrange(1000))
            if r['resourceType'] == 'Patient': e['fullUrl'] = base + 'Patient/p1'
            if r['resourceType'] in ('Condition', 'Observation', 'Encounter', 'Claim'):
                if R.random() < 0.7: r['subject' if r['resourceType'] != 'Claim' else 'patient'] = Raw(rtext)
                if R.random() < 0.3: r['contained'] = [{"resourceType": "Patient", "id": "p", "gender": "female"}]
                if R.random() < 0.2: r['contained'] = [{"resourceType": "Observation", "id": "ob", "status": "final", "code": {"text": "x"}}]
        emit('refs', [('.json', ser(b, R.random() < 0.3))], ['apply', 'apply-xml'])


def cat_corpus_wrap():
    """Corpus resources (non-Bundle) put into a plan bundle, some twice (identical text) and in contained."""
    files = sorted(glob.glob(CORPUS + '/hl7-examples/json/*.json')) + sorted(glob.glob(CORPUS + '/lab-ig/mii-labor-json/*.json'))
    for f in files:
        b = open(f, 'rb').read().decode('utf-8')
        try: d = json.loads(b)
        except Exception: continue
        if d.get('resourceType') == 'Bundle': continue
        t = json.dumps(d, separators=(',', ':'), ensure_ascii=False)
        res = base_resources()
        extra = [{"resource": Raw(t)}]
        if R.random() < 0.6: extra.append({"resource": Raw(t)})
        if R.random() < 0.5: find(res, R.choice(['Condition', 'Encounter']))[0]['contained'] = [Raw(t)]
        emit('corpus-wrap', [('.json', doc_text(res, False, extra))], ['apply', 'apply-xml'])
        out = doc_text(res, False, extra).encode()
        for name, which, mb in mutate_occurrence(out, 2):
            emit('corpus-wrap-mut', [('.json', mb)], ['apply'])


def move_rt(r, where):
    """Reorder a resource dict so resourceType is last / in the middle."""
    items = [(k, v) for k, v in r.items() if k != 'resourceType']
    pos = len(items) if where == 'last' else len(items) // 2
    items.insert(pos, ('resourceType', r['resourceType']))
    r.clear(); r.update(items)


def cat_rt_order():
    """resourceType after the recurring texts (the reader cannot know yet whether it builds or skips)."""
    for i in range(n(400)):
        kind = R.choice(list(KINDS))
        t0 = compact(KINDS[kind](R.randrange(3)))
        ms = mutations(t0)
        res = base_resources()
        spots = [(t, key, rep) for t in SLOTS for key, rep in SLOTS[t].get(kind, [])]
        R.shuffle(spots)
        sel = spots[:R.randint(2, 4)]
        bad = None
        c = R.random()
        if c < 0.35:
            name, bad = R.choice(ms)
        marks = []
        for j, (t, key, rep) in enumerate(sel):
            tx = bad if (bad is not None and j == (1 if R.random() < 0.5 else 0)) else t0
            mk = '@@R%d@@' % j; marks.append((mk, tx))
            place(res, t, key, rep, mk)
        if 0.35 <= c < 0.6:  # a mismatch: the text into a primitive of a random resource
            bt = R.choice(BUILT + SKIPPED); find(res, bt)[0][R.choice(PRIMS[bt])] = Raw(t0)
        for r in res:
            if R.random() < 0.6: move_rt(r, R.choice(['last', 'middle']))
        if R.random() < 0.3:  # a contained resource with resourceType last, holding the text
            cr = {"id": "k1", "code": Raw(compact(cc(0))) if kind != 'cc' else Raw(t0), "resourceType": R.choice(['Condition', 'Organization', 'Observation'])}
            R.choice(res)['contained'] = [cr]
        b = bundle(res)
        if R.random() < 0.3: move_rt(b, 'last')
        out = ser(b, R.random() < 0.3).encode('utf-8')
        for mk, tx in marks:
            out = out.replace(mk.encode(), tx if isinstance(tx, bytes) else tx.encode('utf-8'))
        emit('rt-order', [('.json', out)], STD)


def cat_versions():
    """Versions of one resource (same fullUrl) holding recurring texts; an error in the older or newer version."""
    for i in range(n(150)):
        kind = R.choice(['cc', 'ext', 'ref', 'ident'])
        t0 = compact(KINDS[kind](0))
        res = base_resources()
        b = bundle(res)
        k = R.choice([1, 2, 3, 4])  # c1, c2, obs, enc
        e = b['entry'][k]
        old = json.loads(ser(e))
        new = json.loads(ser(e))
        old['resource'].setdefault('meta', {})['versionId'] = '1'
        new['resource'].setdefault('meta', {})['versionId'] = '2'
        if R.random() < 0.5:
            old['resource']['meta']['lastUpdated'] = '2026-01-01T00:00:00Z'; new['resource']['meta']['lastUpdated'] = '2026-02-01T00:00:00Z'
        key = R.choice(['extension', 'identifier', 'note', 'foo'])
        tb = R.choice(mutations(t0))[1] if R.random() < 0.5 else t0
        which = R.random() < 0.5
        old['resource'][key] = ['@@A@@']; new['resource'][key] = ['@@B@@']
        b['entry'][k] = old if which else new
        b['entry'].insert(R.randrange(len(b['entry']) + 1), new if which else old)
        out = ser(b).encode('utf-8')
        out = out.replace(b'"@@A@@"', tb if isinstance(tb, bytes) else tb.encode('utf-8')).replace(b'"@@B@@"', t0.encode())
        emit('versions', [('.json', out)], STD)


def cat_nested_bundle():
    """A Bundle as an entry's resource (not read by apply) holding the same texts as the outer one."""
    for i in range(n(120)):
        kind = R.choice(list(KINDS))
        t0 = compact(KINDS[kind](0))
        inner = base_resources()
        outer = base_resources()
        spots = [(t, key, rep) for t in SLOTS for key, rep in SLOTS[t].get(kind, [])]
        for res in (inner, outer):
            for t, key, rep in R.sample(spots, min(2, len(spots))):
                place(res, t, key, rep, t0)
        if R.random() < 0.5:
            name, bt = R.choice(mutations(t0))
            if isinstance(bt, str):
                t, key, rep = R.choice(spots); place(R.choice([inner, outer]), t, key, rep, bt)
        ib = bundle(inner)
        extra = [{"resource": ib}]
        b = bundle(outer, extra)
        if R.random() < 0.5:
            b['entry'].insert(0, b['entry'].pop())
        emit('nested-bundle', [('.json', ser(b, R.random() < 0.3))], STD)


def value_spans(b):
    """Spans of object values (objects that follow a ':' or sit in an array)."""
    return [(s, e) for s, e in scan_objects(b) if s > 0]


def fuzz_one(b):
    ops = R.randint(1, 3)
    for _ in range(ops):
        spans = value_spans(b)
        op = R.random()
        if not spans or op < 0.2:  # byte edit
            i = R.randrange(len(b))
            ch = R.choice([b'{', b'}', b'[', b']', b'"', b',', b':', b'\\', b'0', b'n', b' ', b'\n', b'\xc3', b'null', b'{}', b'[]'])
            r = R.random()
            b = b[:i] + ch + b[i + 1:] if r < 0.4 else (b[:i] + ch + b[i:] if r < 0.8 else b[:i] + b[i + 1:])
        elif op < 0.55:  # replace one object value with another object's text (makes a text recur somewhere new)
            s1, e1 = R.choice(spans); s2, e2 = R.choice(spans)
            if s1 <= s2 < e1 or s2 <= s1 < e2: continue
            b = b[:s2] + b[s1:e1] + b[e2:]
        elif op < 0.7:  # wrap an object in an array / object
            s, e = R.choice(spans)
            w = R.choice([(b'[', b']'), (b'{"extension":[', b']}'), (b'{"w":', b'}'), (b'[[', b']]')])
            b = b[:s] + w[0] + b[s:e] + w[1] + b[e:]
        elif op < 0.85:  # edit inside a recurring object (one occurrence)
            m = mutate_occurrence(b, 1)
            if m: b = m[0][2]
        else:  # change a key inside an object span
            s, e = R.choice(spans)
            seg = b[s:e]
            keys = [m for m in re.finditer(rb'"([A-Za-z_]+)":', seg)]
            if keys:
                k = R.choice(keys)
                nk = R.choice([b'text', b'code', b'value', b'extension', b'coding', b'resourceType', b'contained', b'_text', b'id', b'url', b'reference', b'resource', b'div'])
                seg = seg[:k.start(1)] + nk + seg[k.end(1):]
                b = b[:s] + seg + b[e:]
    return b


def cat_fuzz(seeds):
    for i in range(n(2500)):
        b = R.choice(seeds)
        emit('fuzz', [('.json', fuzz_one(b))], ['apply', 'convert-json'] if i % 3 else ['apply', 'convert-xml'])


def cat_warn_shared():
    """Identical objects (and identical whole resources) that each give a warning: per resource, not once."""
    objs = {
        'nounit': ('valueQuantity', '{"value":4.6}'),
        'implaus': ('valueQuantity', '{"value":1e17,"unit":"mU/L","system":"http://unitsofmeasure.org","code":"m[IU]/L"}'),
        'future': ('effectivePeriod', '{"start":"2027-01-01","end":"2027-02-01"}'),
        'unres': ('subject', '{"reference":"Patient/nobody"}'),
        'prebirth': ('effectivePeriod', '{"start":"1980-01-01","end":"1980-01-02"}'),
        'textonly': ('code', '{"text":"TSH"}'),
    }
    for i in range(n(200)):
        res = base_resources()
        ob = find(res, 'Observation')[0]
        k = R.choice(list(objs)); key, t = objs[k]
        copies = []
        for j in range(R.randint(2, 4)):
            o = json.loads(ser(ob))
            o['id'] = 'o%d' % (j + 2)
            o['code'] = {"coding": [{"system": "http://loinc.org", "code": R.choice(['3016-3', '11579-0', '11580-8'])}]}
            o['effectiveDateTime'] = '2026-10-%02d' % (10 + j)
            if key == 'effectivePeriod': o.pop('effectiveDateTime')
            o[key] = Raw(t)
            if R.random() < 0.3: o.pop('id')
            copies.append(o)
        if R.random() < 0.4:  # identical whole resources (differing fullUrls)
            copies.append(copies[0])
        for c in copies: res.insert(R.randrange(1, len(res) + 1), c)
        if R.random() < 0.4:  # identical whole Conditions
            c = find(res, 'Condition')[0]; c2 = dict(c); c2.pop('id', None)
            res.append(c2); res.append(c2)
        if R.random() < 0.3:  # the same object also in a skipped resource and a Condition
            find(res, 'Encounter')[0]['x'] = Raw(t); find(res, 'Condition')[1]['y'] = Raw(t)
        emit('warn-shared', [('.json', doc_text(res, R.random() < 0.3))], ['apply', 'apply-xml', 'apply-pretty'])


def cat_linecol():
    """Line/column after stepped-over or shared objects: multi-byte UTF-8, CRLF / CR / tab whitespace, pretty texts."""
    uni = ['é', 'Zoë Ørsted', '中文', '😀', 'naïve café', 'ß' * 30, '\u2028', 'a\\u00e9b', '\\ud83d\\ude00']
    for i in range(n(400)):
        u = R.choice(uni)
        kind = R.choice(['coding', 'ext', 'ref', 'cc'])
        o = {'coding': {"system": "http://snomed.info/sct", "code": "17369002", "display": "@U@"},
             'ext': {"url": "http://example.nl/e", "valueString": "@U@"},
             'ref': {"reference": PU, "display": "@U@"},
             'cc': {"coding": [{"system": "http://snomed.info/sct", "code": "17369002"}], "text": "@U@"}}[kind]
        nl = R.choice(['\n', '\r\n', '\r', '\n\t', None])
        t = compact(o) if nl is None else prettyt(o, 2).replace('\n', nl)
        t = t.replace('@U@', u)
        res = base_resources()
        spots = [(ty, key, rep) for ty in SLOTS for key, rep in SLOTS[ty].get(kind, [])]
        sk = [s for s in spots if s[0] in SKIPPED] or [('Encounter', 'zz', 0)]
        for ty, key, rep in R.sample(sk, min(len(sk), 2)) + R.sample(spots, min(2, len(spots))):
            place(res, ty, key, rep, t)
        # an error after them, on the same line or later
        err = R.choice(['dup', 'escape', 'type', 'utf8', 'null', 'trunc', 'deep', 'none'])
        last = R.choice(res[4:] + res[1:3])
        if err == 'dup': last['zz'] = Raw('{"a":1,"a":2}')
        elif err == 'escape': last['zz'] = Raw('"bad \\x escape"')
        elif err == 'type': find(res, 'Observation')[0]['status'] = 5
        elif err == 'null': last['zz'] = Raw('[1,null]') if last['resourceType'] in SKIPPED else Raw('null')
        elif err == 'deep': last['zz'] = Raw('[' * 101 + ']' * 101)
        out = doc_text(res, R.random() < 0.5)
        if nl and R.random() < 0.5: out = out.replace('\n', nl)
        ob = out.encode('utf-8')
        if err == 'utf8':
            k = ob.rfind(b'"status"'); ob = ob[:k + 10] + b'\xe9' + ob[k + 10:]
        if err == 'trunc': ob = ob[:R.randrange(len(ob) // 2, len(ob))]
        emit('linecol', [('.json', ob)], STD)


def cat_many_collide():
    """Thousands of texts of one length, equal in the first and last 64+ bytes, each recurring; plus Conditions
    whose code texts differ only in the middle (a wrong match changes the loss count)."""
    for cnt in [1000, 5000]:
        for variant in range(6):
            P = 'http://example.nl/fhir/StructureDefinition/a-very-long-common-prefix-'
            S = '-and-an-equally-long-common-suffix-so-only-the-middle-differs-from-text-to-text'
            texts = ['{"url":"%s%06d%s","valueString":"%s"}' % (P, i * 7919 % 1000003, S, 'z' * 70) for i in range(cnt)]
            res = base_resources()
            e1 = [Raw(t) for t in texts]; e2 = list(e1); R.shuffle(e2)
            find(res, 'Encounter')[0]['extension'] = e1
            find(res, R.choice(['Condition', 'Observation', 'Patient']))[0]['extension'] = e2
            mk = lambda c: '{"coding":[{"system":"http://snomed.info/sct","display":"%s","code":"%s"}],"text":"%s"}' % ('d' * 70, c, 't' * 70)
            c1, c2 = find(res, 'Condition')
            codes = ['17369002', '17369003']
            R.shuffle(codes)
            c1['code'] = Raw(mk(codes[0])); c2['code'] = Raw(mk(codes[1]))
            find(res, 'Organization')[0]['type'] = [Raw(mk(codes[1]))]
            if variant % 2:
                res.append({"resourceType": "Condition", "subject": {"reference": PU}, "code": Raw(mk(codes[0])), "onsetDateTime": "2024-06-01"})
            if variant >= 4:  # one text invalid (number for a string) only in its second occurrence
                j = R.randrange(cnt)
                e2[e2.index(e1[j])] = Raw(texts[j].replace('"valueString":"%s"' % ('z' * 70), '"valueString":%s' % ('7' * 70)))
            emit('many-collide', [('.json', doc_text(res))], ['apply', 'convert-xml'])


def main():
    cat_valid_recurring()
    cat_mismatch()
    cat_error_text()
    cat_depth()
    cat_prefix64()
    cat_brace_in_string()
    cat_nested_resource()
    cat_primitive_ext()
    cat_many()
    cat_large()
    # pool of small valid documents with recurring texts for truncation/ndjson/multi
    pool = []
    for _ in range(60):
        kind = R.choice(list(KINDS))
        res = random_placements(compact(KINDS[kind](R.randrange(3))), kind, R.randint(2, 5))
        pool.append(doc_text(res).encode())
    cat_truncated(pool + [doc_text(random_placements(compact(cc(1)), 'cc', 4), True).encode() for _ in range(20)])
    cat_ndjson(pool)
    cat_multi(pool)
    cat_corpus()
    cat_context_typing()
    cat_collision()
    cat_refs()
    cat_corpus_wrap()
    cat_rt_order()
    cat_versions()
    cat_nested_bundle()
    seeds = pool[:]
    for _ in range(40):
        res = base_resources()
        for kind in R.sample(list(KINDS), 4):
            t = compact(KINDS[kind](R.randrange(2)))
            spots = [(ty, key, rep) for ty in SLOTS for key, rep in SLOTS[ty].get(kind, [])]
            for ty, key, rep in R.sample(spots, min(3, len(spots))): place(res, ty, key, rep, t)
        for r in res:
            if R.random() < 0.2: move_rt(r, 'last')
        seeds.append(doc_text(res, R.random() < 0.3).encode())
    cat_fuzz(seeds)
    cat_warn_shared()
    cat_linecol()
    cat_many_collide()
    MAN.close()
    print(sum(COUNT.values()), 'cases', json.dumps(COUNT), flush=True)


main()
