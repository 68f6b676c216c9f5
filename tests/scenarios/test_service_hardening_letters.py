"""Issue 13, items 1-3: the real `naskah serve` on 127.0.0.1 with three hosts, probed as the security review did.

- A host reads only its own letters: `other` (a token only) asking for `eoffice`'s letter, its PDF, its
  revocation or its id in a verification gets exactly what a missing letter gets; a conflict with `eoffice`'s
  letter names nothing of it; `auditor`, to whom configuration shares eoffice's letters, reads them.
- Public ids are random: the id the old scheme would give (a hash of kind, workflow id and number) finds
  nothing, whatever workflow ids are guessed; issuing the same payload again still gives the stored letter;
  a letter stored before ids were random keeps its id and page, and is the host's once it sends it again.
- An anonymous upload costs little: a genuine letter with 300 extra signature fields pointing to its signature
  is refused at once (it took 2.9 s before), a check over its time budget is stopped, pyHanko's warnings make one
  log line per upload, a client that opens too many pages or uploads too many files gets 429 with Retry-After,
  and page views stay fast while slow uploads queue for the one verification thread.
"""
from __future__ import annotations

import re
import secrets
import sqlite3
import threading
import time

import pytest
import requests

from forged_pdf import with_extra_signature_fields
from samples import load_sample
from service_support import ServiceProcess

OTHER_TOKEN = secrets.token_urlsafe(24)
AUDITOR_TOKEN = secrets.token_urlsafe(24)
EN = {"Accept-Language": "en"}
PAGE_VIEWS, UPLOADS = 20, 8
SERVICE_TOML = f"""
page_views_per_minute = {PAGE_VIEWS}
uploads_per_minute = {UPLOADS}
max_concurrent_verifications = 1
verify_time_budget = 1.0
trusted_proxies = ["127.0.0.1"]

[[service.hosts]]
name = "other"
token_env = "TEST_OTHER_TOKEN"

[[service.hosts]]
name = "auditor"
token_env = "TEST_AUDITOR_TOKEN"
read_letters_of = ["eoffice"]
read_unrecorded = true
"""
_clients = iter(range(1, 250))


def _client() -> dict:
    """A client of its own (the test is the trusted proxy that forwards for it): its own rate limits."""
    return {"X-Forwarded-For": f"203.0.113.{next(_clients)}"}


@pytest.fixture(scope="module")
def service(tmp_path_factory, data_dir):
    service = ServiceProcess(tmp_path_factory.mktemp("hardening-letters"), data_dir, pool_size=1,
                             service_toml=SERVICE_TOML,
                             extra_env={"TEST_OTHER_TOKEN": OTHER_TOKEN, "TEST_AUDITOR_TOKEN": AUDITOR_TOKEN})
    service.legacy = _letter_stored_before_ids_were_random(service)
    service.start()
    yield service
    service.stop()


def _letter_stored_before_ids_were_random(service: ServiceProcess) -> dict:
    """A letter issued from the command line, its row as an index of an earlier naskah left it after the
    upgrade: its id the old hash of kind, workflow id and number (which is also its workflow key), no host."""
    from naskah.config import load_settings
    from naskah.pipeline import Naskah

    payload = load_sample("surat-tugas-individu")
    issued = Naskah(load_settings(service.config)).issue(payload)
    key = issued.prepared.workflow_key
    with sqlite3.connect(service.store / "index.sqlite") as db:
        db.execute("UPDATE letters SET letter_id = ? WHERE letter_id = ?", (key, issued.letter_id))
    return {"letter_id": key, "payload": payload, "nomor": issued.metadata["nomor"]}


