#!/usr/bin/env python3
"""A real, independent FHIR server takes the output, and a resend creates nothing new.

Starts sekmet-fhir (FastAPI + SQLite R4 server, from PyPI) on 127.0.0.1 in a throw-away folder,
POSTs every fixture's `apply` output as a transaction, then the same outputs again, then the same
inputs evaluated a week later, and counts the resources on the server after each round: the second
round must add none, and the third none beyond the ids that really are new (a result that left the
lookback window is a new situation). sekmet has no `identifier` search parameter for
RiskAssessment, so `ifNoneExist` cannot work there: this server gets request style `put` (README:
which style suits which server).
Usage: scripts/test-fhir-server.py path/to/rpl-adapter  (run by scripts/test-fhir-server.sh)
"""
import glob, json, os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request

here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = sys.argv[1]
sekmet = os.path.join(os.path.dirname(sys.executable), 'sekmet')
TYPES = ['Patient', 'CarePlan', 'ServiceRequest', 'MedicationRequest', 'DetectedIssue', 'RiskAssessment', 'Provenance']


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def request(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    r = urllib.request.Request(url, data=data, method=method, headers={'Content-Type': 'application/fhir+json', 'Accept': 'application/fhir+json'})
    with urllib.request.urlopen(r, timeout=60) as resp:
        return json.loads(resp.read() or b'{}')


work = tempfile.mkdtemp(prefix='rpl-sekmet-')
profiles = os.path.join(work, 'Profiles')
shutil.copytree(os.path.join(here, 'Profiles'), profiles)
site = os.path.join(profiles, 'Parameters-rpl-site.json')
text = open(site).read().replace('"valueCode": "conditional"', '"valueCode": "put"')
open(site, 'w').write(text)

port = free_port()
base = f'http://127.0.0.1:{port}/fhir'
server = subprocess.Popen([sekmet, 'serve', '--host', '127.0.0.1', '--port', str(port)], cwd=work,
                          stdout=open(os.path.join(work, 'server.log'), 'w'), stderr=subprocess.STDOUT, start_new_session=True)
failed = []
try:
    for _ in range(100):  # bounded: about 30 s
        try:
            request('GET', base + '/metadata')
            break
        except Exception:
            time.sleep(0.3)
    else:
        raise SystemExit('sekmet did not start: ' + open(os.path.join(work, 'server.log')).read()[-2000:])

    def outputs(as_of):
        out = {}
        for path in sorted(glob.glob(os.path.join(here, 'Fixtures/*/input.json'))):
            run = subprocess.run([binary, 'apply', '--profiles', profiles, '--as-of', as_of, path], capture_output=True)
            if run.returncode != 0:
                continue
            bundle = json.loads(run.stdout)
            if bundle.get('entry'):
                out[os.path.basename(os.path.dirname(path))] = bundle
        return out

    def post_all(bundles, label):
        for name, bundle in bundles.items():
            try:
                response = request('POST', base, bundle)
            except urllib.error.HTTPError as e:
                failed.append(f'{label} {name}: HTTP {e.code}: {e.read()[:300]!r}')
                continue
            statuses = [e.get('response', {}).get('status', '') for e in response.get('entry', [])]
            if response.get('resourceType') != 'Bundle' or not all(s[:1] == '2' for s in statuses):
                failed.append(f'{label} {name}: {json.dumps(response)[:300]}')

    def count():
        return {t: request('GET', f'{base}/{t}?_summary=count').get('total', 0) for t in TYPES}

    first = outputs('2026-11-02')
    post_all(first, 'first')
    after_first = count()
    post_all(first, 'resend')
    after_resend = count()
    later = outputs('2026-11-09')
    post_all(later, 'a week later')
    after_later = count()

    ids = lambda bundles: {e['fullUrl'] for b in bundles.values() for e in b['entry']}
    new_later = ids(later) - ids(first)
    expected_later = sum(after_first.values()) + len(new_later)
    print(f'{len(first)} fixture outputs accepted by sekmet-fhir (request style put): {sum(after_first.values())} resources {after_first}')
    if after_resend != after_first:
        failed.append(f'the resend created resources: {after_first} -> {after_resend}')
    print(f'resend: {sum(after_resend.values())} resources (no new one)' if after_resend == after_first else 'resend: NEW RESOURCES')
    if sum(after_later.values()) != expected_later:
        failed.append(f'a week later: {sum(after_later.values())} resources, expected {expected_later} ({len(new_later)} new ids)')
    print(f'a week later: {sum(after_later.values())} resources; {len(new_later)} new ids, each a new situation (a result left the window)')
finally:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
    shutil.rmtree(work, ignore_errors=True)

for f in failed[:20]:
    print(f)
sys.exit(1 if failed else 0)
