#!/usr/bin/env python3
"""Benchmarks of rpl-adapter against the published anchors, in one run on this machine.

  swift build -c release && python3 scripts/benchmark.py          # full run (a few minutes)
  python3 scripts/benchmark.py --smoke                             # seconds; CI runs this

Measures: `apply` end to end over an ndjson of the Synthea bundles (~20 MB) in JSON and the same
bundles as XML files, with its default jobs (one per processor, at most 4) and with one; Python in the same run (orjson.loads per line, the parse-only ceiling, and
fhir.resources 6.4.0 Bundle.parse_raw per line, the R4 peer) from a throw-away virtual environment;
cold start (median of 50 process starts on a small bundle); peak resident memory for one 10 MB
bundle, one 35 MB bundle and for ndjson streams of 20 and 40 MB; time per entry for generated
bundles of 1,000, 10,000 and 100,000 entries; libxml2's `xmllint --stream` over the XML files;
instruction counts (callgrind) of the small example and Misty Bradtke's bundle. Issue 20's goals
are printed beside their measures. Times are the best of several runs (the least noisy estimate here).
"""
import argparse, copy, datetime, json, os, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..'))
SYN = os.path.join(ROOT, 'TestData', 'corpus', 'synthea', 'bundles')
AS_OF = ['--as-of', '2026-11-02']


def run(cmd, stdin=None, stdout=subprocess.DEVNULL):
    f = open(stdin, 'rb') if stdin else subprocess.DEVNULL
    p = subprocess.run(cmd, stdin=f, stdout=stdout, stderr=subprocess.DEVNULL)
    if p.returncode not in (0,):
        raise SystemExit(f'{cmd[:3]} exited {p.returncode}')
    return p


def timed(cmd, stdin=None, repeats=3):
    best = float('inf')
    for _ in range(repeats):
        t = time.perf_counter()
        run(cmd, stdin)
        best = min(best, time.perf_counter() - t)
    return best


