#!/usr/bin/env python3
"""`rpl-adapter deliver` against real peers started here on 127.0.0.1 (and stopped here):

1. sekmet-fhir (PyPI): every fixture output delivered; the server then holds exactly the expected
   resources (counted per type against the distinct ids of the outputs); delivering again adds none,
   and so does the same record evaluated a week later (interface.md v2, Identity), beyond the ids
   that really are new. sekmet gets request style put: it has no identifier search for
   RiskAssessment, so ifNoneExist cannot work there (README: which style suits which server).
   The same input to a second destination (the proxy's URL) is taken in again and received whole;
   --status counts per destination.
2. Faults, through a small fault-injecting HTTP proxy in front of sekmet: 503 with Retry-After, 429,
   500, a connection dropped after the server got the request, a stall past the timeout, a 400 and
   a 501 that go dead at once, a Retry-After beyond --max-wait (left pending), a short
   transaction-response (an entry dropped: not delivered), a cross-origin 307 (not followed); each
   with its attempt count read from the outbox (sqlite3). A closed port: the run stops within 10 s
   (exit 75). A 401 until the token is "fixed", then --requeue-dead and --resume deliver it. A header
   value with CR is refused and appears nowhere. Paths: missing folder, folder, device (74); --status
   or --resume with no outbox (66, nothing created). An XML Bundle from apply is delivered.
3. Crash: the deliverer kills itself (SIGKILL, RPL_DELIVER_TEST_KILL_AFTER=N, for tests only) right
   after its Nth answer arrives, before it is recorded, or right after recording, for several N,
   then a few external kill -9 at seeded random moments (nothing asserted about them), then --resume:
   every resource on the server exactly once, the outbox all delivered. Only outcomes are asserted,
   never a count that depends on the machine's speed. The same over MLLP.
4. MLLP: python `hl7`'s asyncio MLLP server answering AA, AR, AE, CR, AE with a located 205
   (delivered), AE with a 205 at PID-3 or the word "duplicate" only (dead), or nothing; every message
   processed once (by MSH-10), resends acknowledged and not processed twice; broken HL7 refused.
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


KILL_AFTER = [1, 3, 2, 7, 1, 5, 11, 4, 2, 9]  # answers before each self-kill: 45 in all, fewer than the 200 messages


def kill_points(args, data):
    """deliver over `data`, the process killing itself (SIGKILL) right after its Nth answer, for each
    N in KILL_AFTER, alternately before the answer is recorded and after. Deterministic: every run
    is killed (more than N messages are pending each time). Returns the runs' exit statuses."""
    codes = []
    for i, n in enumerate(KILL_AFTER):
        env = dict(os.environ, RPL_DELIVER_TEST_KILL_AFTER=str(n), RPL_DELIVER_TEST_KILL_POINT='received' if i % 2 == 0 else 'recorded')
        codes.append(subprocess.run([adapter, 'deliver', *args], input=data, env=env, capture_output=True, timeout=300).returncode)
    return codes


def random_kills(args, data, seed, longest, runs=5):
    """A few real external kill -9 at seeded random moments; nothing is asserted about how many
    land (a slow machine may finish first): only the outcome afterwards counts."""
    rng = random.Random(seed)
    for _ in range(runs):
        p = subprocess.Popen([adapter, 'deliver', *args], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            p.stdin.write(data); p.stdin.close()
        except BrokenPipeError:
            pass
        try:
            p.wait(timeout=rng.uniform(0.05, longest))
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL); p.wait()


def totals(status):
    return {k: status.get(k) for k in ('pending', 'delivered', 'dead')}


