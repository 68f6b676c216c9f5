"""A relay on 127.0.0.1 in front of a real HTTP server (the test PKI's OCSP responder, CRL repository or TSA):
it forwards every request unchanged, counts it by method and path, and can add a fixed delay to each, as a
distant server would. The signing tests count what a letter fetches through it; ``bench/bench_lta.py`` makes
the PKI 50 ms away with it (:func:`relayed_pki`)."""
from __future__ import annotations

import collections
import contextlib
import http.client
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from naskah.ports import free_loopback_port

from pki import ARCH, SERVERS, LocalPki

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "upgrade"}


class HttpRelay:
    """Listen on ``port`` (0: any free one) and forward to ``127.0.0.1:upstream_port`` after ``delay`` seconds."""

    def __init__(self, upstream_port: int, *, port: int = 0, delay: float = 0.0):
        self.upstream_port = upstream_port
        self.delay = delay
        self._lock = threading.Lock()
        self._counts: collections.Counter[tuple[str, str]] = collections.Counter()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def record(self, method: str, path: str) -> None:
        with self._lock:
            self._counts[(method, path)] += 1

    def counts(self) -> collections.Counter[tuple[str, str]]:
        """Requests forwarded so far, by (method, path)."""
        with self._lock:
            return collections.Counter(self._counts)

    def total(self) -> int:
        return sum(self.counts().values())

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(relay: HttpRelay):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _forward(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            relay.record(self.command, self.path)
            if relay.delay:
                time.sleep(relay.delay)
            connection = http.client.HTTPConnection("127.0.0.1", relay.upstream_port, timeout=60)
            try:
                headers = {name: value for name, value in self.headers.items() if name.lower() not in _HOP}
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                status, answer, answer_headers = response.status, response.read(), response.getheaders()
            except OSError as exc:  # the server behind is down: a gateway's answer
                status, answer, answer_headers = 502, f"upstream down: {exc}".encode(), []
            finally:
                connection.close()
            try:
                self.send_response(status)
                for name, value in answer_headers:
                    if name.lower() not in _HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = _forward

    return Handler


class RelayedPki:
    """A :class:`LocalPki` whose certificates (and TSA address) name relays, each in front of its server."""

    def __init__(self, pki: LocalPki, relays: dict[str, HttpRelay]):
        self.pki = pki
        self.relays = relays

    @property
    def tsa_url(self) -> str:
        return f"http://127.0.0.1:{self.relays['tsa'].port}/{ARCH}/tsa/tsa"

    def counts(self) -> collections.Counter[tuple[str, str]]:
        """The requests all servers received, by (method, path)."""
        return sum((relay.counts() for relay in self.relays.values()), collections.Counter())

    def reset(self) -> None:
        for relay in self.relays.values():
            relay.reset()


#: ``certomancer`` with each private key parsed once: certomancer parses the TSA's (or the OCSP responder's) RSA
#: key again for every token it signs, about 50 ms of CPU that a real TSA does not spend; on a small machine
#: running the servers beside naskah, the benchmarks would charge it to naskah.
CERTOMANCER_KEEPING_KEYS = ("import functools; from cryptography.hazmat.primitives import serialization as s; "
                            "s.load_der_private_key = functools.lru_cache(maxsize=32)(s.load_der_private_key); "
                            "from certomancer.__main__ import launch; launch()")


def _start_keeping_keys(pki: LocalPki) -> None:
    """Start the PKI's servers as :meth:`LocalPki.start` does, with :data:`CERTOMANCER_KEEPING_KEYS`."""
    for name in SERVERS:
        with open(pki.folder / f"animate-{name}.log", "ab") as log:
            pki._processes[name] = subprocess.Popen(  # noqa: SLF001 - LocalPki.start waits for and stops them
                [sys.executable, "-c", CERTOMANCER_KEEPING_KEYS, "--config", str(pki.config_path), "--key-root",
                 str(pki.folder), "animate", "--port", str(pki.ports[name]), "--no-web-ui"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    pki.start()  # waits until each listens


@contextlib.contextmanager
def relayed_pki(folder: Path, delay: float = 0.0):
    """The test PKI generated in ``folder`` with its three servers running (each private key parsed once),
    each behind a relay adding ``delay`` seconds to every request; the relays listen where the certificates
    say the servers are."""
    pki = LocalPki(folder).generate()  # the certificates name pki.ports: the relays take those
    front = dict(pki.ports)
    pki.ports = {name: free_loopback_port() for name in SERVERS}
    relays = {name: HttpRelay(pki.ports[name], port=front[name], delay=delay) for name in SERVERS}
    try:
        _start_keeping_keys(pki)
        yield RelayedPki(pki, relays)
    finally:
        pki.stop()
        for relay in relays.values():
            relay.stop()
