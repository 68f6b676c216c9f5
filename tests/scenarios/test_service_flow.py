"""The signature flow over HTTP (issue 12), with the real `naskah serve` on 127.0.0.1 called like a host e-office.

A permohonan pelibatan is drafted, its second paraf refused before the first, returned once and revised, then
reviewed in order and signed by its official with their own credential through BSrE v2 (the test double of
tests/support/signing_bsre_double.py; the passphrase wrong, then missing, then right): the letter is dated today
in WIB, numbered by the register, its signature valid, its trail complete, and the host was called back at every
step without the credential. Another host sees none of it. A revoked letter's page, opened in headless Chromium,
says DICABUT with the reason; a corrected letter's (signed with a one-time code) says DIGANTI and links its
replacement. Last, no file the service wrote holds the credential.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
import subprocess
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pyotp
import pytest
import requests
import yaml
from naskah.formatting import tanggal

from checks import flat, pdfsig, pdftotext
from pki import P12_PASSWORD
from service_support import ServiceProcess
from signing_bsre_double import BsreTestDouble, DoubleUser
from browser import CHROMIUM, CHROMIUM_FLAGS, screenshot as _screenshot
from callback_receiver import CallbackReceiver
from cluster_support import KASUBAG, KEPALA, SEKRETARIS, STAFF, permohonan

PASSPHRASE = "sandi-pejabat-" + secrets.token_hex(8)  # the official's own credential: in no file afterwards
WRONG = "salah-" + secrets.token_hex(8)
SEED = pyotp.random_base32()  # the official's one-time codes
NIK = "3573011503850002"
CONNECTOR_PASSWORD = "konektor-" + secrets.token_hex(8)  # the agency's connector to BSrE (an env variable)
SIGN_V2 = "/api/v2/sign/pdf"
LOCKOUT_ATTEMPTS = 3
OTHER_HOST_TOKEN = secrets.token_urlsafe(24)

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed: run `sh .ci/bootstrap test`")


@pytest.fixture(scope="module")
def bsre(test_pki):
    """BSrE v2 (the test double), where the official NIK is registered with their passphrase and TOTP seed."""
    users = {NIK: DoubleUser(passphrase=PASSPHRASE, p12=test_pki.p12("signer"), p12_password=P12_PASSWORD,
                             totp_seed=SEED)}
    with BsreTestDouble(username="naskah", password=CONNECTOR_PASSWORD, users=users,
                        tsa_url=test_pki.tsa_url) as double:
        yield double


def _bsre_signing_dir(folder: Path, bsre: BsreTestDouble, test_pki) -> Path:
    """The default signing profile: the official's own key at BSrE v2 (no passphrase configured: it is given
    at signing), the test PKI's root trusted."""
    profile = {"key": bsre.profile_key(api="v2", nik=NIK, password_env="TEST_BSRE_CONNECTOR"), "level": "B-T",
               "trust_roots": [str(test_pki.cert_path("root"))], "tsa": {"url": test_pki.tsa_url, "timeout": 10},
               "lockout": {"attempts": LOCKOUT_ATTEMPTS, "minutes": 30}}
    (folder / "profiles").mkdir(parents=True)
    (folder / "profiles" / "default.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def receiver():
    receiver = CallbackReceiver(failures_first=0)
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory, data_dir, receiver, bsre, test_pki):
    work = tmp_path_factory.mktemp("service-flow")
    other = '[[service.hosts]]\nname = "dinas-lain"\ntoken_env = "TEST_OTHER_TOKEN"\n'
    signing = _bsre_signing_dir(work / "signing", bsre, test_pki)
    secrets_env = {"TEST_OTHER_TOKEN": OTHER_HOST_TOKEN, "TEST_BSRE_CONNECTOR": CONNECTOR_PASSWORD}
    service = ServiceProcess(work, data_dir, pool_size=1, signing_dir=signing, service_toml=other,
                             callback_prefix=receiver.prefix, extra_env=secrets_env).start()
    yield service
    service.stop()