def secret_nowhere(secret, *streams):
    """The secret in none of the streams and no file under the work folder (outboxes, logs, WAL)."""
    for root, _, files in os.walk(work):
        for f in files:
            try:
                if secret in open(os.path.join(root, f), 'rb').read():
                    return False
            except OSError:
                pass
    return all(secret not in s for s in streams)


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
    check(totals(status) == {'pending': 0, 'delivered': len(sendable), 'dead': 0} and list(status['destinations']) == [base],
          f'--status --json {totals(status)} ({len(sendable)} distinct plans), one destination')
    # The same records evaluated a week later: the same ids (nothing new) but where the situation
    # really changed (a result that left the lookback window).
    later = b''.join(o if o.endswith(b'\n') else o + b'\n' for o in (apply(p, as_of='2026-11-09') for p in fixtures) if o.strip())
    new_ids = sum(expected_counts(ndjson + later).values()) - sum(expected.values())
    r = deliver('--fhir', base, '--outbox', os.path.join(work, 'a3.sqlite'), stdin=later)
    check(r.returncode == 0 and counts() == expected_counts(ndjson + later), f'a week later: the server adds only the {new_ids} new ids')

    # 2. Faults through a proxy. One bundle per case: a fixture output for another patient.
    plan = {'mode': 'pass', 'count': 0, 'always': False}
    on_server = []  # Bundles delivered through the proxy (or received by the server), for the final count

    class Proxy(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a): pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
            plan['count'] += 1
            first = plan['count'] == 1
            mode = plan['mode'] if first or plan['always'] else 'pass'
            if mode in ('503', '429', '400', '500', '501', '401', '503-long'):
                self.send_response(503 if mode == '503-long' else int(mode))
                if mode == '503': self.send_header('Retry-After', '1')
                if mode == '503-long': self.send_header('Retry-After', '3600')
                payload = b'{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","diagnostics":"injected"}]}'
                self.send_header('Content-Type', 'application/fhir+json'); self.send_header('Content-Length', str(len(payload))); self.end_headers()
                self.wfile.write(payload)
                return
            if mode == '307':        # to another origin (sekmet itself): must not be followed
                self.send_response(307); self.send_header('Location', base); self.send_header('Content-Length', '0'); self.end_headers()
                return
            req = urllib.request.Request(base, data=body, method='POST', headers={'Content-Type': 'application/fhir+json'})
            with urllib.request.urlopen(req, timeout=60) as resp:
                answer = resp.read()
                status = resp.status
            if mode == 'drop':       # the server did the work; the answer never arrives
                self.connection.shutdown(socket.SHUT_RDWR); self.connection.close(); return
            if mode == 'stall':      # past the client's timeout (10 s in the fault runs)
                time.sleep(30); self.connection.close(); return
            if mode == 'short':      # the server did the work; the answer lacks an entry
                j = json.loads(answer); j['entry'] = j['entry'][:-1]; answer = json.dumps(j).encode()
            if plan['mode'] == 'slow':
                time.sleep(4)
            self.send_response(status)
            self.send_header('Content-Type', 'application/fhir+json'); self.send_header('Content-Length', str(len(answer))); self.end_headers()
            self.wfile.write(answer)

    proxy_port = free_port()
    proxy = http.server.ThreadingHTTPServer(('127.0.0.1', proxy_port), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    variant = lambda n: patient_variant(work, n)

    # The same input to a second destination (the proxy's URL, same outbox): taken in again, all received.
    plan.update(mode='pass', count=0)
    box = os.path.join(work, 'a.sqlite')
    r = deliver('--fhir', f'http://127.0.0.1:{proxy_port}/fhir', '--outbox', box, stdin=ndjson)
    status = json.loads(deliver('--status', '--json', '--outbox', box).stdout)
    check(r.returncode == 0 and f'taken in {len(sendable)} new'.encode() in r.stderr and plan['count'] == len(sendable),
          f'a second destination: taken in again and all {len(sendable)} received ({plan["count"]} requests, exit {r.returncode})')
    check(status['destinations'] == {base: {'pending': 0, 'delivered': len(sendable), 'dead': 0},
                                     f'http://127.0.0.1:{proxy_port}/fhir': {'pending': 0, 'delivered': len(sendable), 'dead': 0}}
          and status['delivered'] == 2 * len(sendable), f'--status counts per destination and in all: {status}')
    text = deliver('--status', '--outbox', box).stdout.decode()
    check(text.startswith(f'total: pending 0, delivered {2 * len(sendable)}, dead 0\n') and base in text, '--status as text: the total, then a line per destination')

    for n, (mode, state, attempts, code) in enumerate([('503', 'delivered', 2, 0), ('429', 'delivered', 2, 0), ('500', 'delivered', 2, 0),
                                                      ('drop', 'delivered', 2, 0), ('stall', 'delivered', 2, 0), ('400', 'dead', 1, 65),
                                                      ('501', 'dead', 1, 65), ('503-long', 'pending', 1, 75), ('short', 'dead', 1, 65),
                                                      ('307', 'dead', 1, 65)]):
        plan.update(mode=mode, count=0)
        bundle = apply(variant(1000 + n))
        before = counts()
        t0 = time.time()
        box = os.path.join(work, f'fault-{mode}.sqlite')
        # --timeout 10: the answer a real transaction gives in time on a loaded machine (with 1 s,
        # a slow second attempt was a third); the stall is longer still.
        r = deliver('--fhir', f'http://127.0.0.1:{proxy_port}/fhir', '--outbox', box, '--timeout', '10', '--max-wait', '2', stdin=bundle, timeout=300)
        rows = outbox_rows(box)
        check(r.returncode == code and rows and rows[0][0] == state and rows[0][1] == attempts,
              f'{mode}: exit {r.returncode}, {rows[0][0] if rows else "?"} after {rows[0][1] if rows else "?"} attempts (expected {code}, {state}, {attempts})')
        if mode == '503':
            check(time.time() - t0 >= 1, '503: Retry-After 1 was honoured')
        if mode == '503-long':
            # At once: one attempt, one request at the receiver (a wait would have been a retry).
            check(plan['count'] == 1, f'503 with Retry-After 3600 beyond --max-wait 2: left pending at once ({plan["count"]} requests)')
        added = sum(counts().values()) - sum(before.values())
        if state == 'delivered' or mode == 'short':
            on_server.append(bundle)
            check(added == sum(expected_counts(bundle).values()), f'{mode}: each resource once on the server (+{added}, a new patient)')
        if mode == 'short':
            check(b'entries for' in (rows[0][2] or '').encode(), f'short: the answer kept ({(rows[0][2] or "")[:80]!r})')
        if mode == '307':
            check(added == 0 and plan['count'] == 1 and base in (rows[0][2] or ''), f'307 to another origin: not followed (+{added} on the server), Location kept')

    # A receiver that is down: two messages to a closed port end the run (exit 75), both pending
    # (a run that kept trying would end only at the subprocess timeout: an error here).
    closed = free_port()
    r = deliver('--fhir', f'http://127.0.0.1:{closed}/fhir', '--outbox', os.path.join(work, 'closed.sqlite'),
                stdin=apply(variant(3000)) + apply(variant(3001)), timeout=300)
    rows = outbox_rows(os.path.join(work, 'closed.sqlite'))
    check(r.returncode == 75 and [x[0] for x in rows] == ['pending', 'pending'],
          f'closed port: exit {r.returncode}, {[x[0] for x in rows]}')
    r = deliver('--fhir', base, '--outbox', os.path.join(work, 'closed.sqlite'), '--resume')
    check(r.returncode == 0 and f'taken in'.encode() not in r.stderr and rows and all(x[0] == 'pending' for x in rows)
          and all(x[0] == 'pending' for x in outbox_rows(os.path.join(work, 'closed.sqlite'))), '--resume to another destination sends nothing (never re-targets)')

    # --max-time bounds a run: a receiver that stalls every answer (30 s timeout), stopped after 2 s.
    plan.update(mode='stall', count=0, always=True)
    bundle = apply(variant(3300))
    t0 = time.time()
    r = deliver('--fhir', f'http://127.0.0.1:{proxy_port}/fhir', '--outbox', os.path.join(work, 'max-time.sqlite'), '--timeout', '30', '--max-time', '2', stdin=bundle, timeout=300)
    # Under 25 s: the run ended by --max-time, not by the 30 s answer timeout (its log says which).
    check(r.returncode == 75 and b'--max-time reached' in r.stderr and time.time() - t0 < 25
          and [x[0] for x in outbox_rows(os.path.join(work, 'max-time.sqlite'))] == ['pending'],
          f'--max-time 2 with a stalling receiver: exit {r.returncode} after {time.time() - t0:.1f} s, left pending')
    on_server.append(bundle)  # the stalling proxy passed it on before stalling
    plan.update(mode='pass', count=0, always=False)

    # 401 until the token is fixed: dead; --requeue-dead (for that destination) then --resume delivers it.
    plan.update(mode='401', count=0, always=True)
    box = os.path.join(work, 'requeue.sqlite')
    proxied = f'http://127.0.0.1:{proxy_port}/fhir'
    bundle = apply(variant(3100))
    r = deliver('--fhir', proxied, '--outbox', box, stdin=bundle)
    check(r.returncode == 65 and [x[0] for x in outbox_rows(box)] == ['dead'], f'401: dead (exit {r.returncode})')
    plan.update(mode='pass', count=0, always=False)
    r = deliver('--requeue-dead', '--destination', 'http://127.0.0.1:1/other', '--outbox', box)
    check(r.returncode == 0 and b'requeued 0 dead' in r.stderr and [x[0] for x in outbox_rows(box)] == ['dead'], f'--requeue-dead for another destination: nothing moved (exit {r.returncode})')
    r = deliver('--requeue-dead', '--destination', proxied, '--outbox', box)
    check(r.returncode == 0 and b'requeued Bundle for' in r.stderr and [x[0] for x in outbox_rows(box)] == ['pending'],
          f'--requeue-dead: moved back to pending, logged (exit {r.returncode})')
    r = deliver('--fhir', proxied, '--outbox', box, '--resume')
    check(r.returncode == 0 and [x[0] for x in outbox_rows(box)] == ['delivered'], f'--requeue-dead then --resume: delivered (exit {r.returncode})')
    on_server.append(bundle)
    r = deliver('--requeue-dead', '--outbox', os.path.join(work, 'nothing-here.sqlite'))
    check(r.returncode == 66 and not glob.glob(os.path.join(work, 'nothing-here*')), f'--requeue-dead with no outbox: exit {r.returncode}, nothing created')

    # A header value with CR: refused (64), shown nowhere, nothing created.
    r = deliver('--fhir', proxied, '--outbox', os.path.join(work, 'cr.sqlite'), '--header', 'Authorization: Bearer CR-TOKEN-777\r\nX-Injected: 1', stdin=bundle)
    check(r.returncode == 64 and not glob.glob(os.path.join(work, 'cr.sqlite*')), f'a header with CR: exit {r.returncode}, no outbox')
    check(secret_nowhere(b'CR-TOKEN-777', r.stdout, r.stderr), 'a header with CR: its value in no stream and no file')

    # Paths.
    for path, code, what in [(os.path.join(work, 'no-folder', 'o.sqlite'), 74, 'a missing folder'), (work, 74, 'a folder'), ('/dev/null', 74, 'a device')]:
        r = deliver('--fhir', base, '--outbox', path, stdin=bundle)
        check(r.returncode == code and len(r.stderr.strip().splitlines()) == 1, f'outbox in {what}: exit {r.returncode}, {r.stderr.decode().strip()!r}')
    for flag in (['--status'], ['--fhir', base, '--resume']):
        r = deliver(*flag, '--outbox', os.path.join(work, 'none.sqlite'))
        check(r.returncode == 66 and not glob.glob(os.path.join(work, 'none.sqlite*')), f'{flag[-1]} with no outbox: exit {r.returncode}, nothing created')

    # An XML Bundle (apply --output-format xml) is delivered (as JSON).
    xml = apply(variant(3200), '--output-format', 'xml')
    before = counts()
    r = deliver('--fhir', base, '--outbox', os.path.join(work, 'xml.sqlite'), stdin=xml)
    added = sum(counts().values()) - sum(before.values())
    json_twin = apply(variant(3200))
    check(xml.lstrip().startswith(b'<') and r.returncode == 0 and added == sum(expected_counts(json_twin).values()),
          f'an XML Bundle: delivered (exit {r.returncode}), +{added} resources')
    on_server.append(json_twin)

    # SIGTERM: the message in flight is finished, the rest stays pending (exit 75); a header's
    # value (a token) is never in the outbox or the log.
    plan.update(mode='slow', count=0)
    five = b''.join(apply(variant(2000 + n)) for n in range(5))
    box = os.path.join(work, 'term.sqlite')
    five_file = os.path.join(work, 'five.ndjson')
    open(five_file, 'wb').write(five)
    p = subprocess.Popen([adapter, 'deliver', '--fhir', f'http://127.0.0.1:{proxy_port}/fhir', '--outbox', box, '--header', 'Authorization: Bearer SECRET-TOKEN-123', five_file],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Wait (bounded) until the first is delivered, reading --status while the deliverer runs; each
    # message takes 4 s at the proxy, so SIGTERM lands with some still to go (16 s of them after
    # the first), however slow the machine.
    st, seen = None, {}
    for _ in range(600):
        st = deliver('--status', '--json', '--outbox', box, timeout=120)
        if st.returncode == 0:
            seen = totals(json.loads(st.stdout))
            if seen['delivered'] >= 1:
                break
        time.sleep(0.1)
    check(st.returncode == 0 and sum(seen.values()) == 5 and p.poll() is None, f'--status while a deliverer runs: exit {st.returncode} {seen}')
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=120)
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

    # 3. Crash: killed at deterministic points over 200 bundles, a few random kill -9, then --resume.
    many = b''.join(apply(variant(n)) for n in range(200))
    box = os.path.join(work, 'crash.sqlite')
    codes = kill_points(['--fhir', base, '--outbox', box], many)
    check(all(c == -signal.SIGKILL for c in codes), f'{len(codes)} runs, each killed at its point (exit statuses {set(codes)})')
    random_kills(['--fhir', base, '--outbox', box], many, 20261126, 1.5)
    r = deliver('--fhir', base, '--outbox', box, '--resume', timeout=600)
    status = json.loads(deliver('--status', '--json', '--outbox', box).stdout)
    check(r.returncode == 0 and totals(status) == {'pending': 0, 'delivered': 200, 'dead': 0}, f'--resume: exit {r.returncode}, outbox {totals(status)}')
    final = counts()
    everything = expected_counts(ndjson + later + many + b''.join(on_server) + five)
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
            err = {'AE-205-ORC2': 'ERR||ORC^1^2|205^Duplicate key identifier^HL70357|E',      # the order is already there
                   'AE-205-PID': 'ERR||PID^1^3|205^Duplicate key identifier^HL70357|E',       # the patient: a refusal
                   'AE-205-nowhere': 'ERR|||205^Duplicate key identifier^HL70357|E',          # no location: a refusal
                   'AE-word': 'ERR|||207^Duplicate patient: order not accepted^HL70357|E'}.get(answer)
            if err:
                text += '\r' + err
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
check(ready.wait(120), 'the MLLP peer listens')
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
                                                 ('AE-205-ORC2', False, 'delivered', 1, 0), ('AE-205-PID', False, 'dead', 1, 65),
                                                 ('AE-205-nowhere', False, 'dead', 1, 65), ('AE-word', False, 'dead', 1, 65), ('CR', False, 'dead', 1, 65)]:
    mode.update(answer=answer, first_only=first_only, seen=0)
    box = os.path.join(work, f'mllp-{answer}.sqlite')
    r = deliver('--mllp', f'127.0.0.1:{mllp_port}', '--outbox', box, '--timeout', '1', '--max-wait', '1', stdin=one)
    rows = outbox_rows(box)
    check(r.returncode == code and rows and rows[0][0] == state and rows[0][1] == attempts,
          f'MLLP {answer}: exit {r.returncode}, {rows[0][0] if rows else "?"} after {rows[0][1] if rows else "?"} attempts (expected {code}, {state}, {attempts})')
    if state == 'dead':
        check('MSA|AE' in (rows[0][2] or '') or 'MSA|CR' in (rows[0][2] or ''), f'MLLP {answer}: the answer kept in the outbox')
