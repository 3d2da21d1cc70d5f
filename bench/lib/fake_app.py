"""fake_app.py PORT MEDIA_DIR RECORD_FILE: stands in for the Next app and for a runner that accepts
jobs and does nothing, so that a bench can drive the transfers itself.

  GET|HEAD /api/media/{id}/source|subtitles|comments-data   MEDIA_DIR/{id}.mp4|.vtt|.json, sent with
                                                            sendfile (the source is never the bottleneck)
  POST /api/render/cf-callback                              appended to RECORD_FILE, 200 {"ok":true}
  POST .../render                                           appended to RECORD_FILE as {"render": body}, 202
Signatures are not checked (the service under test signs; this is not what is measured)."""
import json, os, re, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, media, record = int(sys.argv[1]), sys.argv[2], sys.argv[3]
SUFFIX = {"source": ".mp4", "subtitles": ".vtt", "comments-data": ".json"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, doc):
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET(head=True)

    def do_GET(self, head=False):
        m = re.fullmatch(r"/api/media/([A-Za-z0-9][A-Za-z0-9_-]*)/(source|subtitles|comments-data)", self.path)
        path = m and os.path.join(media, m.group(1) + SUFFIX[m.group(2)])
        if not path or not os.path.isfile(path):
            return self.answer(404, {"error": "not found"})
        size = os.path.getsize(path)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if not head:
            self.wfile.flush()
            with open(path, "rb") as f:
                self.connection.sendfile(f)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        doc = json.loads(body or b"{}")
        if self.path == "/api/render/cf-callback":
            self.save(doc)
            return self.answer(200, {"ok": True})
        if self.path.endswith("/render"):
            self.save({"render": doc})
            return self.answer(202, {"jobId": doc.get("jobId")})
        self.answer(404, {"error": "not found"})

    def save(self, doc):
        with open(record, "a") as f:
            f.write(json.dumps(doc) + "\n")


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