def _ok(response: requests.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def _error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["status"] == status and error["code"] == code, error
    return error


def _draft(service: ServiceProcess, receiver: CallbackReceiver, workflow_id: str, **extra) -> dict:
    body = {"payload": permohonan(workflow_id), "actor": STAFF,
            "callback_url": receiver.prefix + f"flow?ref={workflow_id}"} | extra
    return _ok(service.post("/api/v1/drafts", json=body), 201)


def _through_review(service: ServiceProcess, draft: dict) -> dict:
    path = f"/api/v1/drafts/{draft['id']}"
    _ok(service.post(f"{path}/paraf", json={"actor": KASUBAG}))
    return _ok(service.post(f"{path}/paraf", json={"actor": SEKRETARIS, "version": draft["version"]}))


def _sign(service: ServiceProcess, draft_id: str, credential: dict | None = None, **extra) -> requests.Response:
    """The official signs with their BSrE passphrase (or the ``credential`` given: {"totp"} for a one-time
    code; a PKCS#11 signer would give {"pin"})."""
    body = {"actor": KEPALA, "credential": {"passphrase": PASSPHRASE} if credential is None else credential}
    return service.post(f"/api/v1/drafts/{draft_id}/sign", json=body | extra)


def _events(receiver: CallbackReceiver, draft_id: str, wanted: set[str], timeout: float = 60) -> list[tuple]:
    """(call, body) of the events posted for ``draft_id``, once every one of ``wanted`` has come."""
    deadline = time.monotonic() + timeout
    while True:
        calls = [(call, json.loads(call["body"])) for call in list(receiver.calls)]
        mine = [(call, body) for call, body in calls if body.get("draft", {}).get("id") == draft_id]
        if wanted <= {body["event"] for _, body in mine} or time.monotonic() > deadline:
            return mine
        time.sleep(0.1)


def _other_host() -> dict:
    return {"Authorization": f"Bearer {OTHER_HOST_TOKEN}"}


def _shot(tmp_path: Path, name: str) -> Path:
    """Where a screenshot goes: $NASKAH_TEST_SCREENSHOTS (as for test_service_page), else the test's folder."""
    folder = Path(os.environ.get("NASKAH_TEST_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def _chromium_text(url: str, profile: Path) -> tuple[str, str]:
    """The page as headless Chromium renders it: its DOM, and its text (tags stripped)."""
    result = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "</html>" in result.stdout, result.stderr[-2000:]
    return result.stdout, " ".join(re.sub(r"<[^>]+>", " ", result.stdout).split())


def test_a_permohonan_pelibatan_drafted_reviewed_returned_revised_and_signed(service, receiver, bsre, tmp_path):
    draft = _draft(service, receiver, "WF-FLOW-1")
    path = f"/api/v1/drafts/{draft['id']}"
    assert draft["state"] == "draft" and draft["version"] == 1 and draft["mapping"] == "permohonan_pelibatan"
    assert draft["workflow_id"] == "WF-FLOW-1" and draft["letter_id"] is None and draft["nomor"] is None
    assert draft["pending"] == {"action": "paraf", "step": 0, "title": KASUBAG["title"], "person": KASUBAG["name"],
                                "signature": False}
    assert KASUBAG["name"] in draft["waiting_for"]
    assert [entry["action"] for entry in draft["trail"]] == ["create"]

    # the preview, DRAFT on every page; as PNG page by page
    preview = service.get(draft["preview_url"])
    assert preview.status_code == 200 and preview.headers["content-type"] == "application/pdf"
    assert "DRAFT - belum ditandatangani" in flat(pdftotext(preview.content))
    png = service.get(f"{path}/preview.png", params={"page": 1, "dpi": 50})
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    _error(service.get(f"{path}/preview.png", params={"page": 29}), 404, "not_found")

    # another host: no such draft, whatever it tries
    _error(service.get(path, headers=_other_host()), 404, "not_found")
    _error(service.get(f"{path}/preview.pdf", headers=_other_host()), 404, "not_found")
    _error(service.post(f"{path}/paraf", json={"actor": KASUBAG}, headers=_other_host()), 404, "not_found")
    _error(service.get("/api/v1/drafts/no-such-draft"), 404, "not_found")

    # the Sekretaris before the Kasubag: refused, nothing changes
    refused = _error(service.post(f"{path}/paraf", json={"actor": SEKRETARIS, "step": 1}), 409, "illegal_transition")
    assert "waiting for the paraf of Kepala Sub Bagian Umum" in refused["message"] and refused["state"] == "draft"
    reviewed = _ok(service.post(f"{path}/paraf", json={"actor": KASUBAG, "step": 0, "note": "Sesuai"}))
    assert reviewed["state"] == "in_review" and reviewed["pending"]["person"] == SEKRETARIS["name"]
    _error(service.post(f"{path}/sign", json={"actor": KEPALA}), 409, "illegal_transition")

    # returned by the Sekretaris, revised by the drafter (version 2), reviewed again from the first paraf
    _error(service.post(f"{path}/return", json={"actor": SEKRETARIS}), 422, "invalid_request")
    returned = _ok(service.post(f"{path}/return", json={"actor": SEKRETARIS, "note": "Tambahkan kompetensi SRIKANDI"}))
    assert returned["state"] == "returned" and returned["pending"]["action"] == "revise"
    _error(service.post(f"{path}/paraf", json={"actor": KASUBAG}), 409, "illegal_transition")
    revised_payload = permohonan("WF-FLOW-1")
    revised_payload["data"]["kompetensi"].append("Menguasai aplikasi SRIKANDI")
    revised = _ok(requests.put(service.url(f"{path}/payload"), headers=service.bearer(), timeout=300,
                               json={"actor": STAFF, "payload": revised_payload, "version": 1}))
    assert revised["state"] == "draft" and revised["version"] == 2 and revised["pending"]["step"] == 0
    assert "Menguasai aplikasi SRIKANDI" in flat(pdftotext(service.get(revised["preview_url"]).content))
    _error(service.post(f"{path}/paraf", json={"actor": KASUBAG, "version": 1}), 409, "illegal_transition")
    awaiting = _through_review(service, revised)
    assert awaiting["state"] == "awaiting_signature" and awaiting["pending"]["action"] == "sign"
    assert awaiting["pending"]["person"] == "Dr. Agus Salim, S.T., M.T."

    # the official's credential: wrong (BSrE says 2031), then none (BSrE is not asked), then right; a refused
    # signature takes no number
    wrong = _error(_sign(service, draft["id"], {"passphrase": WRONG}), 403, "credential_refused")
    assert wrong["bsre_code"] == "2031" and wrong["problems"][0]["field"] == "credential"
    assert WRONG not in json.dumps(wrong)
    asked = bsre.posts(SIGN_V2)
    _error(_sign(service, draft["id"], {}), 422, "credential_required")
    assert bsre.posts(SIGN_V2) == asked
    unknown = _sign(service, draft["id"], {"passphrase": PASSPHRASE, "nik": "1"})
    _error(unknown, 422, "invalid_request")
    assert PASSPHRASE not in unknown.text
    assert _ok(service.get(path))["state"] == "awaiting_signature"
    signed = _ok(_sign(service, draft["id"], version=2), 201)
    assert bsre.posts(SIGN_V2) == asked + 1

    # dated today in WIB, numbered by the register (the first of the unit this year), signed
    today = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()
    assert signed["nomor"] == f"800.1.11.1/0001/35.73.401/{today.year}"
    assert signed["tanggal"] == today.isoformat() and signed["draft"]["tanggal"] == today.isoformat()
    assert signed["draft"]["state"] == "signed" and signed["draft"]["letter_id"] == signed["letter_id"]
    assert signed["verification_url"] == service.url(f"/v/{signed['letter_id']}")
    pdf = service.get(signed["pdf_url"])
    assert hashlib.sha256(pdf.content).hexdigest() == signed["sha256"]
    text = flat(pdftotext(pdf.content))
    assert tanggal(today) in text and "14 Agustus 2023" not in text and signed["nomor"] in text
    assert "Menguasai aplikasi SRIKANDI" in text and "DRAFT" not in text
    (tmp_path / "signed.pdf").write_bytes(pdf.content)
    assert "Signature is Valid." in pdfsig(tmp_path / "signed.pdf")
    _error(_sign(service, draft["id"]), 409, "illegal_transition")

    # the trail lists every step, who took it and on which version
    final = _ok(service.get(path))
    steps = [(e["action"], e["state"], e["version"], e["actor"]["name"]) for e in final["trail"]]
    assert steps == [("create", "draft", 1, STAFF["name"]), ("paraf", "in_review", 1, KASUBAG["name"]),
                     ("return", "returned", 1, SEKRETARIS["name"]), ("revise", "draft", 2, STAFF["name"]),
                     ("paraf", "in_review", 2, KASUBAG["name"]), ("paraf", "awaiting_signature", 2, SEKRETARIS["name"]),
                     ("sign", "signed", 2, KEPALA["name"])]
    assert final["trail"][2]["note"] == "Tambahkan kompetensi SRIKANDI" and final["trail"][1]["note"] == "Sesuai"
    assert final["pending"] is None and final["pdf_url"] == signed["pdf_url"]

    # the host was told of every step, in signed callbacks, and never of the credential
    events = _events(receiver, draft["id"], {"letter.returned", "letter.signed"})
    names = [body["event"] for _, body in events]
    assert {"letter.drafted", "letter.paraf", "letter.returned", "letter.revised", "letter.signed"} <= set(names)
    for call, body in events:
        headers = call["headers"]
        assert call["path"] == "/naskah/flow?ref=WF-FLOW-1" and headers["X-Naskah-Event"] == body["event"]
        message = f"{headers['X-Naskah-Timestamp']}\nPOST\n{call['path']}\n".encode() + call["body"]
        expected = "sha256=" + hmac.new(service.secret.encode(), message, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Naskah-Signature"], expected)
        assert PASSPHRASE.encode() not in call["body"] and WRONG.encode() not in call["body"]
        assert b"credential" not in call["body"]
    returned_event = next(body for _, body in events if body["event"] == "letter.returned")
    assert returned_event["draft"]["trail"][-1]["note"] == "Tambahkan kompetensi SRIKANDI"
    signed_event = next(body for _, body in events if body["event"] == "letter.signed")
    assert signed_event["letter"]["letter_id"] == signed["letter_id"] and signed_event["letter"]["nomor"]


def test_a_withdrawn_draft_cannot_be_signed(service, receiver):
    draft = _draft(service, receiver, "WF-FLOW-WITHDRAWN")
    path = f"/api/v1/drafts/{draft['id']}"
    _error(service.post(f"{path}/withdraw", json={"actor": STAFF}, headers=_other_host()), 404, "not_found")
    withdrawn = _ok(service.post(f"{path}/withdraw", json={"actor": STAFF, "note": "Tidak jadi"}))
    assert withdrawn["state"] == "withdrawn" and withdrawn["closed_at"] and withdrawn["pending"] is None
    _error(service.post(f"{path}/paraf", json={"actor": KASUBAG}), 409, "illegal_transition")
    _error(_sign(service, draft["id"]), 409, "illegal_transition")

    refused = permohonan("WF-FLOW-REFUSED")
    del refused["data"]["hal"]
    problems = _error(service.post("/api/v1/drafts", json={"payload": refused, "actor": STAFF}), 422,
                      "payload_refused")["problems"]
    assert "data.hal" in {problem["field"] for problem in problems}
    _error(service.post("/api/v1/drafts", json={"payload": permohonan("WF-X")}), 422, "invalid_request")


@needs_chromium
def test_a_revoked_letter_says_dicabut_with_its_reason(service, receiver, tmp_path):
    draft = _draft(service, receiver, "WF-FLOW-REVOKE")
    _through_review(service, draft)
    letter = _ok(_sign(service, draft["id"]), 201)
    revoke = f"/api/v1/letters/{letter['letter_id']}/revoke"
    reason = "Kegiatan dibatalkan berdasarkan rapat pimpinan"
    _error(service.post(revoke, json={"actor": KEPALA, "reason": reason}, headers=_other_host()), 404, "not_found")
    _error(service.post(revoke, json={"actor": KEPALA}), 422, "invalid_request")
    revoked = _ok(service.post(revoke, json={"actor": KEPALA, "reason": reason}))
    assert revoked["state"] == "revoked" and revoked["revocation_reason"] == reason and revoked["closed_at"]
    _error(service.post(revoke, json={"actor": KEPALA, "reason": reason}), 409, "illegal_transition")
    assert "letter.revoked" in {body["event"] for _, body in _events(receiver, draft["id"], {"letter.revoked"})}

    dom, text = _chromium_text(letter["verification_url"], tmp_path / "chromium")
    assert "Surat ini DICABUT" in text and f"Alasan pencabutan: {reason}" in text
    closed = dt.datetime.fromisoformat(revoked["closed_at"]).astimezone(ZoneInfo("Asia/Jakarta"))
    assert tanggal(closed.date()) in text and letter["nomor"] in text
    _screenshot(letter["verification_url"], _shot(tmp_path, "5-dicabut.png"), tmp_path / "chromium")


@needs_chromium
def test_a_corrected_letter_says_diganti_and_links_its_replacement(service, receiver, tmp_path):
    first = _draft(service, receiver, "WF-FLOW-KOREKSI")
    _through_review(service, first)
    old = _ok(_sign(service, first["id"]), 201)
    _error(service.post("/api/v1/drafts", json={"payload": permohonan("WF-X"), "actor": STAFF,
                                                "supersedes": "0" * 20}), 422, "invalid_request")
    correction = _draft(service, receiver, "WF-FLOW-KOREKSI-1", supersedes=old["letter_id"])
    assert correction["supersedes"] == old["letter_id"]
    _through_review(service, correction)
    new = _ok(_sign(service, correction["id"], {"totp": pyotp.TOTP(SEED).now()}), 201)
    assert new["letter_id"] != old["letter_id"] and new["nomor"] != old["nomor"]

    replaced = _events(receiver, first["id"], {"letter.superseded"})
    superseded = next(body for _, body in replaced if body["event"] == "letter.superseded")
    assert superseded["draft"]["state"] == "superseded" and superseded["draft"]["superseded_by"] == new["letter_id"]
    _error(service.post(f"/api/v1/letters/{old['letter_id']}/revoke", json={"actor": KEPALA, "reason": "x"}),
           409, "illegal_transition")

    dom, text = _chromium_text(old["verification_url"], tmp_path / "chromium")
    assert "Surat ini DIGANTI" in text and f"Lihat surat pengganti Nomor {new['nomor']}" in text
    assert f'href="/v/{new["letter_id"]}"' in dom
    _screenshot(old["verification_url"], _shot(tmp_path, "6-diganti.png"), tmp_path / "chromium")
    _, replacement = _chromium_text(new["verification_url"], tmp_path / "chromium")
    assert "DIGANTI" not in replacement and "DICABUT" not in replacement and new["nomor"] in replacement


def test_after_repeated_wrong_passphrases_the_signer_is_locked_without_asking_bsre(service, receiver, bsre):
    draft = _through_review(service, _draft(service, receiver, "WF-FLOW-LOCK"))
    for attempt in range(1, LOCKOUT_ATTEMPTS + 1):
        wrong = _error(_sign(service, draft["id"], {"passphrase": WRONG}), 403, "credential_refused")
        assert wrong["bsre_code"] == "2031"
    assert wrong["locked_until"] and "WIB" in wrong["message"]  # the last refusal started the lockout
    asked = bsre.posts(SIGN_V2)
    locked = service.post(f"/api/v1/drafts/{draft['id']}/sign", json={"actor": KEPALA,
                                                                       "credential": {"passphrase": PASSPHRASE}})
    error = _error(locked, 429, "signer_locked")
    assert error["locked_until"] == wrong["locked_until"] and int(locked.headers["Retry-After"]) > 1700
    assert bsre.posts(SIGN_V2) == asked  # not forwarded, not even the right passphrase
    assert _ok(service.get(f"/api/v1/drafts/{draft['id']}"))["state"] == "awaiting_signature"
    assert PASSPHRASE not in locked.text and WRONG not in locked.text


def test_refusals_of_the_signers_credential_and_lockout_as_api_errors(caplog):
    """How the API answers what the signing layer raises (the lockout is not reached over HTTP here)."""
    from naskah.errors import SigningError
    from naskah.service.errors import api_error_for
    from naskah.sign.errors import CredentialRefused, SignerLocked

    until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=30)
    refused = api_error_for(CredentialRefused("BSrE refused the passphrase", code=2031, explanation="wrong "
                                              "passphrase").locking("the BSrE signer NIK 3573********0001", 5, until))
    body = refused.body()["error"]
    assert refused.status == 403 and body["code"] == "credential_refused" and body["bsre_code"] == "2031"
    assert body["locked_until"] == until.isoformat() and "WIB" in body["message"]
    locked = api_error_for(SignerLocked("the BSrE signer NIK 3573********0001", 5, until))
    assert locked.status == 429 and locked.body()["error"]["locked_until"] == until.isoformat()
    assert 1700 < int(locked.headers["Retry-After"]) <= 1801

    # whatever failed while the credential was in hand, neither the answer nor the log holds it
    for failure in (SigningError(f"token said {PASSPHRASE}"), RuntimeError(f"odd {PASSPHRASE}")):
        answer = api_error_for(failure, [PASSPHRASE])
        assert PASSPHRASE not in json.dumps(answer.body()) and answer.status in (500, 503)
    assert PASSPHRASE not in caplog.text and "RuntimeError" in caplog.text


def test_the_openapi_document_describes_the_flow(service):
    document = requests.get(service.url("/openapi.json"), timeout=30).json()
    paths = document["paths"]
    for path, method in (("/api/v1/drafts", "post"), ("/api/v1/drafts/{draft_id}", "get"),
                         ("/api/v1/drafts/{draft_id}/preview.pdf", "get"),
                         ("/api/v1/drafts/{draft_id}/preview.png", "get"),
                         ("/api/v1/drafts/{draft_id}/paraf", "post"), ("/api/v1/drafts/{draft_id}/return", "post"),
                         ("/api/v1/drafts/{draft_id}/payload", "put"), ("/api/v1/drafts/{draft_id}/withdraw", "post"),
                         ("/api/v1/drafts/{draft_id}/sign", "post"), ("/api/v1/letters/{letter_id}/revoke", "post")):
        operation = paths[path][method]
        assert operation["summary"] and operation["security"], path
    schemas = document["components"]["schemas"]
    assert {"DraftCreate", "SignIn", "CredentialIn", "DraftOut", "SignedLetter", "RevokeIn"} <= set(schemas)
    assert {"403", "429"} <= set(paths["/api/v1/drafts/{draft_id}/sign"]["post"]["responses"])


def test_the_credential_is_in_no_file_the_service_wrote(service, receiver, data_dir):
    """Last: the log, the databases (freed pages too), the previews and the store hold no credential."""
    written = [path for folder in (service.workdir, data_dir) for path in folder.rglob("*") if path.is_file()]
    assert any(path.name == "service.log" for path in written) and any(path.suffix == ".sqlite" for path in written)
    for path in written:
        content = path.read_bytes()
        for secret in (PASSPHRASE, WRONG, CONNECTOR_PASSWORD):
            assert secret.encode() not in content, path
    for call in receiver.calls:
        assert PASSPHRASE.encode() not in call["body"] and WRONG.encode() not in call["body"]
