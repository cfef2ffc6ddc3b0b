#!/usr/bin/env python3
"""Run every case of cases/manifest.jsonl through both builds and compare stdout, stderr, exit status.
Usage: python3 run.py [--only SUBSTR] [--limit N] [--out runs/results.jsonl]
One binary at a time; every run under `timeout 20`."""
import json, os, re, subprocess, sys, time, hashlib
D = '/tmp/share-trial'
BIN = {'before': D + '/bin/rpl-adapter-before', 'after': D + '/bin/rpl-adapter-after'}
CASES = D + '/cases'
args = sys.argv[1:]
only = args[args.index('--only') + 1] if '--only' in args else None
limit = int(args[args.index('--limit') + 1]) if '--limit' in args else 10**9
out = args[args.index('--out') + 1] if '--out' in args else D + '/runs/results.jsonl'
AS = ['--as-of', '2026-11-02']

def cmd(variant, files):
    if variant == 'apply': return ['apply'] + AS + files
    if variant == 'apply-pretty': return ['apply', '--pretty'] + AS + files
    if variant == 'apply-xml': return ['apply'] + AS + ['--output-format', 'xml'] + files
    if variant == 'apply-ndjson': return ['apply'] + AS + ['--input-format', 'ndjson'] + files
    if variant == 'apply-multi': return ['apply'] + AS + files
    if variant == 'convert-xml': return ['convert', '--to', 'xml'] + files
    if variant == 'convert-json': return ['convert', '--to', 'json'] + files
    if variant == 'apply-stdin': return ['apply'] + AS
    if variant == 'apply-ndjson-stdin': return ['apply'] + AS + ['--input-format', 'ndjson']
    if variant == 'convert-stdin': return ['convert', '--to', 'xml', '-']
    raise ValueError(variant)

def run(b, argv, stdin=None):
    t = time.time()
    inp = open(os.path.join(CASES, stdin), 'rb') if stdin else subprocess.DEVNULL
    p = subprocess.run(['timeout', '20', BIN[b]] + argv, cwd=CASES, capture_output=True, stdin=inp)
    return p.returncode, p.stdout, p.stderr, time.time() - t

def h(x): return hashlib.sha1(x).hexdigest()[:12]

res = open(out, 'w')
n = ncmp = nsame = 0
t0 = time.time()
for line in open(CASES + '/manifest.jsonl'):
    c = json.loads(line)
    if only and not re.search(only, c['id']): continue
    if n >= limit: break
    n += 1
    variants = list(c['variants'])
    # stdin variants on every 4th case (the file's bytes on standard input)
    if int(c['id'][:5]) % 4 == 0:
        variants += ['apply-ndjson-stdin'] if 'apply-ndjson' in variants else (['apply-stdin', 'convert-stdin'] if len(c['files']) == 1 else [])
    for v in variants:
        if v == 'convert-roundtrip':
            rc, so, se, _ = run('before', ['convert', '--to', 'xml'] + c['files'])
            if rc != 0: continue
            xf = c['id'] + '.rt.xml'
            open(os.path.join(CASES, xf), 'wb').write(so)
            files, v = [xf], 'convert-json'
        else:
            files = c['files']
        argv = cmd(v, files)
        sin = files[0] if v.endswith('stdin') else None
        r = {b: run(b, argv, sin) for b in ('before', 'after')}
        ncmp += 1
        same = r['before'][:3] == r['after'][:3]
        nsame += same
        rec = {'id': c['id'], 'variant': v, 'argv': argv, 'stdin': sin, 'same': same,
               'rc': [r['before'][0], r['after'][0]], 't': [round(r['before'][3], 3), round(r['after'][3], 3)],
               'out': [h(r['before'][1]), h(r['after'][1])], 'err': [r['before'][2][:400].decode('utf-8', 'replace'), r['after'][2][:400].decode('utf-8', 'replace')]}
        res.write(json.dumps(rec) + '\n')
        if not same:
            print('DIFF', c['id'], v, rec['rc'], rec['err'], flush=True)
print('cases', n, 'comparisons', ncmp, 'same', nsame, 'different', ncmp - nsame, 'seconds', round(time.time() - t0))
