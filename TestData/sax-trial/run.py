#!/usr/bin/env python3
"""Runs every generated document through both binaries (one process at a time) and records
differences. usage: run.py GENDIR RESULTS.jsonl [time budget seconds]"""
import os, sys, json, subprocess, time

GEN = sys.argv[1]
RES = sys.argv[2]
BUDGET = float(sys.argv[3]) if len(sys.argv) > 3 else 1200
OLD = '/tmp/bins/rpl-adapter-old'
NEW = '/tmp/bins/rpl-adapter-new'


def run(binary, args, path):
    t0 = time.time()
    p = subprocess.Popen(['timeout', '20', binary] + args + [path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate()
    _, status, ru = os.wait4(p.pid, 0) if False else (None, None, None)
    return p.returncode, out, err, time.time() - t0


def run_ru(binary, args, path):
    # fork ourselves to get rusage (max RSS) of the child tree
    t0 = time.time()
    outf = open('/tmp/saxaudit/.o', 'wb+')
    errf = open('/tmp/saxaudit/.e', 'wb+')
    pid = os.fork()
    if pid == 0:
        os.dup2(outf.fileno(), 1)
        os.dup2(errf.fileno(), 2)
        os.execvp('timeout', ['timeout', '20', binary] + args + [path])
    _, status, ru = os.wait4(pid, 0)
    rc = os.waitstatus_to_exitcode(status)
    outf.seek(0); errf.seek(0)
    out = outf.read(); err = errf.read()
    outf.close(); errf.close()
    return rc, out, err, time.time() - t0, ru.ru_maxrss


start = time.time()
manifest = [l.rstrip('\n').split('\t') for l in open(os.path.join(GEN, 'manifest.tsv'))]
res = open(RES, 'a')
n = 0
for row in manifest:
    if time.time() - start > BUDGET:
        break
    fn = row[0]
    path = os.path.join(GEN, fn)
    head = open(path, 'rb').read(4000)
    modes = [('convert', ['convert', '--to', 'json'])]
    if b'Bundle' in head:
        modes.append(('apply', ['apply', '--as-of', '2026-11-02']))
    for mode, args in modes:
        o = run_ru(OLD, args, path)
        nw = run_ru(NEW, args, path)
        same = o[0] == nw[0] and o[1] == nw[1] and o[2] == nw[2]
        rec = {'file': fn, 'src': row[1], 'muts': row[2], 'size': int(row[3]), 'mode': mode,
               'old_rc': o[0], 'new_rc': nw[0], 'same': same, 'old_t': round(o[3], 3), 'new_t': round(nw[3], 3),
               'old_rss': o[4], 'new_rss': nw[4]}
        if not same:
            rec['deliberate'] = b'holds a resource and more' in nw[2] or b'holds a resource and more' in nw[1]
            rec['old_out'] = o[1][:3000].decode('utf-8', 'replace'); rec['new_out'] = nw[1][:3000].decode('utf-8', 'replace')
            rec['old_err'] = o[2][:1000].decode('utf-8', 'replace'); rec['new_err'] = nw[2][:1000].decode('utf-8', 'replace')
            rec['out_same'] = o[1] == nw[1]
        res.write(json.dumps(rec) + '\n')
        res.flush()
    n += 1
print('documents run:', n, 'elapsed', round(time.time() - start, 1))
