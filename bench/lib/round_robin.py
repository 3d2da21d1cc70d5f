"""round_robin.py BIND_HOST PORT BACKEND...: what a Kubernetes Service is to its pods, for a bench on
one machine: each request goes to the next backend in turn (a refused connection: the next one);
the answer, a 429 included, is relayed as it is. Bodies are small JSON (dispatches, probes, cancels):
media goes to the bucket or the orchestrator, never through here."""
import http.client
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

bind, port, backends = sys.argv[1], int(sys.argv[2]), [urlsplit(b) for b in sys.argv[3:]]
turn = [0]
lock = threading.Lock()
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection", "host", "content-length"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def relay(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        with lock:
            start = turn[0]
            turn[0] += 1
        for i in range(len(backends)):
            b = backends[(start + i) % len(backends)]
            try:
                c = http.client.HTTPConnection(b.hostname, b.port, timeout=60)
                c.request(self.command, self.path, body=body or None,
                          headers={k: v for k, v in self.headers.items() if k.lower() not in HOP})
                r = c.getresponse()
                data = r.read()
            except ConnectionRefusedError:
                continue
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in HOP:
                    self.send_header(k, v)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_response(503)
        self.send_header("content-length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = do_HEAD = relay


ThreadingHTTPServer((bind, port), Handler).serve_forever()
