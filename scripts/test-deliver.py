#!/usr/bin/env python3
"""`rpl-adapter deliver` against real peers started here on 127.0.0.1 (and stopped here):

1. sekmet-fhir (PyPI): every fixture output delivered; the server then holds exactly the expected
   resources (counted per type against the distinct ids of the outputs); delivering again adds none,
   and so does the same record evaluated a week later (interface.md v2, Identity), beyond the ids
   that really are new. sekmet gets request style put: it has no identifier search for
   RiskAssessment, so ifNoneExist cannot work there (README: which style suits which server).
2. Faults, through a small fault-injecting HTTP proxy in front of sekmet: 503 with Retry-After, 429,
   a connection dropped after the server got the request, a stall past the timeout, a 400 that
   goes dead at once; each with its attempt count read from the outbox (sqlite3).
3. Crash: `kill -9` at seeded random moments over 200 bundles (at least 20 kills), then --resume:
   every resource on the server exactly once, the outbox all delivered. The same over MLLP.
4. MLLP: python `hl7`'s asyncio MLLP server answering AA, AR, AE, AE-duplicate or nothing;
   every message processed once (by MSH-10), resends acknowledged and not processed twice.
Every wait and loop is bounded.
Usage: scripts/test-deliver.py path/to/rpl-adapter  (run by scripts/test-deliver.sh in its venv)
"""
import asyncio, glob, http.server, json, os, random, shutil, signal, socket, sqlite3, subprocess, sys, tempfile, threading, time, urllib.request
import hl7
import hl7.mllp
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import Sekmet, TYPES, free_port, patient_variant, put_profiles

here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
adapter = sys.argv[1]
REQUESTER = 'http://fhir.nl/fhir/NamingSystem/agb-z|01234567'
failed = []
work = tempfile.mkdtemp(prefix='rpl-deliver-')


def check(ok, what):
    print(('ok   ' if ok else 'FAIL ') + what)
    if not ok:
        failed.append(what)


def deliver(*args, stdin=None, timeout=300):
    return subprocess.run([adapter, 'deliver', *args], input=stdin, capture_output=True, timeout=timeout)


def outbox_rows(path):
    with sqlite3.connect(path) as db:
        return db.execute('SELECT state, attempts, last_answer FROM message ORDER BY id').fetchall()


profiles = put_profiles(work)


def apply(path, *extra, as_of='2026-11-02'):
    run = subprocess.run([adapter, 'apply', '--profiles', profiles, '--as-of', as_of, *extra, path], capture_output=True)
    return run.stdout


def kill_loop(args, data, seed, longest):
    """deliver over `data`, killed with SIGKILL at seeded random moments until 20 kills (bounded:
    at most 60 runs, for a batch that completes before the 20th). Returns the number of kills."""
    rng = random.Random(seed)
    kills = 0
    for _ in range(60):
        p = subprocess.Popen([adapter, 'deliver', *args], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            p.stdin.write(data); p.stdin.close()
        except BrokenPipeError:
            pass
        try:
            p.wait(timeout=rng.uniform(0.05, longest))
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL); p.wait(); kills += 1
        if kills >= 20:
            break
    return kills


fixtures = sorted(glob.glob(os.path.join(here, 'Fixtures/*/input.json')))
outputs = [o for o in (apply(p) for p in fixtures) if o.strip()]
ndjson = b''.join(o if o.endswith(b'\n') else o + b'\n' for o in outputs)


def expected_counts(lines):
    ids = {t: set() for t in TYPES}
    for line in lines.splitlines():
        b = json.loads(line)
        for e in b.get('entry', []):
            r = e['resource']
            ids.setdefault(r['resourceType'], set()).add(r['id'])
    return {t: len(ids[t]) for t in TYPES}


