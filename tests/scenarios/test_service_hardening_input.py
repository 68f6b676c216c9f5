"""Issue 13, what a client sends: the real `naskah serve` on 127.0.0.1, probed as the security review did.

Bodies of requests whose credentials fail are not read (20 parallel 19 MB uploads, anonymous, with a wrong token
or a forged HMAC signature, leave the service's memory as it was); a timestamp of Unicode digits, a JSON integer
of 5000 digits, lone surrogates anywhere in a payload, and a workflow id that is an object, a number or 1.9 MB
are refused with a 4xx naming the field, as are random bytes; a signed request cannot be replayed after a
restart; an unknown host and a stale timestamp get one answer; control characters reach neither a callback URL
nor the log; every callback try has its own nonce and signature; slow clients are cut off.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import random
import socket
import threading
import time

import pytest
import requests

from callback_receiver import CallbackReceiver
from samples import load_sample
from service_support import HOST, ServiceProcess, hmac_headers

UPLOAD = 19 * 1024 * 1024
MB = 1024 * 1024
EN = {"Accept-Language": "en"}  # the messages checked here are the English ones


@pytest.fixture(scope="module")
def receiver():
    receiver = CallbackReceiver(failures_first=0)
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory, data_dir, receiver):
    work = tmp_path_factory.mktemp("hardening")
    service = ServiceProcess(work, data_dir, pool_size=None, callback_prefix=receiver.prefix,
                             service_toml="read_timeout = 2\nbody_timeout = 20",
                             extra_env={"TMPDIR": str(work)}).start()
    yield service
    service.stop()


def _error(response: requests.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["status"] == status and (code is None or error["code"] == code), error
    return error


def _memory(service: ServiceProcess) -> dict[str, int]:
    """The service process's resident memory now and at its peak, in bytes."""
    lines = open(f"/proc/{service.process.pid}/status").read().splitlines()
    values = dict(line.split(":", 1) for line in lines)
    return {name: int(values[name].split()[0]) * 1024 for name in ("VmRSS", "VmHWM")}


