"""The peers the delivery tests and benchmark start on 127.0.0.1 (and stop): sekmet-fhir, and the
pieces they share. Imported by scripts/test-deliver.py and scripts/benchmark-deliver.py."""
import json, os, shutil, signal, socket, subprocess, sys, time, urllib.request

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TYPES = ['Patient', 'CarePlan', 'ServiceRequest', 'MedicationRequest', 'DetectedIssue', 'RiskAssessment', 'Provenance']


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def put_profiles(work):
    """A copy of Profiles/ with request style put: sekmet has no identifier search for
    RiskAssessment, so ifNoneExist cannot work there (README: which style suits which server)."""
    profiles = os.path.join(work, 'Profiles')
    shutil.copytree(os.path.join(HERE, 'Profiles'), profiles)
    site = os.path.join(profiles, 'Parameters-rpl-site.json')
    text = open(site).read().replace('"valueCode": "conditional"', '"valueCode": "put"')
    open(site, 'w').write(text)
    return profiles


def bsn(n, prefix='9'):
    """The n-th BSN that starts with prefix and passes the 11-test (interface.md v3: one that fails
    it is no identity, so every variant would be the same patient)."""
    found = -1
    for counter in range(12 * (n + 1) + 12):
        base = f'{prefix}{counter:07d}'
        check = sum((9 - i) * int(d) for i, d in enumerate(base)) % 11
        if check == 10:
            continue
        found += 1
        if found == n:
            return base + str(check)
    raise ValueError(n)


def patient_variant(work, n, prefix='9'):
    """The two-losses fixture for another patient (a valid BSN of its own): new ids throughout."""
    bundle = json.load(open(os.path.join(HERE, 'Fixtures/indication-two-losses/input.json')))
    for e in bundle['entry']:
        if e['resource']['resourceType'] == 'Patient':
            e['resource']['identifier'] = [{'system': 'http://fhir.nl/fhir/NamingSystem/bsn', 'value': bsn(n, prefix)}]
    path = os.path.join(work, f'variant-{prefix}-{n}.json')
    json.dump(bundle, open(path, 'w'))
    return path


def get(url):
    with urllib.request.urlopen(urllib.request.Request(url, headers={'Accept': 'application/fhir+json'}), timeout=60) as r:
        return json.loads(r.read())


class Sekmet:
    """sekmet-fhir (from PyPI, in this venv) in a throw-away folder; stopped on exit."""

    def __init__(self, work):
        self.work = work
        self.port = free_port()
        self.base = f'http://127.0.0.1:{self.port}/fhir'

    def __enter__(self):
        sekmet = os.path.join(os.path.dirname(sys.executable), 'sekmet')
        self.process = subprocess.Popen([sekmet, 'serve', '--host', '127.0.0.1', '--port', str(self.port)], cwd=self.work,
                                        stdout=open(os.path.join(self.work, 'server.log'), 'w'), stderr=subprocess.STDOUT,
                                        start_new_session=True)
        for _ in range(100):  # bounded: about 30 s
            try:
                get(self.base + '/metadata')
                return self
            except Exception:
                time.sleep(0.3)
        self.__exit__(None, None, None)
        raise SystemExit('sekmet did not start: ' + open(os.path.join(self.work, 'server.log')).read()[-2000:])

    def __exit__(self, *exc):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)

    def counts(self):
        return {t: get(f'{self.base}/{t}?_summary=count').get('total', 0) for t in TYPES}
