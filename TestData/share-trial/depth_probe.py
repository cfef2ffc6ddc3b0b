#!/usr/bin/env python3
"""Exact nesting boundary with a recurring text: shallow copy first, then the same text at depth D
(D swept across the limit) in several containers; both builds; prints the largest passing D per container."""
import subprocess, json, os
D = '/tmp/share-trial'; W = D + '/probe'; os.makedirs(W, exist_ok=True)
PU = 'urn:uuid:00000000-0000-0000-0000-000000000001'
PAT = '{"fullUrl":"%s","resource":{"resourceType":"Patient","gender":"female"}}' % PU
def chain(k):  # object/array chain of depth k made of {"a":[ ... ]}: valid in skipped resources, unknown element in built
    s = '{"b":"x"}'
    for i in range(k): s = '{"a":%s}' % s
    return s
def ext_chain(k):
    s = '{"url":"u","valueString":"x"}'
    for i in range(k): s = '{"url":"u","extension":[%s]}' % s
    return s
def wrap_obj(s, k):
    for i in range(k): s = '{"w":%s}' % s
    return s
def doc(container, d, order, t):
    # container depth offsets: Bundle{ entry[ {resource{  -> 4 ; property value at depth 5
    shallow_ext = '{"resourceType":"Encounter","status":"finished","x":%s}' % t
    if container == 'skipped':
        deep = '{"resourceType":"Encounter","status":"finished","x":%s}' % wrap_obj(t, d)
    elif container == 'contained-skipped':
        deep = '{"resourceType":"Encounter","contained":[{"resourceType":"Organization","x":%s}]}' % wrap_obj(t, d)
    elif container == 'contained-built':
        deep = '{"resourceType":"Condition","contained":[{"resourceType":"Organization","x":%s}]}' % wrap_obj(t, d)
    elif container == 'built-unknown':
        deep = '{"resourceType":"Condition","x":%s}' % wrap_obj(t, d)
    elif container == 'nested-bundle':
        deep = '{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Encounter","x":%s}}]}' % wrap_obj(t, d)
    ents = [PAT, '{"resource":%s}' % shallow_ext, '{"resource":%s}' % deep]
    if order == 'deep-first': ents = [PAT, ents[2], ents[1]]
    return '{"resourceType":"Bundle","type":"collection","entry":[%s]}' % ','.join(ents)
res = {}
for container in ['skipped', 'contained-skipped', 'contained-built', 'built-unknown', 'nested-bundle']:
    for order in ['shallow-first', 'deep-first']:
        for k in [3, 30, 80]:
            t = chain(k)
            for d in range(0, 100):
                f = '%s/%s-%s-%d-%d.json' % (W, container, order, k, d)
                txt = doc(container, d, order, t)
                open(f, 'w').write(txt)
                out = {}
                for b in ['before', 'after']:
                    p = subprocess.run(['timeout', '20', D + '/bin/rpl-adapter-' + b, 'apply', '--as-of', '2026-11-02', f], capture_output=True)
                    out[b] = (p.returncode, p.stdout, p.stderr)
                same = out['before'] == out['after']
                key = (container, order, k)
                res.setdefault(key, []).append((d, out['before'][0], out['after'][0], same))
                if not same: print('DIFF', f, out['before'][0], out['after'][0], out['before'][2][:200], out['after'][2][:200])
                if out['before'][0] != 0 and out['after'][0] != 0 and d > 3 and all(r[1] != 0 for r in res[key][-3:]): break
ncmp = sum(len(v) for v in res.values())
for key, v in res.items():
    ok = [d for d, a, b, s in v if a == 0]
    print(key, 'runs', len(v), 'max passing extra depth (before)', max(ok) if ok else None, 'all same' if all(s for *_, s in v) else 'DIFF')
print('comparisons', ncmp)
