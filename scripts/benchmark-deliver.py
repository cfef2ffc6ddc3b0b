#!/usr/bin/env python3
"""Throughput of `rpl-adapter deliver` (a benchmark that prints numbers, not a test): messages per
second to a local sekmet-fhir server and to a local MLLP peer (python hl7), with the outbox's sync
(every commit on disk before the next send) and with --no-sync.
Usage: scripts/benchmark-deliver.py path/to/rpl-adapter [N]  (in the venv of scripts/test-deliver.sh)
"""
import asyncio, json, os, shutil, signal, socket, subprocess, sys, tempfile, threading, time, urllib.request
import hl7, hl7.mllp

here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
adapter, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100
sekmet = os.path.join(os.path.dirname(sys.executable), 'sekmet')
work = tempfile.mkdtemp(prefix='rpl-bench-deliver-')
profiles = os.path.join(work, 'Profiles')
shutil.copytree(os.path.join(here, 'Profiles'), profiles)
site = os.path.join(profiles, 'Parameters-rpl-site.json')
text = open(site).read().replace('"valueCode": "conditional"', '"valueCode": "put"')
open(site, 'w').write(text)
source = json.load(open(os.path.join(here, 'Fixtures/indication-two-losses/input.json')))


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def batch(offset, *extra):
    out = b''
    for i in range(n):
        b = json.loads(json.dumps(source))
        for e in b['entry']:
            if e['resource']['resourceType'] == 'Patient':
                e['resource']['identifier'] = [{'system': 'http://fhir.nl/fhir/NamingSystem/bsn', 'value': f'8{offset + i:08d}'}]
        path = os.path.join(work, 'in.json')
        json.dump(b, open(path, 'w'))
        out += subprocess.run([adapter, 'apply', '--profiles', profiles, '--as-of', '2026-11-02', *extra, path], capture_output=True).stdout
    return out


def timed(args, data):
    t0 = time.time()
    r = subprocess.run([adapter, 'deliver', *args], input=data, capture_output=True)
    assert r.returncode == 0, r.stderr.decode()[-500:]
    return n / (time.time() - t0)


port = free_port()
server = subprocess.Popen([sekmet, 'serve', '--host', '127.0.0.1', '--port', str(port)], cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
try:
    for _ in range(100):
        try:
            urllib.request.urlopen(f'http://127.0.0.1:{port}/fhir/metadata', timeout=5); break
        except Exception:
            time.sleep(0.3)
    base = f'http://127.0.0.1:{port}/fhir'
    synced = timed(['--fhir', base, '--outbox', os.path.join(work, 'a.sqlite')], batch(0))
    unsynced = timed(['--fhir', base, '--outbox', os.path.join(work, 'b.sqlite'), '--no-sync'], batch(10000))
    print(f'deliver --fhir (sekmet-fhir, {n} transaction Bundles of 11 resources): {synced:.1f} messages/s with sync, {unsynced:.1f} with --no-sync')
finally:
    os.killpg(server.pid, signal.SIGTERM)

loop = asyncio.new_event_loop()
mllp_port = free_port()


async def handle(reader, writer):
    try:
        while True:
            m = await reader.readmessage()
            writer.writemessage(m.create_ack('AA')); await writer.drain()
    except Exception:
        pass
    finally:
        writer.close()


def serve():
    asyncio.set_event_loop(loop)
    loop.run_until_complete(hl7.mllp.start_hl7_server(handle, '127.0.0.1', mllp_port, encoding='utf-8'))
    loop.run_forever()

threading.Thread(target=serve, daemon=True).start()
time.sleep(1)
req = ['--output-format', 'hl7v2', '--requester', 'http://fhir.nl/fhir/NamingSystem/agb-z|01234567']
synced = timed(['--mllp', f'127.0.0.1:{mllp_port}', '--outbox', os.path.join(work, 'c.sqlite')], batch(20000, *req))
unsynced = timed(['--mllp', f'127.0.0.1:{mllp_port}', '--outbox', os.path.join(work, 'd.sqlite'), '--no-sync'], batch(30000, *req))
print(f'deliver --mllp (python hl7 peer, {n} OML^O21 messages of 6 orders): {synced:.1f} messages/s with sync, {unsynced:.1f} with --no-sync')
shutil.rmtree(work, ignore_errors=True)
