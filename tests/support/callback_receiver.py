"""The host's callback endpoint on 127.0.0.1, as the service tests need it: it records every call."""
from __future__ import annotations

import http.server
import threading
import time


class CallbackReceiver:
    """The host's callback endpoint on 127.0.0.1: answers 503 to the first try, then 200; records everything."""

    def __init__(self, failures_first: int = 1):
        self.calls: list[dict] = []
        self.failures_first = failures_first
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.calls.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                       "time": time.monotonic()})
                self.send_response(503 if len(receiver.calls) <= receiver.failures_first else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.prefix = f"http://127.0.0.1:{self.port}/naskah/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
