"""A small host DMS of the tests' own: a real HTTP server on 127.0.0.1 in a thread, with a REST API of the
kind the generic connector is configured for, and switches that make it misbehave.

API (bearer token)::

    POST /api/documents             multipart: file, title, doc_type, external_id, metadata (JSON)
                                    -> 201 {"data": {"id": "DOC-n", "links": {"self": URL}}}
    GET  /api/documents?external_id=K   -> {"items": [{"id": ..., "url": ...}, ...]}
    GET  /api/documents?sha256=S        -> the same, by the SHA-256 of the stored file
    GET  /api/me                    -> 200 {"user": "naskah"}

Faults: ``fail_next(n, status)`` answers the next n requests with that status (storing nothing);
``slow_uploads`` stores an upload, then waits that many seconds before answering; ``hold_uploads``
stores it, signals ``upload_received`` and waits for ``release`` before answering; ``upload_delay``
waits before storing (so that concurrent deliveries overlap). It never deduplicates: if the client sends
a letter twice, it holds two copies, which is what the tests look for.
"""
from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class StoredDocument:
    id: str
    filename: str
    sha256: str
    fields: dict
    metadata: dict
    content: bytes = field(repr=False)


class HostDms:
    def __init__(self, token: str = "host-dms-secret-token", port: int = 0, tls=None):
        self.token = token
        self.tls = tls  # an ssl.SSLContext: serve HTTPS
        self.port = port
        self.documents: list[StoredDocument] = []
        self.requests: list[tuple[str, str, int]] = []  # method, path, status: as answered
        self.received: list[tuple[str, str]] = []  # method, path: as they came in
        self.lock = threading.Lock()
        self.failures: list[tuple[int, str | None]] = []
        self.slow_uploads = 0.0
        self.upload_delay = 0.0
        self.hold_uploads = False
        self.upload_received = threading.Event()
        self.release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control
    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/api"

    def start(self) -> "HostDms":
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self._server.daemon_threads = True
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def fail_next(self, count: int, status: int = 500, method: str | None = None) -> None:
        """Answer the next ``count`` requests (of ``method``, or any) with ``status``, storing nothing."""
        with self.lock:
            self.failures.extend([(status, method)] * count)

    def copies(self, *, sha256: str | None = None, key: str | None = None) -> list[StoredDocument]:
        with self.lock:
            return [doc for doc in self.documents
                    if (sha256 is None or doc.sha256 == sha256)
                    and (key is None or doc.fields.get("external_id") == key)]

    def uploads_tried(self) -> int:
        with self.lock:
            return sum(1 for method, _ in self.received if method == "POST")

    # -- behaviour
    def _store(self, fields: dict, filename: str, content: bytes) -> StoredDocument:
        with self.lock:
            document = StoredDocument(
                id=f"DOC-{len(self.documents) + 1}", filename=filename, sha256=hashlib.sha256(content).hexdigest(),
                fields={k: v for k, v in fields.items() if k != "metadata"},
                metadata=json.loads(fields.get("metadata") or "{}"), content=content)
            self.documents.append(document)
            return document

    def _link(self, document: StoredDocument) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/documents/{document.id}"


def _handler(dms: HostDms):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            with dms.lock:
                dms.requests.append((self.command, self.path, status))
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                pass

        def _authorised(self) -> bool:
            if self.headers.get("Authorization") != f"Bearer {dms.token}":
                self._answer(401, {"error": "invalid or missing bearer token"})
                return False
            return True

        def _fault(self) -> bool:
            status = None
            with dms.lock:
                for index, (code, method) in enumerate(dms.failures):
                    if method in (None, self.command):
                        status = code
                        del dms.failures[index]
                        break
            if status is not None:
                self._answer(status, {"error": f"injected failure {status}"})
                return True
            return False

        def _arrived(self) -> None:
            with dms.lock:
                dms.received.append((self.command, self.path))

        def do_GET(self):
            self._arrived()
            if self._fault() or not self._authorised():
                return
            parts = urlsplit(self.path)
            if parts.path == "/api/me":
                return self._answer(200, {"user": "naskah"})
            if parts.path == "/api/documents":
                query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                found = dms.copies(sha256=query.get("sha256"), key=query.get("external_id"))
                if not query:
                    found = []
                return self._answer(200, {"items": [{"id": doc.id, "url": dms._link(doc)} for doc in found]})
            self._answer(404, {"error": "not found"})

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            self._arrived()
            if self._fault() or not self._authorised():
                return
            if urlsplit(self.path).path != "/api/documents":
                return self._answer(404, {"error": "not found"})
            fields, files = _multipart(self.headers.get("Content-Type", ""), body)
            if "file" not in files:
                return self._answer(400, {"error": "validation failed", "errors": {"file": ["required"]}})
            if not fields.get("title"):
                return self._answer(400, {"error": "validation failed", "errors": {"title": ["required"]}})
            if dms.upload_delay:
                time.sleep(dms.upload_delay)
            filename, content = files["file"]
            document = dms._store(fields, filename, content)
            if dms.hold_uploads:
                dms.upload_received.set()
                dms.release.wait(30)
            if dms.slow_uploads:
                time.sleep(dms.slow_uploads)
            self._answer(201, {"data": {"id": document.id, "links": {"self": dms._link(document)}}})

    return Handler


def _multipart(content_type: str, body: bytes) -> tuple[dict, dict]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body)
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        if filename is not None:
            files[name] = (filename, payload)
        else:
            fields[name] = payload.decode(part.get_content_charset() or "utf-8")
    return fields, files


def tls_for_localhost(directory):
    """A test CA and a certificate for 127.0.0.1 it signed: the server's TLS context, and the CA file."""
    import datetime as dt
    import ipaddress
    import ssl
    from pathlib import Path

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "naskah test DMS CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    directory = Path(directory)
    ca_file, cert_file, key_file = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, ca_file
