"""A reverse proxy on 127.0.0.1 in front of a real DMS (Mayan EDMS), which can be told to misbehave:
answer 500 instead of forwarding, or forward an upload (so the DMS stores it) and then answer only
after the client has given up waiting."""
from __future__ import annotations

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "upgrade"}


class FaultProxy:
    def __init__(self, upstream: str):
        self.upstream = urlsplit(upstream)
        self.lock = threading.Lock()
        self.failures: list[tuple[int, str | None, str]] = []  # status, method, path part
        self.slow_uploads = 0.0
        self.received: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, count: int, status: int = 500, method: str | None = None, path: str = "") -> None:
        with self.lock:
            self.failures.extend([(status, method, path)] * count)

    def uploads(self) -> int:
        with self.lock:
            return sum(1 for method, path in self.received if method == "POST" and "/documents/upload/" in path)


def _handler(proxy: FaultProxy):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            try:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in _HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _injected(self) -> int | None:
            with proxy.lock:
                for index, (status, method, path) in enumerate(proxy.failures):
                    if method in (None, self.command) and path in self.path:
                        del proxy.failures[index]
                        return status
            return None

        def _forward(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with proxy.lock:
                proxy.received.append((self.command, self.path))
            status = self._injected()
            if status is not None:
                return self._send(status, [("Content-Type", "application/json")],
                                  b'{"detail": "injected failure"}')
            connection = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=300)
            try:
                headers = {name: value for name, value in self.headers.items() if name.lower() not in _HOP}
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                answer_headers = response.getheaders()
            finally:
                connection.close()
            if self.command == "POST" and "/documents/upload/" in self.path and proxy.slow_uploads:
                time.sleep(proxy.slow_uploads)  # stored upstream; the client's timeout runs out meanwhile
            self._send(response.status, answer_headers, answer)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_OPTIONS = _forward

    return Handler
