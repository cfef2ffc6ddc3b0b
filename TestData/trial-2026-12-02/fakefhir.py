#!/usr/bin/env python3
"""Fake FHIR server for trying rpl-adapter deliver. 127.0.0.1 only.
usage: fakefhir.py PORT MODE LOGFILE   (mode may be changed at run time by writing MODEFILE=LOGFILE+'.mode')"""
import http.server, json, sys, time, socketserver, os
PORT, MODE, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
state = {'n': 0}
def mode():
    try: return open(LOG + '.mode').read().strip()
    except Exception: return MODE
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def log_message(self, *a): pass
    def reply(self, code, body=b'', ctype='application/fhir+json', extra=()):
        if isinstance(body, (dict, list)): body = json.dumps(body).encode()
        self.send_response(code)
        self.send_header('Content-Type', ctype); self.send_header('Content-Length', str(len(body)))
        for k, v in extra: self.send_header(k, v)
        self.end_headers(); self.wfile.write(body)
    def do_GET(self): self.do_POST()
    def do_PUT(self): self.do_POST()
    def do_POST(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n) if n else b''
        state['n'] += 1; m = mode()
        try: b = json.loads(body)
        except Exception: b = {}
        entries = b.get('entry', []) if isinstance(b, dict) else []
        with open(LOG, 'a') as f:
            f.write(json.dumps({'t': time.time(), 'n': state['n'], 'mode': m, 'method': self.command, 'path': self.path,
                    'headers': dict(self.headers), 'type': b.get('type') if isinstance(b, dict) else None,
                    'ident': (b.get('identifier') or {}).get('value') if isinstance(b, dict) else None,
                    'entries': len(entries), 'len': n}) + '\n')
        rtype = 'batch-response' if isinstance(b, dict) and b.get('type') == 'batch' else 'transaction-response'
        def resp(k, status='201 Created', t=rtype):
            return {'resourceType': 'Bundle', 'type': t, 'entry': [{'response': {'status': status}} for _ in range(k)]}
        if m == 'ok': return self.reply(200, resp(len(entries)))
        if m == 'short': return self.reply(200, resp(max(0, len(entries) - 1)))
        if m == 'long': return self.reply(200, resp(len(entries) + 1))
        if m == 'wrongtype': return self.reply(200, resp(len(entries), t='batch-response' if rtype == 'transaction-response' else 'transaction-response'))
        if m == 'onebad':
            r = resp(len(entries)); r['entry'][-1]['response']['status'] = '400 Bad Request'; return self.reply(200, r)
        if m == 'nocode': return self.reply(200, resp(len(entries), status='Created'))
        if m == 'barecode': return self.reply(200, resp(len(entries), status='201'))
        if m == 'status412':
            r = resp(len(entries)); r['entry'][0]['response']['status'] = '412 Precondition Failed'; return self.reply(200, r)
        if m == 'nonjson': return self.reply(200, b'<html>hello</html>', 'text/html')
        if m == 'empty200': return self.reply(200, b'')
        if m == 'html-ok': return self.reply(200, json.dumps(resp(len(entries))).encode(), 'text/html')
        if m.startswith('s') and m[1:4].isdigit():
            code = int(m[1:4]); extra = []
            if m.endswith('ra1'): extra = [('Retry-After', '1')]
            if m.endswith('ralong'): extra = [('Retry-After', '3600')]
            if m.endswith('radate'): extra = [('Retry-After', 'Wed, 21 Oct 2099 07:28:00 GMT')]
            if m.endswith('rajunk'): extra = [('Retry-After', 'soon-ish')]
            if m.endswith('raneg'): extra = [('Retry-After', '-5')]
            return self.reply(code, {'resourceType': 'OperationOutcome', 'issue': [{'severity': 'error', 'code': 'exception', 'diagnostics': 'echo: ' + str(self.headers.get('Authorization'))}]}, extra=extra)
        if m == 'then-ok':  # 503 once then ok
            if state['n'] == 1: return self.reply(503, b'{}', extra=[('Retry-After', '1')])
            return self.reply(200, resp(len(entries)))
        if m == 'slow': time.sleep(40); return self.reply(200, resp(len(entries)))
        if m == 'redir-other': return self.reply(307, b'', extra=[('Location', 'http://127.0.0.2:%d/fhir' % PORT)])
        if m == 'redir-302': return self.reply(302, b'', extra=[('Location', '/fhir')])
        if m == 'redir-same-loop': return self.reply(307, b'', extra=[('Location', self.path + 'x')])
        if m == 'redir-same-once':
            if not self.path.startswith('/moved'): return self.reply(308, b'', extra=[('Location', '/moved/fhir')])
            return self.reply(200, resp(len(entries)))
        if m == 'drop': self.close_connection = True; self.connection.shutdown(2); return
        if m == 'huge':
            size = 300 * 1024 * 1024
            self.send_response(200); self.send_header('Content-Type', 'application/fhir+json'); self.send_header('Content-Length', str(size)); self.end_headers()
            chunk = b' ' * (1024 * 1024)
            try:
                for _ in range(300): self.wfile.write(chunk)
            except Exception: pass
            return
        if m == 'trickle':  # one byte per second, never finishing within a minute
            self.send_response(200); self.send_header('Content-Type', 'application/fhir+json'); self.send_header('Content-Length', '100000'); self.end_headers()
            try:
                for _ in range(120): self.wfile.write(b' '); self.wfile.flush(); time.sleep(1)
            except Exception: pass
            return
        if m == 'badlen':  # Content-Length larger than body, then close
            self.send_response(200); self.send_header('Content-Type', 'application/fhir+json'); self.send_header('Content-Length', '5000'); self.end_headers()
            self.wfile.write(json.dumps(resp(len(entries))).encode()); self.close_connection = True; return
        return self.reply(500, b'unknown mode')
class S(socketserver.ThreadingMixIn, http.server.HTTPServer): daemon_threads = True
S(('127.0.0.1', PORT), H).serve_forever()
