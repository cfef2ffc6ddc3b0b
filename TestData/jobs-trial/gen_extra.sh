#!/usr/bin/env bash
# Regenerate the inputs made outside gen.py (needs the binary for the XML conversions). Usage: gen_extra.sh [BINARY]
B=${1:-/tmp/bins-jobs/rpl-adapter}
cd "$(dirname "$0")"
python3 gen.py
for k in 0 3 5; do "$B" convert --to xml in/variant$k.json > in/variant$k.xml; done
mkdir -p in/adir; printf 'not fhir at all' > in/garbage.json; : > in/empty.json
head -c 700 in/p1.json > in/trunc.json
printf '<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/>' > in/trunc.xml
python3 - <<'PY'
import base64, json, os, random
good = open('in/ordinary.ndjson').read().split('\n')[:3]
with open('in/blanks.ndjson', 'w') as f:          # 20,000 mostly bad lines
    for i in range(20000):
        if i % 1000 == 0: f.write(good[1] + '\n')
        elif i % 3 == 0: f.write('\n')
        elif i % 3 == 1: f.write('{"resourceType":"Bundle"\n')
        else: f.write('x\n')
d = 200000                                        # nesting far beyond the limit
s = '{"resourceType":"Bundle","type":"collection","meta":' + '{"extension":[' * d + ']}' * d + '}'
open('in/deepobj.ndjson', 'w').write(good[0] + '\n' + s + '\n' + good[0] + '\n')
open('in/deep.xml', 'w').write('<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><meta>' + '<extension>' * d + '</extension>' * d + '</meta></Bundle>')
src = open('in/variant0.xml').read()            # 40 XML files, every 4th broken
bads = [lambda s: s[:len(s)//2],
        lambda s: s.replace('<type value="collection"/>', '<type value="collection">'),
        lambda s: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + s.split('?>', 1)[1],
        lambda s: s.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'),
        lambda s: s.replace('Jansen7', 'Jansen\x01'),
        lambda s: s.replace('<gender value="female"/>', '<gender value="female"/><gender value="female"/>'),
        lambda s: s + '<extra/>',
        lambda s: s.replace('xmlns="http://hl7.org/fhir"', 'xmlns="http://example.org/notfhir"'),
        lambda s: s.replace('<Patient>', '<Patient><foo value="x"/>'),
        lambda s: s.replace('&', '&amp')]
os.makedirs('in/xml', exist_ok=True)
for i in range(40):
    open(f'in/xml/f{i:02d}.xml', 'w').write(bads[(i // 4) % len(bads)](src) if i % 4 == 1 else src.replace('b7', f'b7x{i}'))
os.makedirs('in/xmlbig', exist_ok=True)          # 8 XML files with a 400 KB attachment
blob = base64.b64encode(random.Random(1).randbytes(300_000)).decode()
dr = f'<entry><fullUrl value="http://hospital.example.nl/fhir/DocumentReference/d1"/><resource><DocumentReference><id value="d1"/><status value="current"/><content><attachment><contentType value="application/pdf"/><data value="{blob}"/></attachment></content></DocumentReference></resource></entry>'
for i in range(8):
    s = src.replace('</Bundle>', dr + '</Bundle>').replace('b7', f'b7big{i}')
    if i == 3: s = s.replace(blob[:10], ']]>' + blob[:10], 1)
    if i == 5: s = s[:len(s) - 200000]
    open(f'in/xmlbig/g{i}.xml', 'w').write(s)
PY
# large lines (not kept: regenerate): 8 lines of ~3 MB
[ -f big8.ndjson ] || python3 genbig.py 8 6000 big8.ndjson >/dev/null
