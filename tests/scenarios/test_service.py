"""Service mode through real HTTP: `naskah serve` (uvicorn) on 127.0.0.1, called like a host e-office would.

Issue every sample letter, fetch and verify it; the asynchronous path with job status and a signed callback
that is retried; previews; authentication refusals (no token, wrong token, bad HMAC, old or replayed
signature); bodies that are malformed or too large get a clear 4xx and the service stays up; no secret in
the log.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time

import pytest
import requests

from checks import flat, pdfsig, pdftotext
from samples import EXAMPLES
from callback_receiver import CallbackReceiver
from service_support import HOST, ServiceProcess, hmac_headers

SAMPLES = sorted(path.stem for path in EXAMPLES.glob("*.json"))


@pytest.fixture(scope="module")
def receiver():
    receiver = CallbackReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory, data_dir, receiver):
    service = ServiceProcess(tmp_path_factory.mktemp("service"), data_dir, pool_size=1,
                             service_toml="max_body_bytes = 65536\nmax_upload_bytes = 2097152",
                             callback_prefix=receiver.prefix).start()
    yield service
    assert service.stop() in (0, -15), service.log  # uvicorn ends by re-raising the SIGTERM it handled
    assert "Application shutdown complete" in service.log


@pytest.fixture(scope="module")
def demo_root(data_dir):
    return data_dir / "demo-signer" / "demo-root.pem"


def _sample(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def _error(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["status"] == status and error["code"] and error["message"]
    assert isinstance(error["problems"], list)
    return error


@pytest.mark.parametrize("name", SAMPLES)
def test_issue_each_sample_letter_fetch_and_verify(service, demo_root, name, tmp_path):
    from naskah.validation import verify_pdf

    response = service.issue(_sample(name))
    assert response.status_code == 201, response.text
    letter = response.json()
    assert letter["reused"] is False and letter["letter_kind"] and letter["letter_title"]
    assert letter["verification_url"] == service.url(f"/v/{letter['letter_id']}")

    pdf = service.get(letter["pdf_url"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == letter["sha256"]
    (tmp_path / "letter.pdf").write_bytes(pdf.content)
    assert "Signature is Valid." in pdfsig(tmp_path / "letter.pdf")
    assert verify_pdf(pdf.content, trust_roots=[demo_root]).ok
    if letter["nomor"]:
        assert letter["nomor"] in flat(pdftotext(pdf.content))

    checked = service.post("/api/v1/verify", files={"file": ("letter.pdf", pdf.content, "application/pdf")})
    assert checked.status_code == 200, checked.text
    report = checked.json()
    assert report["ok"] is True and report["demo_key"] is True
    assert report["letter_id"] == letter["letter_id"] and report["sha256"] == letter["sha256"]
    assert report["signatures"][0]["intact"] and report["signatures"][0]["trusted"]

    again = service.issue(_sample(name))
    assert again.status_code == 200 and again.json()["reused"] is True
    assert again.json()["letter_id"] == letter["letter_id"]

    described = service.get(f"/api/v1/letters/{letter['letter_id']}").json()
    assert described["sha256"] == letter["sha256"] and described["issued_at"]


def test_async_issue_with_job_status_and_a_signed_retried_callback(service, receiver):
    payload = _sample("surat-tugas-individu")
    payload["workflow"]["id"] = "WF-ASYNC-1"
    payload["data"]["nomor"] = "800.1.11.1/0999/35.73.401/2023"
    payload["callback_url"] = receiver.prefix + "hasil?ref=WF-ASYNC-1"
    response = service.issue(payload, mode="async")
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert response.headers["location"] == accepted["status_url"] == f"/api/v1/jobs/{accepted['job_id']}"
    assert accepted["state"] in ("queued", "running")

    deadline = time.monotonic() + 120
    states = set()
    while time.monotonic() < deadline:
        job = service.get(accepted["status_url"]).json()
        states.add(job["state"])
        if job["state"] == "done" and job["callback"]["state"] != "pending":
            break
        time.sleep(0.1)
    assert job["state"] == "done", job
    assert job["http_status"] == 201 and job["error"] is None
    letter = job["letter"]
    assert letter["nomor"] == "800.1.11.1/0999/35.73.401/2023" and letter["job_id"] == accepted["job_id"]
    assert service.get(letter["pdf_url"]).status_code == 200

    # the host answered 503 once, then 200: two tries, both signed anew with the host's secret
    assert job["callback"] == {"state": "delivered", "attempts": 2, "error": None}
    assert len(receiver.calls) == 2
    for call in receiver.calls:
        headers = call["headers"]
        assert call["path"] == "/naskah/hasil?ref=WF-ASYNC-1"
        message = f"{headers['X-Naskah-Timestamp']}\nPOST\n{call['path']}\n".encode() + call["body"]
        expected = "sha256=" + hmac.new(service.secret.encode(), message, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Naskah-Signature"], expected)
        assert headers["X-Naskah-Job"] == accepted["job_id"]
    body = json.loads(receiver.calls[-1]["body"])
    assert body["event"] == "letter.issued" and body["letter"]["letter_id"] == letter["letter_id"]
    assert receiver.calls[1]["time"] - receiver.calls[0]["time"] >= 0.15  # backed off before the retry


def test_a_refused_payload_names_the_fields_and_no_job_is_made(service):
    payload = _sample("surat-tugas-individu")
    payload["data"]["pegawai"]["nip"] = "123"
    del payload["data"]["nomor"]
    for mode in ("sync", "async"):
        error = _error(service.issue(payload, mode=mode), 422)
        assert error["code"] == "payload_refused"
        fields = {problem["field"]: problem["message"] for problem in error["problems"]}
        assert fields["data.pegawai.nip"].startswith("a NIP has 18 digits")
        assert "data.nomor" in fields
    unknown = _error(service.issue(_sample("surat-tugas-tim"), mapping="no_such_mapping"), 422)
    assert "no mapping named 'no_such_mapping'" in unknown["problems"][0]["message"]


def test_callback_urls_outside_the_hosts_prefixes_are_refused(service):
    payload = _sample("surat-tugas-tim")
    for url in ("http://203.0.113.9/naskah/x", "file:///etc/passwd", "http://127.0.0.1:1/elsewhere",
                "http://127.0.0.1:1/naskah/../admin"):
        payload["callback_url"] = url
        error = _error(service.issue(payload), 422)
        assert error["code"] == "callback_refused" and error["problems"][0]["field"] == "callback_url"


def test_preview_is_an_unsigned_draft_as_pdf_or_png_pages(service, tmp_path):
    payload = _sample("surat-tugas-tim")
    pdf = service.post("/api/v1/previews", json=payload)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "DRAFT - belum ditandatangani" in flat(pdftotext(pdf.content))
    (tmp_path / "draft.pdf").write_bytes(pdf.content)
    assert "does not contain any signatures" in pdfsig(tmp_path / "draft.pdf")

    pages = service.post("/api/v1/previews", json=payload, params={"format": "png", "dpi": 50})
    assert pages.status_code == 200, pages.text
    body = pages.json()
    assert body["page_count"] == len(body["pages"]) == 2  # the letter and its Lampiran
    for page in body["pages"]:
        image = base64.b64decode(page["png_base64"])
        assert image.startswith(b"\x89PNG\r\n\x1a\n")
        assert 380 <= page["width"] <= 450 and page["height"] > page["width"]  # A4-ish at 50 dpi
    _error(service.post("/api/v1/previews", json=payload, params={"format": "gif"}), 422)


def test_authentication_refusals(service):
    letter = service.issue(_sample("surat-tugas-tim")).json()
    path = f"/api/v1/letters/{letter['letter_id']}"

    none = _error(requests.get(service.url(path), timeout=30), 401)
    assert "missing credentials" in none["message"]
    wrong = _error(requests.get(service.url(path), headers={"Authorization": "Bearer not-the-token-at-all"},
                                timeout=30), 401)
    assert wrong["message"] == "the API token is not valid"
    _error(requests.get(service.url(path), headers={"Authorization": f"Basic {service.token}"}, timeout=30), 401)

    # HMAC: a good signature works once; the same request again is a replay
    signed = hmac_headers(service.secret, "GET", path)
    assert requests.get(service.url(path), headers=signed, timeout=30).status_code == 200
    replayed = _error(requests.get(service.url(path), headers=signed, timeout=30), 401)
    assert "replayed request" in replayed["message"]

    bad_secret = _error(requests.get(service.url(path), headers=hmac_headers("x" * 40, "GET", path), timeout=30), 401)
    assert "signature does not match" in bad_secret["message"]
    other_path = hmac_headers(service.secret, "GET", "/api/v1/letters/00000000000000000000")
    _error(requests.get(service.url(path), headers=other_path, timeout=30), 401)
    old = _error(requests.get(service.url(path), timeout=30,
                              headers=hmac_headers(service.secret, "GET", path, timestamp=int(time.time()) - 900)),
                 401)
    assert "X-Naskah-Timestamp more than 300 s away from naskah's clock" in old["message"]
    unknown_host = _error(requests.get(service.url(path), headers=hmac_headers(service.secret, "GET", path,
                                                                                host="intruder"), timeout=30), 401)
    assert "unknown host" in unknown_host["message"]
    assert old == unknown_host  # the answers do not tell which hosts exist (issue 13)
    incomplete = dict(signed)
    del incomplete["X-Naskah-Timestamp"]
    assert "missing: X-Naskah-Timestamp" in _error(requests.get(service.url(path), headers=incomplete,
                                                                timeout=30), 401)["message"]

    # a signed POST: the body is part of the signature
    body = json.dumps(_sample("surat-tugas-tim")).encode()
    headers = hmac_headers(service.secret, "POST", "/api/v1/letters", body) | {"Content-Type": "application/json"}
    ok = requests.post(service.url("/api/v1/letters"), data=body, headers=headers, timeout=120)
    assert ok.status_code == 200 and ok.json()["letter_id"] == letter["letter_id"]
    tampered = body.replace(b"Malang", b"Batu!!", 1)
    headers = hmac_headers(service.secret, "POST", "/api/v1/letters", body) | {"Content-Type": "application/json"}
    _error(requests.post(service.url("/api/v1/letters"), data=tampered, headers=headers, timeout=30), 401)

    # every API route asks; health, readiness, the OpenAPI document and the public page do not
    for method, route in (("GET", "/api/v1/jobs/" + "0" * 32), ("POST", "/api/v1/previews"),
                          ("POST", "/api/v1/verify"), ("GET", path + "/pdf")):
        _error(requests.request(method, service.url(route), timeout=30), 401)
    for route in ("/health", "/ready", "/openapi.json", f"/v/{letter['letter_id']}"):
        assert requests.get(service.url(route), timeout=60).status_code == 200, route


def test_malformed_and_oversized_bodies_get_a_clear_4xx_and_the_service_stays_up(service):
    post = service.post
    malformed = _error(post("/api/v1/letters", data=b'{"workflow": ', headers=service.bearer()
                            | {"Content-Type": "application/json"}), 400)
    assert malformed["code"] == "malformed_body" and "malformed JSON at line 1" in malformed["message"]
    array = _error(post("/api/v1/letters", json=[1, 2]), 400)
    assert "must be a JSON object, got list" in array["message"]
    empty = _error(post("/api/v1/letters", data=b"", headers=service.bearer() | {"Content-Type": "application/json"}),
                   400)
    assert "empty" in empty["message"]
    not_utf8 = _error(post("/api/v1/letters", data=b'{"a": "\xff"}', headers=service.bearer()
                           | {"Content-Type": "application/json"}), 400)
    assert "not UTF-8" in not_utf8["message"]
    form = _error(post("/api/v1/letters", data={"a": "b"}), 415)
    assert "application/json" in form["message"]
    deep = _error(post("/api/v1/letters", data=b"[" * 60000, headers=service.bearer()
                       | {"Content-Type": "application/json"}), 400)
    assert "nested too deeply" in deep["message"]

    # over max_body_bytes (64 KB here): refused by Content-Length, and while streaming without one
    big = json.dumps({"data": "x" * 70000}).encode()
    too_large = _error(post("/api/v1/letters", data=big, headers=service.bearer()
                            | {"Content-Type": "application/json"}), 413)
    assert too_large["message"] == "the request body is larger than the limit of 64 KB"
    chunks = (big[i:i + 8192] for i in range(0, len(big), 8192))
    _error(post("/api/v1/letters", data=chunks, headers=service.bearer() | {"Content-Type": "application/json"}), 413)
    # uploads have their own limit (2 MB here)
    upload = _error(post("/api/v1/verify", files={"file": ("big.pdf", b"%PDF-1.7\n" + b"0" * 2_200_000)}), 413)
    assert "2 MB" in upload["message"]
    not_pdf = service.post("/api/v1/verify", files={"file": ("x.pdf", b"hello")})
    assert not_pdf.status_code == 200 and not_pdf.json()["ok"] is False
    assert "not a readable PDF" in not_pdf.json()["problems"][0]
    _error(post("/api/v1/verify", data=b"--x\r\nbroken", headers=service.bearer()
                | {"Content-Type": "multipart/form-data; boundary=x"}), 400)
    _error(post("/api/v1/verify", files={"other": ("x.pdf", b"%PDF-")}), 400)

    # a client that promises a body and hangs up
    with socket.create_connection(("127.0.0.1", service.port), timeout=10) as raw:
        raw.sendall(b"POST /api/v1/letters HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Authorization: Bearer " + service.token.encode() + b"\r\nContent-Length: 5000\r\n\r\n{\"a\":")
    garbage = socket.create_connection(("127.0.0.1", service.port), timeout=10)
    garbage.sendall(b"\x16\x03\x01\x02\x00 not http at all\r\n\r\n")
    garbage.close()

    assert service.alive
    assert requests.get(service.url("/health"), timeout=10).json() == {"status": "ok"}
    assert service.issue(_sample("surat-tugas-tim")).status_code in (200, 201)


def test_not_found_in_the_same_shape(service):
    assert _error(service.get("/api/v1/letters/0123456789abcdef0123"), 404)["code"] == "not_found"
    assert _error(service.get("/api/v1/letters/../../etc/passwd/pdf"), 404)["code"] == "not_found"
    assert _error(service.get("/api/v1/jobs/" + "a" * 32), 404)["code"] == "not_found"
    assert _error(service.get("/api/v1/nothing"), 404)["code"] == "not_found"
    assert _error(requests.delete(service.url("/health"), timeout=10), 405)["code"] == "method_not_allowed"


def test_health_readiness_and_openapi(service):
    assert requests.get(service.url("/ready"), timeout=60).json() == {
        "ready": True, "checks": {"mappings": "ok", "store": "ok", "hosts": "ok", "libreoffice": "ok",
                                  "signing": "ok"}}
    schema = requests.get(service.url("/openapi.json"), timeout=10).json()
    assert set(schema["paths"]) == {"/api/v1/letters", "/api/v1/jobs/{job_id}", "/api/v1/letters/{letter_id}",
                                    "/api/v1/letters/{letter_id}/pdf", "/api/v1/previews", "/api/v1/verify",
                                    "/health", "/ready", "/v/{letter_id}", "/api/v1/drafts",
                                    "/api/v1/drafts/{draft_id}", "/api/v1/drafts/{draft_id}/preview.pdf",
                                    "/api/v1/drafts/{draft_id}/preview.png", "/api/v1/drafts/{draft_id}/paraf",
                                    "/api/v1/drafts/{draft_id}/return", "/api/v1/drafts/{draft_id}/payload",
                                    "/api/v1/drafts/{draft_id}/withdraw", "/api/v1/drafts/{draft_id}/sign",
                                    "/api/v1/letters/{letter_id}/revoke"}
    assert schema["paths"]["/api/v1/letters"]["post"]["security"] == [{"token": []}, {"hmac": []}]
    assert "ErrorResponse" in schema["components"]["schemas"]
    assert "HTTPValidationError" not in json.dumps(schema)  # errors have one shape, 422 included
    readme = (EXAMPLES.parents[2] / "README.md").read_text()
    section = readme.split("## Service mode")[1].split("\n## ")[0]
    for path, operations in schema["paths"].items():  # the README's summary lists every operation
        for method in operations:
            assert f"{method.upper()} {path}" in section, (method, path)


def test_serve_has_help():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "naskah.cli", "serve", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "--port" in result.stdout and "verification page" in result.stdout


def test_serve_refuses_a_short_token_without_printing_it(tmp_path, data_dir):
    import subprocess
    import sys

    service = ServiceProcess(tmp_path, data_dir, pool_size=None)
    service.env["TEST_EOFFICE_TOKEN"] = "short-token"
    result = subprocess.run([sys.executable, "-m", "naskah.cli", "--config", str(service.config), "serve", "--port",
                             str(service.port)], env=service.env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "service host eoffice: the API token in $TEST_EOFFICE_TOKEN is shorter than 16 characters" in result.stderr
    assert "short-token" not in result.stdout + result.stderr


def test_a_job_left_unfinished_is_run_when_the_service_starts_again(tmp_path, data_dir):
    from naskah.service.jobs import JobStore

    service = ServiceProcess(tmp_path, data_dir, pool_size=None)
    jobs = JobStore(service.store / "service.sqlite")
    job = jobs.create(HOST, _sample("surat-tugas-individu"), None, None)
    jobs.set_running(job.job_id)  # as if the service had stopped while issuing it
    service.start()
    try:
        deadline = time.monotonic() + 120
        while (status := service.get(f"/api/v1/jobs/{job.job_id}").json())["state"] not in ("done", "failed"):
            assert time.monotonic() < deadline, status
            time.sleep(0.2)
        assert status["state"] == "done" and status["http_status"] == 201, status
        assert service.get(status["letter"]["pdf_url"]).status_code == 200
    finally:
        service.stop()
    assert jobs.payload(job.job_id) is None  # the payload is not kept once the job has finished


def test_no_secret_reaches_the_log(service):
    log = service.log
    assert "Uvicorn running on" in log and "refused GET" in log  # the log has lines, and the refusals
    assert service.token not in log and service.secret not in log