server = Sekmet(work).__enter__()
base, counts = server.base, server.counts
proxy = None
try:
    # 1. All fixtures, then again.
    box = os.path.join(work, 'a.sqlite')
    r = deliver('--fhir', base, '--outbox', box, '--timeout', '30', stdin=ndjson)
    expected = expected_counts(ndjson)
    check(r.returncode == 0, f'deliver of {len(outputs)} fixture outputs exits 0 (got {r.returncode}: {r.stderr.decode()[-300:]})')
    check(counts() == expected, f'the server holds exactly the expected resources {expected} (got {counts()})')
    r = deliver('--fhir', base, '--outbox', box, stdin=ndjson)
    check(r.returncode == 0 and b'taken in 0 new' in r.stderr, 'the same input again: taken in 0 new, nothing sent')
    r = deliver('--fhir', base, '--outbox', os.path.join(work, 'a2.sqlite'), stdin=ndjson)
    check(r.returncode == 0 and counts() == expected, 'everything sent again through a new outbox: the server adds none')
    status = json.loads(deliver('--status', '--json', '--outbox', box).stdout)
    # Identical outputs (fixtures that differ only in their input's shape) are one message.
    sendable = {o for o in outputs if json.loads(o).get('entry')}  # empty "not indicated" Bundles are not sent
    check(status == {'pending': 0, 'delivered': len(sendable), 'dead': 0}, f'--status --json {status} ({len(sendable)} distinct plans)')
    # The same records evaluated a week later: the same ids (nothing new) but where the situation
    # really changed (a result that left the lookback window).
    later = b''.join(o if o.endswith(b'\n') else o + b'\n' for o in (apply(p, as_of='2026-11-09') for p in fixtures) if o.strip())
    new_ids = sum(expected_counts(ndjson + later).values()) - sum(expected.values())
    r = deliver('--fhir', base, '--outbox', os.path.join(work, 'a3.sqlite'), stdin=later)
    check(r.returncode == 0 and counts() == expected_counts(ndjson + later), f'a week later: the server adds only the {new_ids} new ids')

    # 2. Faults through a proxy. One bundle per case: a fixture output for another patient.
    plan = {'mode': 'pass', 'count': 0}

    class Proxy(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a): pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
            plan['count'] += 1
            first = plan['count'] == 1
            mode = plan['mode'] if first else 'pass'
            if mode in ('503', '429', '400'):
                self.send_response(int(mode))
                if mode == '503': self.send_header('Retry-After', '1')
                payload = b'{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","diagnostics":"injected"}]}'
                self.send_header('Content-Type', 'application/fhir+json'); self.send_header('Content-Length', str(len(payload))); self.end_headers()
                self.wfile.write(payload)
                return
            req = urllib.request.Request(base, data=body, method='POST', headers={'Content-Type': 'application/fhir+json'})
            with urllib.request.urlopen(req, timeout=60) as resp:
                answer = resp.read()
                status = resp.status
            if mode == 'drop':       # the server did the work; the answer never arrives
                self.connection.shutdown(socket.SHUT_RDWR); self.connection.close(); return
            if mode == 'stall':      # past the client's timeout
                time.sleep(3); self.connection.close(); return
            if plan['mode'] == 'slow':
                time.sleep(0.7)
            self.send_response(status)
            self.send_header('Content-Type', 'application/fhir+json'); self.send_header('Content-Length', str(len(answer))); self.end_headers()
            self.wfile.write(answer)

    proxy_port = free_port()
    proxy = http.server.ThreadingHTTPServer(('127.0.0.1', proxy_port), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    variant = lambda n: patient_variant(work, n)

    for n, (mode, state, attempts, code) in enumerate([('503', 'delivered', 2, 0), ('429', 'delivered', 2, 0), ('drop', 'delivered', 2, 0),
                                                      ('stall', 'delivered', 2, 0), ('400', 'dead', 1, 65)]):
        plan.update(mode=mode, count=0)
        bundle = apply(variant(1000 + n))
        before = counts()
        t0 = time.time()
        box = os.path.join(work, f'fault-{mode}.sqlite')
        r = deliver('--fhir', f'http://127.0.0.1:{proxy_port}/fhir', '--outbox', box, '--timeout', '1', '--max-wait', '2', stdin=bundle)
        rows = outbox_rows(box)
        check(r.returncode == code and rows and rows[0][0] == state and rows[0][1] == attempts,
              f'{mode}: exit {r.returncode}, {rows[0][0] if rows else "?"} after {rows[0][1] if rows else "?"} attempts (expected {code}, {state}, {attempts})')
        if mode == '503':
            check(time.time() - t0 >= 1, '503: Retry-After 1 was honoured')
        if state == 'delivered':
            added = sum(counts().values()) - sum(before.values())
            check(added == sum(expected_counts(bundle).values()), f'{mode}: each resource once on the server (+{added}, a new patient)')

    # SIGTERM: the message in flight is finished, the rest stays pending (exit 75); a header's
    # value (a token) is never in the outbox or the log.
    plan.update(mode='slow', count=0)
    five = b''.join(apply(variant(2000 + n)) for n in range(5))
    box = os.path.join(work, 'term.sqlite')
    five_file = os.path.join(work, 'five.ndjson')
    open(five_file, 'wb').write(five)
    p = subprocess.Popen([adapter, 'deliver', '--fhir', f'http://127.0.0.1:{proxy_port}/fhir', '--outbox', box, '--header', 'Authorization: Bearer SECRET-TOKEN-123', five_file],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.5)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    rows = outbox_rows(box)
    delivered = sum(1 for r in rows if r[0] == 'delivered')
    check(p.returncode == 75 and 0 < delivered < 5 and all(r[0] in ('delivered', 'pending') for r in rows),
          f'SIGTERM: exit {p.returncode}, {delivered} delivered, the rest pending')
    secret = b'SECRET-TOKEN-123'
    check(secret not in open(box, 'rb').read() and secret not in err and all(secret not in open(f, 'rb').read() for f in glob.glob(box + '*')),
          'the header value is in neither the outbox nor the log')
    r = deliver('--fhir', f'http://127.0.0.1:{proxy_port}/fhir', '--outbox', box, '--resume')
    check(r.returncode == 0 and all(r[0] == 'delivered' for r in outbox_rows(box)), 'SIGTERM: --resume delivers the rest')
    plan.update(mode='pass', count=0)

    # 3. Crash: kill -9 at random moments over 200 bundles, then --resume.
    many = b''.join(apply(variant(n)) for n in range(200))
    box = os.path.join(work, 'crash.sqlite')
    kills = kill_loop(['--fhir', base, '--outbox', box], many, 20261126, 1.5)
    r = deliver('--fhir', base, '--outbox', box, '--resume', timeout=600)
    status = json.loads(deliver('--status', '--json', '--outbox', box).stdout)
    check(kills >= 20, f'{kills} kill -9 over the batch')
    check(r.returncode == 0 and status == {'pending': 0, 'delivered': 200, 'dead': 0}, f'--resume: exit {r.returncode}, outbox {status}')
    final = counts()
    everything = expected_counts(ndjson + later + many + b''.join(apply(variant(1000 + n)) for n in range(4)) + five)
    check(final == everything, f'every resource on the server exactly once {everything} (got {final})')
finally:
    if proxy: proxy.shutdown()
    server.__exit__(None, None, None)

# 4. MLLP.
received, processed = [], set()
mode = {'answer': 'AA', 'first_only': False, 'seen': 0}


async def handle(reader, writer):
    try:
        while True:
            message = await asyncio.wait_for(reader.readmessage(), 30)
            control = str(message.segment('MSH')[10])
            received.append(control)
            mode['seen'] += 1
            answer = mode['answer'] if (not mode['first_only'] or mode['seen'] == 1) else 'AA'
            if answer == 'silent':
                continue
            if answer == 'AA':
                processed.add(control)
            ack = message.create_ack('AE' if answer.startswith('AE') else answer)
            text = str(ack)
            if answer == 'AE-duplicate':
                text += '\rERR|||205^Duplicate key identifier^HL70357|E'
            writer.writemessage(hl7.parse(text)); await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()

loop = asyncio.new_event_loop()
mllp_port = free_port()
ready = threading.Event()


def serve():
    asyncio.set_event_loop(loop)
    loop.run_until_complete(hl7.mllp.start_hl7_server(handle, '127.0.0.1', mllp_port, encoding='utf-8'))
    ready.set()
    loop.run_forever()

threading.Thread(target=serve, daemon=True).start()
ready.wait(10)
hl7_in = b''.join(apply(p, '--output-format', 'hl7v2', '--requester', REQUESTER) for p in fixtures)
bodies = {m for m in hl7_in.split(b'MSH|')[1:] if m}  # distinct messages (identical ones are taken in once)
n_messages = len({m.split(b'|')[8] for m in bodies})
box = os.path.join(work, 'mllp.sqlite')
r = deliver('--mllp', f'127.0.0.1:{mllp_port}', '--outbox', box, '--timeout', '5', stdin=hl7_in)
check(r.returncode == 0 and len(processed) == n_messages == len(set(received)), f'MLLP: {n_messages} messages, {len(processed)} processed once (exit {r.returncode})')
before = len(received)
r = deliver('--mllp', f'127.0.0.1:{mllp_port}', '--outbox', os.path.join(work, 'mllp2.sqlite'), '--timeout', '5', stdin=hl7_in)
check(r.returncode == 0 and len(received) == before + len(bodies) and len(processed) == n_messages,
      f'MLLP: resent ({len(received) - before} received again), acknowledged, not processed twice ({len(processed)} processed)')
one = hl7_in[:hl7_in.index(b'MSH|', 4)]
for answer, first_only, state, attempts, code in [('AR', True, 'delivered', 2, 0), ('silent', True, 'delivered', 2, 0), ('AE', False, 'dead', 1, 65),
                                                 ('AE-duplicate', False, 'delivered', 1, 0), ('CR', False, 'dead', 1, 65)]:
    mode.update(answer=answer, first_only=first_only, seen=0)
    box = os.path.join(work, f'mllp-{answer}.sqlite')
    r = deliver('--mllp', f'127.0.0.1:{mllp_port}', '--outbox', box, '--timeout', '1', '--max-wait', '1', stdin=one)
    rows = outbox_rows(box)
    check(r.returncode == code and rows and rows[0][0] == state and rows[0][1] == attempts,
          f'MLLP {answer}: exit {r.returncode}, {rows[0][0] if rows else "?"} after {rows[0][1] if rows else "?"} attempts (expected {code}, {state}, {attempts})')
# MLLP crash: 200 messages, kill -9, --resume.
mode.update(answer='AA', first_only=False)
many = b''.join(apply(patient_variant(work, n), '--output-format', 'hl7v2', '--requester', REQUESTER) for n in range(200))
controls = {m.split(b'|')[8] for m in many.split(b'MSH|')[1:] if m}  # MSH-10 (MSH-1 is the separator)
box = os.path.join(work, 'mllp-crash.sqlite')
processed.clear(); received.clear()
kills = kill_loop(['--mllp', f'127.0.0.1:{mllp_port}', '--outbox', box], many, 7, 1.0)
r = deliver('--mllp', f'127.0.0.1:{mllp_port}', '--outbox', box, '--resume', timeout=600)
status = json.loads(deliver('--status', '--json', '--outbox', box).stdout)
check(kills >= 20 and r.returncode == 0 and status['pending'] == 0 and status['dead'] == 0,
      f'MLLP crash: {kills} kills, --resume exit {r.returncode}, outbox {status}')
check({c.encode() for c in processed} == controls, f'MLLP crash: every one of {len(controls)} messages processed exactly once ({len(processed)})')
loop.call_soon_threadsafe(loop.stop)
shutil.rmtree(work, ignore_errors=True)
print(f'{len(failed)} failed')
sys.exit(1 if failed else 0)