def _as(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"} | EN


def _eoffice(service: ServiceProcess) -> dict:
    return service.bearer() | EN


@pytest.fixture(scope="module")
def letter(service) -> dict:
    response = service.post("/api/v1/letters", json=load_sample("surat-tugas-tim"), headers=_eoffice(service))
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def letter_pdf(service, letter) -> bytes:
    return service.get(letter["pdf_url"], headers=_eoffice(service)).content


def _missing_id() -> str:
    return secrets.token_hex(16)


def _same_answer(one: requests.Response, other: requests.Response) -> None:
    assert (one.status_code, one.headers["content-type"], one.content) == (
        other.status_code, other.headers["content-type"], other.content)


# ------------------------------------------------------------------------------------------------ 1. per host

def test_another_host_s_letter_answers_exactly_like_a_missing_one(service, letter, letter_pdf):
    letter_id, missing = letter["letter_id"], _missing_id()
    for path in ("/api/v1/letters/{}", "/api/v1/letters/{}/pdf"):
        assert service.get(path.format(letter_id), headers=_eoffice(service)).status_code == 200
        refused = service.get(path.format(letter_id), headers=_as(OTHER_TOKEN))
        assert refused.status_code == 404 and b"NIP" not in refused.content
        _same_answer(refused, service.get(path.format(missing), headers=_as(OTHER_TOKEN)))
        shared = service.get(path.format(letter_id), headers=_as(AUDITOR_TOKEN))
        assert shared.status_code == 200, "configuration shares eoffice's letters with the auditor"
    assert service.get(f"/api/v1/letters/{letter_id}/pdf", headers=_as(AUDITOR_TOKEN)).content == letter_pdf

    revoke = {"actor": {"user_id": "u-9", "name": "Penyusup"}, "reason": "percobaan"}
    _same_answer(service.post(f"/api/v1/letters/{letter_id}/revoke", json=revoke, headers=_as(OTHER_TOKEN)),
                 service.post(f"/api/v1/letters/{missing}/revoke", json=revoke, headers=_as(OTHER_TOKEN)))

    upload = {"file": ("surat.pdf", letter_pdf, "application/pdf")}
    checked = {token: service.post("/api/v1/verify", files=upload, headers=_as(token)).json()
               for token in (service.token, OTHER_TOKEN)}
    assert checked[service.token]["letter_id"] == letter_id
    assert checked[OTHER_TOKEN]["letter_id"] is None and checked[OTHER_TOKEN]["ok"] is True


def test_a_conflict_with_another_host_s_letter_names_nothing_of_it(service, letter):
    stored = service.get(f"/api/v1/letters/{letter['letter_id']}", headers=_eoffice(service)).json()
    same = load_sample("surat-tugas-tim")
    changed = load_sample("surat-tugas-tim")
    changed["data"]["dasar"].append("Surat Sekretaris Daerah Kota Malang tentang percobaan")
    for payload in (same, changed):
        for mode in ("sync", "async"):
            response = service.post("/api/v1/letters", json=payload, params={"mode": mode},
                                    headers=_as(OTHER_TOKEN))
            if mode == "async":
                assert response.status_code == 202, response.text
                response = _finished(service, response.json()["status_url"], _as(OTHER_TOKEN))
                error = response["error"]
            else:
                assert response.status_code == 409, response.text
                error = response.json()["error"]
            assert error["status"] == 409 and error["code"] == "conflict"
            text = str(error)
            for secret in (letter["letter_id"], same["workflow"]["id"], stored["issued_at"], stored["nomor"],
                           stored["sha256"]):
                assert secret not in text, (secret, text)

    own = service.post("/api/v1/letters", json=changed, headers=_eoffice(service))
    assert own.status_code == 409 and letter["letter_id"] in own.json()["error"]["message"], "its own: named"
    again = service.post("/api/v1/letters", json=same, headers=_eoffice(service))
    assert again.status_code == 200 and again.json()["reused"] is True
    assert again.json()["letter_id"] == letter["letter_id"], "issuing again still gives the stored letter"


def _finished(service: ServiceProcess, status_url: str, headers: dict) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = service.get(status_url, headers=headers).json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {status_url} did not finish")


# ------------------------------------------------------------------------------------------------ 2. ids

def test_ids_are_random_and_guessing_workflow_ids_finds_nothing(service, letter):
    from naskah.store import workflow_key

    assert re.fullmatch(r"[0-9a-f]{32}", letter["letter_id"])
    old_scheme = workflow_key(letter["letter_kind"], "WF-2023-06-000123", letter["nomor"])
    assert service.get(f"/v/{old_scheme}", headers=_client()).status_code == 404
    assert service.get(f"/v/{letter['letter_id']}", headers=_client()).status_code == 200

    # the review's find: a pengajuan sukarela, which has no number, by guessing its workflow id
    payload = load_sample("pengajuan-sukarela-lintas-unit")
    payload["workflow"]["id"] = "WF-2023-10-000512"
    issued = service.post("/api/v1/letters", json=payload, headers=_eoffice(service))
    assert issued.status_code == 201, issued.text
    kind = issued.json()["letter_kind"]
    found = []
    for number in range(450, 600):
        if number % 10 == 0:
            client = _client()  # many clients, as a botnet would: the rate limit is not what stops it
        guess = workflow_key(kind, f"WF-2023-10-{number:06d}", str(issued.json()["nomor"] or ""))
        if service.get(f"/v/{guess}", headers=client).status_code != 404:
            found.append(number)
    assert found == []
    page = service.get(f"/v/{issued.json()['letter_id']}", headers=_client())
    assert page.status_code == 200


def test_a_letter_stored_before_ids_were_random_keeps_its_page_and_becomes_its_host_s(service):
    legacy = service.legacy
    letter_id = legacy["letter_id"]
    assert re.fullmatch(r"[0-9a-f]{20}", letter_id)
    page = service.get(f"/v/{letter_id}", headers=_client())
    assert page.status_code == 200 and legacy["nomor"] in page.text, "its QR code's URL still works"
    # no host recorded: read only by a host configured to read such letters
    assert service.get(f"/api/v1/letters/{letter_id}", headers=_as(AUDITOR_TOKEN)).status_code == 200
    for headers in (_as(OTHER_TOKEN), _eoffice(service)):
        assert service.get(f"/api/v1/letters/{letter_id}", headers=headers).status_code == 404
    # eoffice sends it again (a retry across the upgrade): the stored letter, with its old id, now eoffice's
    again = service.post("/api/v1/letters", json=legacy["payload"], headers=_eoffice(service))
    assert again.status_code == 200, again.text
    assert again.json()["reused"] is True and again.json()["letter_id"] == letter_id
    assert service.get(f"/api/v1/letters/{letter_id}", headers=_eoffice(service)).status_code == 200
    assert service.get(f"/api/v1/letters/{letter_id}", headers=_as(OTHER_TOKEN)).status_code == 404
    assert service.post("/api/v1/letters", json=legacy["payload"], headers=_as(OTHER_TOKEN)).status_code == 409


def test_a_client_that_opens_too_many_pages_or_uploads_too_many_files_gets_429(service, letter):
    page = f"/v/{letter['letter_id']}"
    client = _client()
    answers = [service.get(page, headers=client).status_code for _ in range(PAGE_VIEWS)]
    assert answers == [200] * PAGE_VIEWS
    refused = service.get(page, headers=client)
    assert refused.status_code == 429 and refused.headers["content-type"].startswith("text/html")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60 // PAGE_VIEWS + 1
    assert service.get(f"/v/{_missing_id()}", headers=client).status_code == 429, "guesses count too"
    assert service.get(page, headers=_client()).status_code == 200, "another client is not held back"

    client = _client()
    not_a_pdf = {"berkas": ("foto.jpg", b"\xff\xd8\xff not a pdf", "image/jpeg")}
    answers = [service.post(page, files=not_a_pdf, headers=client).status_code for _ in range(UPLOADS)]
    assert answers == [400] * UPLOADS
    refused = service.post(page, files={"berkas": ("besar.pdf", b"%PDF-" + b"0" * 1_000_000, "application/pdf")},
                           headers=client)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert service.get(page, headers=client).status_code == 200, "page views are counted apart from uploads"


# ------------------------------------------------------------------------------------------------ 3. cost

def _log_since(service: ServiceProcess, mark: int) -> list[str]:
    return [line for line in service.log[mark:].splitlines() if '" 200' not in line and "HTTP/1.1" not in line]


def test_three_hundred_extra_signature_fields_are_refused_at_once_in_one_log_line(service, letter, letter_pdf):
    forged = with_extra_signature_fields(letter_pdf, 300)
    assert len(forged) < 200_000, "about 130 KB, as in the review"
    mark = len(service.log)
    started = time.monotonic()
    page = service.post(f"/v/{letter['letter_id']}", files={"berkas": ("surat.pdf", forged, "application/pdf")},
                        headers=_client())
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    api = service.post("/api/v1/verify", files={"file": ("surat.pdf", forged, "application/pdf")},
                       headers=_eoffice(service))
    assert time.monotonic() - started < 2.0, "both answered at once (each took 2.9 s before)"
    assert api.status_code == 422 and api.json()["error"]["code"] == "too_complex"
    assert "signature fields" in api.json()["error"]["message"]

    within = with_extra_signature_fields(letter_pdf, 5)  # within the limits: checked, pyHanko warns a lot
    checked = service.post(f"/v/{letter['letter_id']}", files={"berkas": ("surat.pdf", within, "application/pdf")},
                           headers=_client())
    assert checked.status_code == 200
    time.sleep(0.5)
    lines = _log_since(service, mark)
    assert not [line for line in lines if "Traceback" in line or "pyhanko." in line], lines
    said = [line for line in lines if "checking an uploaded PDF" in line]
    assert "refused after" in said[0] and "refused after" in said[1], lines
    # pyHanko's own warnings are below the service's log level (naskah -v shows them): one line at most
    assert len(said) == 2 or (len(said) == 3 and "pyHanko reported" in said[2]), lines


def _slow(letter_pdf: bytes) -> bytes:
    """Within the limits (10 signature fields, under 10000 objects) but about two seconds to check in full."""
    return with_extra_signature_fields(letter_pdf, 9, padding_objects=8000)


def test_a_check_over_its_time_budget_is_stopped(service, letter, letter_pdf):
    from naskah.validation import verify_pdf

    slow = _slow(letter_pdf)
    started = time.monotonic()
    report = verify_pdf(slow)
    full = time.monotonic() - started
    assert len(report.signatures) == 10
    mark = len(service.log)
    started = time.monotonic()
    page = service.post(f"/v/{letter['letter_id']}", files={"berkas": ("surat.pdf", slow, "application/pdf")},
                        headers=_client())
    took = time.monotonic() - started
    assert page.status_code == 422
    assert took < max(full, 1.0) + 1.0, (took, full)
    time.sleep(0.5)
    assert any("took longer than 1 s" in line for line in _log_since(service, mark))


def test_page_views_never_wait_behind_uploads(service, letter, letter_pdf):
    slow = _slow(letter_pdf)
    page = f"/v/{letter['letter_id']}"
    uploads: list[tuple[int, float]] = []

    def upload():
        started = time.monotonic()
        response = requests.post(service.url(page), files={"berkas": ("surat.pdf", slow, "application/pdf")},
                                 headers=_client(), timeout=120)
        uploads.append((response.status_code, time.monotonic() - started))

    viewer = _client()
    assert service.get(page, headers=viewer).status_code == 200  # the stored letter's report is made once
    threads = [threading.Thread(target=upload) for _ in range(3)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(0.3)  # the uploads are in: one checked, two waiting for the one verification thread
    views = []
    while any(thread.is_alive() for thread in threads) and len(views) < PAGE_VIEWS - 1:
        began = time.monotonic()
        assert service.get(page, headers=viewer).status_code == 200
        views.append(time.monotonic() - began)
    for thread in threads:
        thread.join()
    total = time.monotonic() - started
    assert sorted(status for status, _ in uploads) == [422, 422, 422]
    assert total > 2.0, "the uploads queued for the one verification thread"
    assert views and max(views) < 0.8, (views, uploads)
