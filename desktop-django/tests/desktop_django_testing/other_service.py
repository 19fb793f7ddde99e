"""Another local service on another loopback port, which a shell's window must never reach:
cookies ignore ports, so the token cookie set for 127.0.0.1:PORT would go to it too. It
records every request that arrives (path and Cookie header), so a test can assert none did."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class OtherLoopbackService:
    def __init__(self, path: str = "/"):
        self.requests: list[dict] = []
        requests = self.requests

        class Record(BaseHTTPRequestHandler):
            def do_GET(self):
                requests.append({"path": self.path, "cookie": self.headers.get("Cookie")})
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"<h1>somebody else's service</h1>")

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Record)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
