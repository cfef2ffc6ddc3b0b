#!/usr/bin/env python3
"""Validates `apply --output-format hl7v2` with libraries we did not write: python `hl7` parses
every message (and un-escapes values), `hl7apy` validates HL7 v2.5.1 OML_O21 strictly.

Messages with one order are validated whole. Messages with several orders are validated segment
by segment: hl7apy mis-groups a second ORC/OBR in OML_O21 (its issue 148), so a whole-message
check of a correct multi-order message fails there for a reason that is not ours.
Usage: scripts/validate-hl7.py path/to/rpl-adapter  (run by scripts/validate-hl7.sh in its venv)
"""
import glob, json, os, subprocess, sys, tempfile
import hl7
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message, parse_segment

here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = sys.argv[1]
REQUESTER = 'http://fhir.nl/fhir/NamingSystem/agb-z|01234567'


def apply(path, *extra):
    run = subprocess.run([binary, 'apply', '--as-of', '2026-11-02', '--output-format', 'hl7v2', '--requester', REQUESTER, *extra, path],
                         capture_output=True)
    assert run.returncode in (0, 65), f'{path}: exit {run.returncode}: {run.stderr.decode()[:300]}'
    return run.stdout.decode('utf-8')


def messages(text):
    parts = text.split('MSH|')
    return ['MSH|' + p for p in parts[1:]]


problems = []
checked = single = multi = 0


def check(text, where):
    global checked, single, multi
    assert text.endswith('\r'), f'{where}: segments end in \\r'
    m = hl7.parse(text)
    msh = m.segment('MSH')
    if str(msh[9]) != 'OML^O21^OML_O21': problems.append(f'{where}: MSH-9 {msh[9]}')
    if str(msh[12]) != '2.5.1': problems.append(f'{where}: MSH-12 {msh[12]}')
    if str(msh[18]) != 'UNICODE UTF-8': problems.append(f'{where}: MSH-18 {msh[18]}')
    if not 0 < len(str(msh[10])) <= 20: problems.append(f'{where}: MSH-10 {msh[10]} longer than 20')
    orcs = m.segments('ORC')
    for orc in orcs:
        if str(orc[1]) != 'NW': problems.append(f'{where}: ORC-1 {orc[1]}')
        for n in (2, 4):
            if not 0 < len(str(orc[n])) <= 22: problems.append(f'{where}: ORC-{n} {orc[n]} not 1..22 characters')
        if not str(orc[12]).startswith('01234567^'): problems.append(f'{where}: ORC-12 {orc[12]}')
    for obr in m.segments('OBR'):
        if not str(obr[4]).endswith('^LN'): problems.append(f'{where}: OBR-4 {obr[4]} is not LOINC')
    segments = text.strip('\r').split('\r')
    try:
        if len(orcs) == 1:
            parse_message(text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True).validate()
            single += 1
        else:
            for s in segments:
                parse_segment(s, version='2.5.1', validation_level=VALIDATION_LEVEL.STRICT).validate()
            # And the first order as a message of its own, strictly (hl7apy issue 148).
            first, second = [i for i, s in enumerate(segments) if s.startswith('ORC')][:2]
            parse_message('\r'.join(segments[:second]) + '\r', validation_level=VALIDATION_LEVEL.STRICT, find_groups=True).validate()
            multi += 1
    except Exception as e:  # hl7apy raises several exception types
        problems.append(f'{where}: hl7apy: {type(e).__name__}: {e}')
    checked += 1
    return m


outputs = {}
inputs = [os.path.join(here, 'Fixtures/examples/two-losses-tsh.json')] + sorted(glob.glob(os.path.join(here, 'Fixtures/*/input.json')))
for path in inputs:
    text = apply(path)
    outputs[path] = text
    for i, msg in enumerate(messages(text)):
        check(msg, f'{os.path.relpath(path, here)} message {i + 1}')

# Deterministic: the same input gives the same bytes (and so the same MSH-10 and ORC-2).
example = inputs[0]
if apply(example) != outputs[example]:
    problems.append('the same input gave different HL7 v2 bytes')

# The delimiters inside values are escaped and come back intact.
with tempfile.TemporaryDirectory() as tmp:
    bundle = json.load(open(example))
    for e in bundle['entry']:
        if e['resource']['resourceType'] == 'Patient':
            e['resource']['name'] = [{'family': 'de Vries|Smit^Jansen', 'given': ['A~B\\C&D']}]
    path = os.path.join(tmp, 'escape.json')
    json.dump(bundle, open(path, 'w'))
    text = apply(path)
    m = check(messages(text)[0], 'escaping')
    pid5 = m.segment('PID')[5]
    family, given = m.unescape(str(pid5[0][0])), m.unescape(str(pid5[0][1]))
    if (family, given) != ('de Vries|Smit^Jansen', 'A~B\\C&D'):
        problems.append(f'escaping: PID-5 came back as {family!r}, {given!r}')
    # ndjson in: the messages one after another, each starting with MSH.
    ndjson = os.path.join(tmp, 'in.ndjson')
    with open(ndjson, 'w') as out:
        for p in inputs[:6]:
            out.write(json.dumps(json.load(open(p))) + '\n')
    text = apply(ndjson, '--input-format', 'ndjson')
    expected = sum(len(messages(outputs[p])) for p in inputs[:6])
    if len(messages(text)) != expected:
        problems.append(f'ndjson: {len(messages(text))} messages, expected {expected}')

for p in problems[:30]:
    print(p)
print(f'{checked} HL7 v2 messages parsed (python hl7); hl7apy 2.5.1 strict: {single} single-order messages whole, '
      f'{multi} multi-order messages segment by segment (hl7apy issue 148) and their first order whole')
sys.exit(1 if problems else 0)
