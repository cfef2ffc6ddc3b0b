#!/usr/bin/env python3
"""Throughput of `rpl-adapter deliver` (a benchmark that prints numbers, not a test): messages per
second to a local sekmet-fhir server and to a local MLLP peer (python hl7), with the outbox's sync
(every commit on disk before the next send) and with --no-sync.
Usage: scripts/benchmark-deliver.py path/to/rpl-adapter [N]  (in the venv of scripts/test-deliver.sh)
"""
import asyncio, os, shutil, subprocess, sys, tempfile, threading, time
import hl7, hl7.mllp
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import Sekmet, free_port, patient_variant, put_profiles

adapter, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100
work = tempfile.mkdtemp(prefix='rpl-bench-deliver-')
profiles = put_profiles(work)


def batch(offset, *extra):
    return b''.join(subprocess.run([adapter, 'apply', '--profiles', profiles, '--as-of', '2026-11-02', *extra, patient_variant(work, offset + i, '8')],
                                   capture_output=True).stdout for i in range(n))


def timed(args, data):
    t0 = time.time()
    r = subprocess.run([adapter, 'deliver', *args], input=data, capture_output=True)
    assert r.returncode == 0, r.stderr.decode()[-500:]
    return n / (time.time() - t0)


with Sekmet(work) as server:
    base = server.base
    synced = timed(['--fhir', base, '--outbox', os.path.join(work, 'a.sqlite')], batch(0))
    unsynced = timed(['--fhir', base, '--outbox', os.path.join(work, 'b.sqlite'), '--no-sync'], batch(10000))
    print(f'deliver --fhir (sekmet-fhir, {n} transaction Bundles of 11 resources): {synced:.1f} messages/s with sync, {unsynced:.1f} with --no-sync')

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