def _raw(port: int, head: str, body: bytes = b"", timeout: float = 30) -> bytes:
    """Send ``head`` (request line and headers, without the blank line) and ``body``, return what comes back."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(head.encode("latin-1") + b"\r\n\r\n")
        try:
            for start in range(0, len(body), 256 * 1024):
                connection.sendall(body[start:start + 256 * 1024])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the service answered and closed before taking it all: the answer is still there to read
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    return answer


def _upload_head(port: int, length: int, *headers: str) -> str:
    boundary = "naskahboundary"
    return "\r\n".join([f"POST /api/v1/verify HTTP/1.1", f"Host: 127.0.0.1:{port}",
                        f"Content-Type: multipart/form-data; boundary={boundary}", f"Content-Length: {length}",
                        *headers])


def _signed_headers(service: ServiceProcess, body: bytes, secret: str | None = None) -> list[str]:
    signed = hmac_headers(secret or service.secret, "POST", "/api/v1/verify", body)
    return [f"{name}: {value}" for name, value in signed.items()]


# ------------------------------------------------------------------------------------------- item 4

def test_credentials_are_refused_before_the_body_is_read(service):
    """A 19 MB upload that announces itself and sends 1 KB: the 401 comes at once, before the rest."""
    port = service.port
    for headers in ([], ["Authorization: Bearer not-the-token-at-all"],
                    [f"X-Naskah-Host: intruder", f"X-Naskah-Timestamp: {int(time.time())}",
                     "X-Naskah-Signature: sha256=" + "0" * 64]):
        started = time.monotonic()
        answer = _raw(port, _upload_head(port, UPLOAD, *headers), b"x" * 1024, timeout=15)
        assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]
        assert b"connection: close" in answer.lower()
        assert time.monotonic() - started < 5  # not the read timeout: nobody waited for the body


@pytest.mark.parametrize("credentials", ["none", "wrong token", "forged signature"])
def test_parallel_large_uploads_do_not_raise_memory(service, credentials):
    """20 parallel 19 MB uploads to /api/v1/verify (the review saw 150 -> 533 MB): refused, memory as it was.
    A forged signature of a known host is read in full (the digest needs it), into the digest and a spool."""
    body = b"%PDF-1.7\n" + random.randbytes(UPLOAD - 9)
    if credentials == "none":
        headers = []
    elif credentials == "wrong token":
        headers = ["Authorization: Bearer not-the-token-at-all"]
    else:
        headers = _signed_headers(service, body, secret="not-the-secret-of-eoffice-at-all")
    service.post("/api/v1/verify", files={"file": ("x.pdf", b"%PDF-1.7\n")})  # everything loaded
    before = _memory(service)
    answers: list[bytes] = []

    def upload():
        answers.append(_raw(service.port, _upload_head(service.port, len(body), *headers), body, timeout=120))

    threads = [threading.Thread(target=upload) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    after = _memory(service)
    assert len(answers) == 20 and all(answer.startswith(b"HTTP/1.1 401 ") for answer in answers), answers[0][:300]
    if credentials == "forged signature":
        assert all(b"signature does not match" in answer for answer in answers)
    grown = (after["VmHWM"] - before["VmRSS"]) / MB
    assert grown < 80, f"the service's memory grew by {grown:.0f} MB"
    assert requests.get(service.url("/health"), timeout=10).status_code == 200


def test_a_good_signature_still_carries_its_body(service):
    body = json.dumps(load_sample("surat-tugas-tim")).encode()
    headers = hmac_headers(service.secret, "POST", "/api/v1/previews", body) | {"Content-Type": "application/json"}
    response = requests.post(service.url("/api/v1/previews"), data=body, headers=headers, timeout=120)
    assert response.status_code == 200 and response.content.startswith(b"%PDF"), response.text[:300]


# ------------------------------------------------------------------------------------------- item 5 and info

def test_a_timestamp_of_unicode_digits_is_a_401(service):
    path = "/api/v1/jobs/" + "0" * 32
    before = service.log.count("\n")
    # superscripts as the review sent them (Latin-1 bytes), fullwidth digits in UTF-8, and other non-numbers
    stamps = ["¹²³¹²³¹²³¹".encode("latin-1"), "１７００００００００".encode("utf-8"), b"17e8", b"-1", b"1" * 13, b"0x1f"]
    for stamp in stamps:
        headers = hmac_headers(service.secret, "GET", path) | {"X-Naskah-Timestamp": stamp}
        response = requests.get(service.url(path), headers=headers | EN, timeout=30)
        error = _error(response, 401, "unauthorized")
        assert "X-Naskah-Timestamp" in error["message"]
    assert service.log.count("\n") - before < 20  # one line a refusal, no tracebacks
    assert "Traceback" not in service.log


def test_an_unknown_host_and_a_stale_timestamp_get_the_same_answer(service):
    path = "/api/v1/jobs/" + "0" * 32
    stale = hmac_headers(service.secret, "GET", path, timestamp=int(time.time()) - 900)
    unknown = hmac_headers(service.secret, "GET", path, host="intruder")
    future = hmac_headers(service.secret, "GET", path, timestamp=int(time.time()) + 900)
    answers = [_error(requests.get(service.url(path), headers=headers, timeout=30), 401)
               for headers in (stale, unknown, future)]
    assert answers[0] == answers[1] == answers[2]


# ------------------------------------------------------------------------------------------- item 6

def test_a_huge_integer_and_lone_surrogates_are_refused_naming_the_field(service, receiver):
    def send(text: str) -> requests.Response:
        return service.post("/api/v1/letters", data=text.encode("utf-8"),
                             headers=service.bearer() | EN | {"Content-Type": "application/json"})

    huge = _error(send('{"workflow": {"id": "WF-1"}, "n": ' + "9" * 5000 + "}"), 400, "malformed_body")
    assert "4300 digits" in huge["message"]
    payload = json.dumps(load_sample("surat-tugas-tim"))
    for field, text in (("workflow.id", payload.replace('"WF-', '"\\ud800WF-', 1)),
                        ("data.perangkat_daerah.kota", payload.replace('"kota": "', '"kota": "\\udfff', 1)),
                        ("callback_url", payload[:-1] + f', "callback_url": "{receiver.prefix}\\ud800"}}'),
                        ("extra.0", payload[:-1] + ', "extra": ["\\ud83d"]}')):
        assert text != payload
        error = _error(send(text), 400, "malformed_body")  # refused as it is read, like malformed JSON
        assert [problem["field"] for problem in error["problems"]] == [field], error
        assert "surrogate" in error["problems"][0]["message"]
    # the same payloads, signed: the signature holds, the payload is still refused (no 5xx from the digest)
    body = payload.replace('"WF-', '"\\ud800WF-', 1).encode()
    headers = hmac_headers(service.secret, "POST", "/api/v1/letters", body) | {"Content-Type": "application/json"}
    _error(requests.post(service.url("/api/v1/letters"), data=body, headers=headers, timeout=60), 400)


@pytest.mark.parametrize("value, message", [({"a": 1}, "must be text"), (12345, "must be text"),
                                            ("W" * 1_900_000, "at most 200"), ("WF-1\x1b[31m", "printable")])
def test_the_workflow_id_is_checked(service, value, message):
    payload = load_sample("surat-tugas-tim")
    payload["workflow"]["id"] = value
    for route in ("/api/v1/letters", "/api/v1/previews"):
        error = _error(service.post(route, json=payload, headers=service.bearer() | EN), 422, "payload_refused")
        assert [problem["field"] for problem in error["problems"]] == ["workflow.id"]
        assert message in error["problems"][0]["message"]


def test_any_bytes_get_a_4xx(service):
    """Random bytes, odd JSON, and valid payloads with random bytes spliced in: never a 5xx."""
    generator = random.Random(13)
    odd = [b'{"a": "\\ud800"}', b'{"\\udc00": 1}', b'{"a": 1e99999}', b'{"a": NaN}', b'\xef\xbb\xbf{}',
           b'{"workflow": {"id": "\\u0000"}}', b'{"workflow": []}', b'{"workflow": {"id": ["x"]}}']
    for body in [generator.randbytes(generator.randrange(1, 400)) for _ in range(40)] + odd:
        for route in ("/api/v1/letters?mode=async", "/api/v1/previews", "/api/v1/drafts"):
            response = service.post(route, data=body, headers=service.bearer() | {"Content-Type": "application/json"})
            assert 400 <= response.status_code < 500, (route, body, response.status_code, response.text[:300])
    payload = json.dumps(load_sample("surat-tugas-tim")).encode()
    for _ in range(20):  # one may still be a valid letter: it is then queued, hence async
        at = generator.randrange(len(payload))
        body = payload[:at] + generator.randbytes(generator.randrange(1, 8)) + payload[at + 1:]
        response = service.post("/api/v1/letters?mode=async", data=body,
                                headers=service.bearer() | {"Content-Type": "application/json"})
        assert response.status_code < 500, (body, response.status_code, response.text[:300])
    assert "Traceback" not in service.log


# ------------------------------------------------------------------------------------------- item 7

def test_a_signed_request_cannot_be_replayed_after_a_restart(tmp_path, data_dir):
    service = ServiceProcess(tmp_path, data_dir, pool_size=None).start()
    path = "/api/v1/jobs/" + "0" * 32
    signed = hmac_headers(service.secret, "GET", path)
    try:
        _error(requests.get(service.url(path), headers=signed, timeout=30), 404, "not_found")  # accepted
        assert "replayed" in _error(requests.get(service.url(path), headers=signed | EN, timeout=30), 401)["message"]
        service.stop()
        service.start()
        replay = _error(requests.get(service.url(path), headers=signed | EN, timeout=30), 401, "unauthorized")
        assert "replayed request" in replay["message"]
        fresh = hmac_headers(service.secret, "GET", path)
        _error(requests.get(service.url(path), headers=fresh, timeout=30), 404, "not_found")
    finally:
        service.stop()


# ------------------------------------------------------------------------------------------- info items

def test_control_characters_in_callback_urls_are_refused(service, receiver):
    payload = load_sample("surat-tugas-tim")
    for bad in ("hasil\t?x=1", "hasil\r\nX-Injected: 1", "has\x00il", "hasil\n", " hasil", "has il"):
        error = _error(service.post("/api/v1/letters", json=payload, headers=service.bearer() | EN,
                                    params={"mode": "async", "callback_url": receiver.prefix + bad}), 422,
                       "callback_refused")
        assert "control characters" in error["problems"][0]["message"]


def test_control_characters_do_not_reach_the_log(service):
    requests.get(service.url("/api/v1/letters/%1b[31mred%1b[0m%0d%0aforged"), timeout=30)
    requests.get(service.url("/api/v1/jobs/x"), headers={"X-Naskah-Host": "a\x1bb"}, timeout=30)
    log = service.log
    assert "refused GET /api/v1/letters/\\x1b[31mred\\x1b[0m\\r\\nforged" in log
    assert "\x1b" not in log and "\rforged" not in log


def test_every_callback_try_has_its_own_nonce_and_signature():
    from naskah.service.callback import post_callback

    receiver = CallbackReceiver(failures_first=2)
    secret = b"callback-secret-of-the-host-0123"
    try:
        body = json.dumps({"event": "letter.issued", "job_id": "j1"}).encode()
        outcome = post_callback(receiver.prefix + "hasil?ref=1", secret, body, event="letter.issued", label="test",
                                headers={"X-Naskah-Job": "j1"}, attempts=3, backoff=0.01, backoff_max=0.01,
                                timeout=5)
    finally:
        receiver.close()
    assert outcome.state == "delivered" and outcome.attempts == 3
    nonces, signatures = set(), set()
    for call in receiver.calls:
        headers, sent = call["headers"], json.loads(call["body"])
        message = f"{headers['X-Naskah-Timestamp']}\nPOST\n{call['path']}\n".encode() + call["body"]
        assert hmac.compare_digest(headers["X-Naskah-Signature"],
                                   "sha256=" + hmac.new(secret, message, hashlib.sha256).hexdigest())
        assert sent["nonce"] == headers["X-Naskah-Nonce"] and len(sent["nonce"]) == 32
        assert sent["event"] == "letter.issued" and sent["job_id"] == "j1"
        nonces.add(sent["nonce"])
        signatures.add(headers["X-Naskah-Signature"])
    assert len(nonces) == len(signatures) == 3


def test_slow_clients_are_cut_off(service):
    """200 connections that never finish their headers, and 20 uploads to the public page that stall midway:
    closed after read_timeout (2 s here), not 35-45 s later; the service answers meanwhile."""
    started = time.monotonic()
    slow = []
    for _ in range(200):
        connection = socket.create_connection(("127.0.0.1", service.port), timeout=30)
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        slow.append(connection)
    page = f"/v/{'0' * 32}"
    for _ in range(20):
        connection = socket.create_connection(("127.0.0.1", service.port), timeout=30)
        connection.sendall(f"POST {page} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                           f"Content-Length: 100000\r\n\r\n--b\r\n".encode())
        slow.append(connection)
    assert requests.get(service.url("/health"), timeout=10).status_code == 200
    for connection in slow:
        try:
            while connection.recv(65536):
                pass  # an answer (408), then the end
        except ConnectionResetError:
            pass
        connection.close()
    took = time.monotonic() - started
    assert took < 15, f"slow connections stayed open {took:.0f} s"
    assert requests.get(service.url("/health"), timeout=10).status_code == 200