def peak_rss_mb(cmd, stdin=None):
    f = open(stdin, 'rb') if stdin else subprocess.DEVNULL
    p = subprocess.run(['/usr/bin/time', '-f', '%M'] + cmd, stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return int(p.stderr.decode().strip().splitlines()[-1]) / 1024


def instructions(cmd, work):
    """Instructions executed (callgrind's Ir total) for one run."""
    out = os.path.join(work, 'callgrind.out')
    p = subprocess.run(['valgrind', '--tool=callgrind', f'--callgrind-out-file={out}'] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in p.stderr.splitlines():
        if 'refs:' in line:
            return int(line.split('refs:')[1].strip().replace(',', ''))
    raise SystemExit(f'callgrind gave no count for {cmd[:3]}')


def venv_python(work):
    venv = os.path.join(ROOT, '.venv-bench')
    py = os.path.join(venv, 'bin', 'python')
    if not os.path.exists(py):
        subprocess.run([sys.executable, '-m', 'venv', venv], check=True)
        subprocess.run([py, '-m', 'pip', 'install', '-q', 'fhir.resources==6.4.0', 'pydantic<2', 'orjson'], check=True)
    return py


PY_BENCH = r'''
import sys, time
lines = open(sys.argv[2], 'rb').read().splitlines()
if sys.argv[1] == 'orjson':
    import orjson
    f = orjson.loads
else:
    from fhir.resources.bundle import Bundle
    f = Bundle.parse_raw
best = float('inf')
for _ in range(int(sys.argv[3])):
    t = time.perf_counter()
    for l in lines:
        f(l)
    best = min(best, time.perf_counter() - t)
print(best)
'''


def scaled_bundle(base, n):
    """Misty's bundle with n entries: her resources, then copies of her lab Observations."""
    b = copy.deepcopy(base)
    obs = [e for e in base['entry'] if e['resource']['resourceType'] == 'Observation']
    entries = list(b['entry'])[:n]
    i = 0
    while len(entries) < n:
        e = copy.deepcopy(obs[i % len(obs)])
        e['resource']['id'] = f"copy-{i}"
        e['fullUrl'] = f"urn:uuid:00000000-0000-4000-8000-{i:012d}"
        entries.append(e)
        i += 1
    b['entry'] = entries
    return b


def varied(bundle):
    """The copies of `scaled_bundle`, each its own: its dates k days on, its value changed."""
    b = copy.deepcopy(bundle)
    for e in b['entry']:
        r = e['resource']
        if not r.get('id', '').startswith('copy-'):
            continue
        k = int(r['id'][5:]) + 1
        for f in ('effectiveDateTime', 'issued'):
            if f in r:
                t = datetime.datetime.fromisoformat(r[f]) + datetime.timedelta(days=k)
                r[f] = t.isoformat(timespec='milliseconds' if '.' in r[f] else 'seconds')
        q = r.get('valueQuantity')
        if q and isinstance(q.get('value'), (int, float)):
            q['value'] = round(q['value'] * (1 + (k % 97) / 1000), 2)
    return b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--smoke', action='store_true')
    ap.add_argument('--binary', default=os.path.join(ROOT, '.build', 'release', 'rpl-adapter'))
    a = ap.parse_args()
    binary = a.binary
    if not os.path.exists(binary):
        if a.smoke:
            binary = os.path.join(ROOT, '.build', 'debug', 'rpl-adapter')
        else:
            subprocess.run(['swift', 'build', '-c', 'release'], cwd=ROOT, check=True)
    reps = 1 if a.smoke else 3
    target = (2 if a.smoke else 20) * 1024 * 1024
    work = tempfile.mkdtemp(prefix='rpl-bench-')
    try:
        bundles = [json.load(open(os.path.join(SYN, f))) for f in sorted(os.listdir(SYN)) if f.endswith('.json')]
        lines = [json.dumps(b, separators=(',', ':'), ensure_ascii=False).encode() for b in bundles]
        nd, size, count = os.path.join(work, 'in.ndjson'), 0, 0
        with open(nd, 'wb') as f:
            while size < target:
                for l in lines:
                    f.write(l + b'\n'); size += len(l) + 1; count += 1
        mb = size / 1e6
        # XML: the same bundles as XML files, repeated to the same size.
        xml_files, xsize = [], 0
        for i, b in enumerate(bundles):
            src = os.path.join(work, f'b{i}.json'); json.dump(b, open(src, 'w'))
            dst = os.path.join(work, f'b{i}.xml')
            run([binary, 'convert', '--to', 'xml', src], stdout=open(dst, 'wb'))
            xml_files.append(dst)
        xml_args, xcount = [], 0
        while xsize < size:
            for x in xml_files:
                xml_args.append(x); xsize += os.path.getsize(x); xcount += 1
        rows = []
        # apply answers several inputs at once (--jobs, default one per processor, at most 4); the
        # Python peers parse on one thread. Both are printed: the default, and one job (per core).
        jobs = max(1, min(4, os.cpu_count() or 1))
        t_json = timed([binary, 'apply', '--input-format', 'ndjson'] + AS_OF + [nd], repeats=reps)
        t_xml = timed([binary, 'apply', '--output-format', 'json'] + AS_OF + xml_args, repeats=reps)
        t_json1 = timed([binary, 'apply', '--jobs', '1', '--input-format', 'ndjson'] + AS_OF + [nd], repeats=reps)
        t_xml1 = timed([binary, 'apply', '--jobs', '1', '--output-format', 'json'] + AS_OF + xml_args, repeats=reps)
        rows.append((f'apply, JSON ndjson ({jobs} jobs)', f'{mb:.1f} MB, {count} bundles', f'{mb / t_json:.1f} MB/s', f'{count / t_json:.0f} bundles/s'))
        rows.append(('apply, JSON ndjson (1 job)', f'{mb:.1f} MB, {count} bundles', f'{mb / t_json1:.1f} MB/s', f'{count / t_json1:.0f} bundles/s'))
        rows.append((f'apply, XML files ({jobs} jobs)', f'{xsize / 1e6:.1f} MB, {xcount} bundles', f'{xsize / 1e6 / t_xml:.1f} MB/s', f'{xcount / t_xml:.0f} bundles/s'))
        rows.append(('apply, XML files (1 job)', f'{xsize / 1e6:.1f} MB, {xcount} bundles', f'{xsize / 1e6 / t_xml1:.1f} MB/s', f'{xcount / t_xml1:.0f} bundles/s'))
        py = None if a.smoke else venv_python(work)
        ratios = {}
        if py:
            t_or = float(subprocess.run([py, '-c', PY_BENCH, 'orjson', nd, str(reps)], capture_output=True, check=True).stdout)
            t_fr = float(subprocess.run([py, '-c', PY_BENCH, 'fhir', nd, '1'], capture_output=True, check=True).stdout)
            rows.append(('orjson.loads per line (parse only)', f'{mb:.1f} MB', f'{mb / t_or:.1f} MB/s', ''))
            rows.append(('fhir.resources 6.4.0 Bundle.parse_raw', f'{mb:.1f} MB', f'{mb / t_fr:.1f} MB/s', ''))
            ratios[f'apply JSON ({jobs} jobs) ÷ orjson parse (goal ≥ 1.0)'] = t_or / t_json
            ratios['apply JSON (1 job) ÷ orjson parse'] = t_or / t_json1
            ratios[f'apply JSON ({jobs} jobs) ÷ fhir.resources (goal ≥ 50)'] = t_fr / t_json
            ratios['apply JSON (1 job) ÷ fhir.resources'] = t_fr / t_json1
        ratios['XML ÷ JSON (MB/s, 1 job)'] = (xsize / t_xml1) / (size / t_json1)
        if shutil.which('xmllint'):
            # libxml2's own streaming reader over the same documents: the ceiling for XML.
            t_lint = timed(['xmllint', '--stream', '--noout'] + xml_args, repeats=reps)
            rows.append(('xmllint --stream (parse only)', f'{xsize / 1e6:.1f} MB', f'{xsize / 1e6 / t_lint:.1f} MB/s', ''))
            ratios[f'apply XML ({jobs} jobs) ÷ xmllint --stream (goal ≥ 0.6)'] = t_lint / t_xml
            ratios['apply XML (1 job) ÷ xmllint --stream'] = t_lint / t_xml1

        # Cold start: a process per call on a small bundle.
        small = os.path.join(ROOT, 'Fixtures', 'examples', 'two-losses-tsh.json')
        starts = []
        for _ in range(10 if a.smoke else 50):
            t = time.perf_counter(); run([binary, 'apply'] + AS_OF + [small]); starts.append(time.perf_counter() - t)
        rows.append(('cold start, small bundle (median)', f'{len(starts)} runs', f'{statistics.median(starts) * 1000:.1f} ms', ''))

        # Peak memory.
        misty = json.load(open([os.path.join(SYN, f) for f in os.listdir(SYN) if f.startswith('Misty')][0]))
        obs = [e for e in misty['entry'] if e['resource']['resourceType'] == 'Observation']
        per = len(json.dumps(obs, separators=(',', ':'))) / len(obs)
        base = len(json.dumps(misty, separators=(',', ':')))
        big = scaled_bundle(misty, len(misty['entry']) + int(((2 if a.smoke else 10) * 1e6 - base) / per))
        big_path = os.path.join(work, 'big.json'); json.dump(big, open(big_path, 'w'), separators=(',', ':'))
        big_mb = os.path.getsize(big_path) / 1e6
        rows.append(('peak RSS, one bundle', f'{big_mb:.1f} MB', f'{peak_rss_mb([binary, "apply"] + AS_OF + [big_path]):.0f} MB', ''))
        if not a.smoke:
            # Issue 20's measure: one 35 MB Bundle, against twice its size plus 16 MB.
            huge = scaled_bundle(misty, len(misty['entry']) + int((35e6 - base) / per))
            huge_path = os.path.join(work, 'huge.json'); json.dump(huge, open(huge_path, 'w'), separators=(',', ':'))
            huge_mb = os.path.getsize(huge_path) / 1e6
            peak = peak_rss_mb([binary, "apply"] + AS_OF + [huge_path])
            rows.append(('peak RSS, one bundle', f'{huge_mb:.1f} MB', f'{peak:.0f} MB', f'{peak / huge_mb:.1f}× its size'))
            ratios['peak RSS ÷ (2 × 35 MB bundle + 16 MB) (goal ≤ 1.0)'] = peak / (2 * huge_mb + 16)
            # The copies above differ only in id and fullUrl, and the reader shares an object whose
            # text recurs: the same Bundle with each copy's dates moved on and its value changed, as
            # in a real history, shows what sharing leaves.
            varied_path = os.path.join(work, 'huge-varied.json')
            json.dump(varied(huge), open(varied_path, 'w'), separators=(',', ':'))
            varied_mb = os.path.getsize(varied_path) / 1e6
            peak = peak_rss_mb([binary, "apply"] + AS_OF + [varied_path])
            rows.append(('peak RSS, one bundle, copies varied', f'{varied_mb:.1f} MB', f'{peak:.0f} MB', f'{peak / varied_mb:.1f}× its size'))
            ratios['peak RSS, copies varied ÷ (2 × size + 16 MB)'] = peak / (2 * varied_mb + 16)
        rows.append(('peak RSS, ndjson stream', f'{mb:.1f} MB', f'{peak_rss_mb([binary, "apply", "--input-format", "ndjson"] + AS_OF + [nd]):.0f} MB', ''))
        nd2 = os.path.join(work, 'in2.ndjson')
        with open(nd2, 'wb') as f:
            f.write(open(nd, 'rb').read()); f.write(open(nd, 'rb').read())
        rows.append(('peak RSS, ndjson stream ×2', f'{2 * mb:.1f} MB', f'{peak_rss_mb([binary, "apply", "--input-format", "ndjson"] + AS_OF + [nd2]):.0f} MB', ''))

        # Scaling.
        per_entry = {}
        for n in ([100, 1000] if a.smoke else [1000, 10000, 100000]):
            p = os.path.join(work, f'n{n}.json'); json.dump(scaled_bundle(misty, n), open(p, 'w'), separators=(',', ':'))
            t = timed([binary, 'apply'] + AS_OF + [p], repeats=reps)
            per_entry[n] = t / n * 1e6
            rows.append((f'apply, {n} entries', f'{os.path.getsize(p) / 1e6:.1f} MB', f'{t * 1000:.0f} ms', f'{per_entry[n]:.2f} µs/entry'))
        ns = sorted(per_entry)
        ratios[f'time per entry at {ns[-1]} ÷ at {ns[0]}'] = per_entry[ns[-1]] / per_entry[ns[0]]

        # Instruction counts (callgrind): repeatable whatever the machine's load.
        if not a.smoke and shutil.which('valgrind'):
            misty_path = [os.path.join(SYN, f) for f in os.listdir(SYN) if f.startswith('Misty')][0]
            for label, path, goal in [('small example, cold', small, 35), ("Misty Bradtke's bundle", misty_path, 100)]:
                count = instructions([binary, 'apply'] + AS_OF + [path], work)
                rows.append((f'instructions, {label}', f'{os.path.getsize(path) / 1e6:.2f} MB', f'{count / 1e6:.1f}M', f'goal ≤ {goal}M'))

        w = [max(len(r[i]) for r in rows) for i in range(4)]
        print(f'rpl-adapter benchmark ({"smoke" if a.smoke else "full"}; {os.path.relpath(binary, ROOT)})')
        for r in rows:
            print('  '.join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip())
        print('ratios:')
        for k, v in ratios.items():
            print(f'  {k}: {v:.2f}')
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
