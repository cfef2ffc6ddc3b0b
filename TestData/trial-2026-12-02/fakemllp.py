#!/usr/bin/env python3
"""Fake MLLP receiver. usage: fakemllp.py PORT MODE LOGFILE (mode file LOGFILE.mode overrides). 127.0.0.1 only."""
import asyncio, sys, json, time
PORT, MODE, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
SB, EB = b'\x0b', b'\x1c\x0d'
def mode():
    try: return open(LOG + '.mode').read().strip()
    except Exception: return MODE
def ack(code, ctrl, extra_segs=(), msh9='ACK^O21^ACK'):
    segs = ['MSH|^~\\&|LAB|LAB|RPL|GYN|20261120||%s|A%s|P|2.5.1' % (msh9, ctrl[:19]), 'MSA|%s|%s' % (code, ctrl)] + list(extra_segs)
    return SB + ('\r'.join(segs) + '\r').encode() + EB
async def handle(r, w):
    buf = b''
    try:
        while True:
            chunk = await asyncio.wait_for(r.read(65536), 120)
            if not chunk: break
            buf += chunk
            while SB in buf and EB in buf:
                s = buf.index(SB); e = buf.index(EB, s)
                msg = buf[s+1:e].decode('utf-8', 'replace'); buf = buf[e+2:]
                segs = [x for x in msg.split('\r') if x]
                msh = segs[0].split('|'); ctrl = msh[9] if len(msh) > 9 else ''
                orc = [x.split('|') for x in segs if x.startswith('ORC')]
                m = mode()
                with open(LOG, 'a') as f: f.write(json.dumps({'t': time.time(), 'mode': m, 'ctrl': ctrl, 'segs': [x[:3] for x in segs], 'orc2': [o[2] for o in orc]}) + '\n')
                if m == 'aa': w.write(ack('AA', ctrl))
                elif m == 'ca': w.write(ack('CA', ctrl))
                elif m == 'ae205orc2': w.write(ack('AE', ctrl, ['ERR||ORC^1^2|205^Duplicate key identifier^HL70357|E']))
                elif m == 'ae205orc2-other': w.write(ack('AE', ctrl, ['ERR||ORC^99^2|205^Duplicate key identifier^HL70357|E']))
                elif m == 'ae205pid3': w.write(ack('AE', ctrl, ['ERR||PID^1^3|205^Duplicate key identifier^HL70357|E']))
                elif m == 'ae205noloc': w.write(ack('AE', ctrl, ['ERR|||205^Duplicate key identifier^HL70357|E']))
                elif m == 'aeword': w.write(ack('AE', ctrl, ['ERR|||207^Application internal error^HL70357|E|||Duplicate patient: order not accepted']))
                elif m == 'ae205plus': w.write(ack('AE', ctrl, ['ERR||ORC^1^2|205^Duplicate^HL70357|E', 'ERR||PID^1^7|102^Data type error^HL70357|E']))
                elif m == 'aerr1': w.write(ack('AE', ctrl, ['ERR|ORC^1^2^205']))
                elif m == 'ar': w.write(ack('AR', ctrl))
                elif m == 'ar200': w.write(ack('AR', ctrl, ['ERR|||200^Unsupported message type^HL70357|E']))
                elif m == 'ce': w.write(ack('CE', ctrl))
                elif m == 'cr': w.write(ack('CR', ctrl))
                elif m == 'wrongctrl': w.write(ack('AA', 'NOT' + ctrl[:10]))
                elif m == 'lowercase': w.write(ack('aa', ctrl))
                elif m == 'orlok': w.write(ack('AA', ctrl, ['ORC|OK|' + (orc[0][2] if orc else '')], msh9='ORL^O22^ORL_O22'))
                elif m == 'orlua': w.write(ack('AA', ctrl, ['ORC|UA|' + (orc[0][2] if orc else '')], msh9='ORL^O22^ORL_O22'))
                elif m == 'garbage': w.write(SB + b'\x00\xff hello not hl7' + EB)
                elif m == 'noframe': w.write(('MSH|^~\\&|LAB|LAB|||x||ACK|1|P|2.5.1\rMSA|AA|%s\r' % ctrl).encode())
                elif m == 'nothing': pass
                elif m == 'close': w.close(); return
                elif m == 'flood':
                    for _ in range(200): w.write(b'A' * (1024 * 1024)); await w.drain()
                elif m == 'drip':
                    w.write(SB); await w.drain()
                    for _ in range(60): w.write(b'A'); await w.drain(); await asyncio.sleep(1)
                elif m == 'twoacks': w.write(ack('AA', ctrl) + ack('AE', ctrl))
                await w.drain()
    except Exception as e:
        pass
    finally:
        try: w.close()
        except Exception: pass
async def main():
    srv = await asyncio.start_server(handle, '127.0.0.1', PORT)
    async with srv: await srv.serve_forever()
asyncio.run(main())