mode.update(answer='AA', first_only=False, seen=0)
# A second MLLP destination (another listener) receives everything; --status counts both.
second_port = free_port()
asyncio.run_coroutine_threadsafe(hl7.mllp.start_hl7_server(handle, '127.0.0.1', second_port, encoding='utf-8'), loop).result(10)
box = os.path.join(work, 'mllp.sqlite')
before = len(received)
r = deliver('--mllp', f'127.0.0.1:{second_port}', '--outbox', box, '--timeout', '5', stdin=hl7_in)
status = json.loads(deliver('--status', '--json', '--outbox', box).stdout)
check(r.returncode == 0 and len(received) - before == len(bodies) and sorted(status['destinations']) == sorted([f'mllp://127.0.0.1:{mllp_port}', f'mllp://127.0.0.1:{second_port}']),
      f'MLLP: a second destination receives all {len(bodies)} ({len(received) - before}); per destination: {status["destinations"]}')
# Broken HL7 v2 (segments ending in \n): refused whole, nothing sent.
before = len(received)
r = deliver('--mllp', f'127.0.0.1:{mllp_port}', '--outbox', os.path.join(work, 'broken.sqlite'), stdin=one + one.replace(b'\r', b'\n'))
check(r.returncode == 65 and len(received) == before, f'broken HL7 v2: exit {r.returncode}, nothing sent')
r = deliver('--mllp', f'127.0.0.1:{mllp_port}', '--outbox', os.path.join(work, 'broken.sqlite'), stdin=one[:-1])
check(r.returncode == 65 and len(received) == before, f'HL7 v2 without the last segment terminator: exit {r.returncode}, nothing sent')
# A closed port: two messages, the run ends with exit 75 (one that kept trying would reach the
# subprocess timeout: an error here).
r = deliver('--mllp', f'127.0.0.1:{free_port()}', '--outbox', os.path.join(work, 'mllp-closed.sqlite'), stdin=hl7_in[:hl7_in.index(b'MSH|', hl7_in.index(b'MSH|', 4) + 4)], timeout=300)
check(r.returncode == 75, f'MLLP closed port: exit {r.returncode}')
# MLLP crash: 200 messages, killed at deterministic points and a few random kill -9, --resume.
mode.update(answer='AA', first_only=False)
many = b''.join(apply(patient_variant(work, n), '--output-format', 'hl7v2', '--requester', REQUESTER) for n in range(200))
controls = {m.split(b'|')[8] for m in many.split(b'MSH|')[1:] if m}  # MSH-10 (MSH-1 is the separator)
box = os.path.join(work, 'mllp-crash.sqlite')
processed.clear(); received.clear()
codes = kill_points(['--mllp', f'127.0.0.1:{mllp_port}', '--outbox', box], many)
random_kills(['--mllp', f'127.0.0.1:{mllp_port}', '--outbox', box], many, 7, 1.0)
r = deliver('--mllp', f'127.0.0.1:{mllp_port}', '--outbox', box, '--resume', timeout=600)
status = json.loads(deliver('--status', '--json', '--outbox', box).stdout)
check(all(c == -signal.SIGKILL for c in codes) and r.returncode == 0 and totals(status) == {'pending': 0, 'delivered': len(controls), 'dead': 0},
      f'MLLP crash: {len(codes)} runs each killed at its point ({set(codes)}), --resume exit {r.returncode}, outbox {totals(status)}')
check({c.encode() for c in processed} == controls, f'MLLP crash: every one of {len(controls)} messages processed exactly once ({len(processed)})')
loop.call_soon_threadsafe(loop.stop)
shutil.rmtree(work, ignore_errors=True)
print(f'{len(failed)} failed')
sys.exit(1 if failed else 0)
