"""Delivery to a real Mayan EDMS 4.x (``mayan-edms`` from PyPI, started by these tests on 127.0.0.1, see
tests/support/dms_mayan.py), directly or through a proxy that injects faults (tests/support/dms_proxy.py).

Each fault ends with exactly one copy of the letter in Mayan (counted over every document's files, not
through Mayan's search) and nothing lost."""
from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import time

import pytest

from dms_mayan import MayanServer
from dms_proxy import FaultProxy
from dms_support import (TOKEN_ENV, config_for, letter_payload, naskah_command, naskah_env, naskah_for,
                         run_naskah, write_config)
from naskah.deliver import Outbox, idempotency_key
from naskah.ports import free_loopback_port

#: A different range of letter numbers from tests/scenarios/test_deliver_generic_rest.py, so that no two letters
#: are the same.
BASE = 500


@pytest.fixture(scope="session")
def mayan(tmp_path_factory, data_dir):
    server = MayanServer(tmp_path_factory.mktemp("mayan")).start()
    try:
        config = write_config(tmp_path_factory.mktemp("mayan-setup") / "naskah.toml", data_dir=str(data_dir),
                              dms=mayan_options(server.url))
        setup = run_naskah("--config", str(config), "dms", "setup", token=server.token)
        assert setup.returncode == 0, setup.stderr
        assert "created document type 'Surat Tugas'" in setup.stdout
        yield server
    finally:
        server.stop()


def mayan_options(url: str, **overrides) -> dict:
    options = {"kind": "mayan", "name": "arsip", "url": url, "token_env": TOKEN_ENV, "connect_timeout": 3,
               "read_timeout": 60, "retries": 2, "backoff": 0.1, "backoff_max": 1}
    return options | overrides


@pytest.fixture
def token(mayan, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, mayan.token)
    return mayan.token


def payload_file(tmp_path, number: int, kind: str = "surat-tugas-tim"):
    path = tmp_path / f"letter-{number}.json"
    path.write_text(json.dumps(letter_payload(BASE + number, kind)), encoding="utf-8")
    return path


def sha256_of(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def proxy(mayan):
    fault = FaultProxy(mayan.url)
    yield fault
    fault.stop()


def test_a_letter_arrives_with_label_type_every_metadata_value_and_its_checksum(mayan, token, data_dir, tmp_path):
    naskah = naskah_for(data_dir, tmp_path, mayan_options(mayan.url))
    issued = naskah.issue(letter_payload(BASE + 1, "surat-tugas-individu"))
    assert issued.delivery_state == "delivered", issued.delivery_error

    document = mayan.call("GET", f"/api/v4/documents/{issued.dms_document_id}/")
    assert issued.dms_url == f"{mayan.url}/#/documents/documents/{document['id']}/preview/"
    assert document["label"] == "Surat Tugas 000.1.2.3/0501/35.73.403/2023 - Maria Ulfa, S.E., M.Ec.Dev."
    assert document["document_type"]["label"] == "Surat Tugas"
    # Mayan's checksum of the file is the SHA-256 of what it received: exactly the signed PDF
    assert document["file_latest"]["checksum"] == issued.sha256 == sha256_of(issued.pdf_path)
    assert document["file_latest"]["mimetype"] == "application/pdf"
    assert mayan.metadata(document["id"]) == {
        "nomor_surat": "000.1.2.3/0501/35.73.403/2023",
        "tanggal_surat": "2023-07-03",
        "perihal": issued.metadata["hal"],
        "jenis_naskah": "surat_tugas_individu",
        "workflow_id": "WF-TEST-000501",
        "penandatangan": issued.metadata["penandatangan"],
        "naskah_key": idempotency_key("WF-TEST-000501", issued.letter_id),
    }
    assert [tag["label"] for tag in mayan.all(f"/api/v4/documents/{document['id']}/tags/")] == ["Surat Tugas"]
    assert [cabinet["label"] for cabinet in mayan.all(f"/api/v4/documents/{document['id']}/cabinets/")] == \
        ["Naskah Dinas"]

    again = naskah.issue(letter_payload(BASE + 1, "surat-tugas-individu"))
    assert again.reused and again.dms_document_id == issued.dms_document_id
    assert len(mayan.copies_of(issued.sha256)) == 1


def test_check_and_setup_again(mayan, data_dir, tmp_path):
    config = config_for(tmp_path, data_dir, mayan_options(mayan.url))
    check = run_naskah("--config", str(config), "dms", "check", token=mayan.token)
    assert check.returncode == 0, check.stderr
    assert f"Mayan EDMS 'arsip' at {mayan.url}: reachable, credentials accepted (user admin)" in check.stdout
    again = run_naskah("--config", str(config), "dms", "setup", token=mayan.token)
    assert again.returncode == 0 and again.stdout == ""  # everything exists: nothing created twice


def test_500s_then_success(mayan, proxy, token, data_dir, tmp_path):
    proxy.fail_next(2, 500, method="POST", path="/documents/upload/")
    issued = naskah_for(data_dir, tmp_path, mayan_options(proxy.url)).issue(letter_payload(BASE + 2))
    assert issued.delivery_state == "delivered", issued.delivery_error
    assert proxy.uploads() == 3
    assert [doc["id"] for doc in mayan.copies_of(issued.sha256)] == [int(issued.dms_document_id)]


def test_a_response_slower_than_the_timeout_although_the_upload_was_stored(mayan, proxy, token, data_dir, tmp_path):
    proxy.slow_uploads = 6
    issued = naskah_for(data_dir, tmp_path, mayan_options(proxy.url, read_timeout=3)).issue(letter_payload(BASE + 3))
    assert issued.delivery_state == "delivered", issued.delivery_error
    assert proxy.uploads() == 1  # found by its checksum in Mayan: not uploaded again
    [copy] = mayan.copies_of(issued.sha256)
    assert str(copy["id"]) == issued.dms_document_id
    assert mayan.metadata(copy["id"])["nomor_surat"] == "800.1.11.1/0503/35.73.401/2023"  # completed


def test_mayan_down_when_issued_and_started_later_then_outbox_retry(mayan, data_dir, tmp_path):
    config = config_for(tmp_path, data_dir, mayan_options(mayan.url, retries=1))
    payload = payload_file(tmp_path, 4)
    mayan.stop()
    try:
        issued = run_naskah("--config", str(config), "issue", str(payload), token=mayan.token)
    finally:
        mayan.start()
    assert issued.returncode == 0, issued.stderr
    assert f"Mayan EDMS 'arsip' at {mayan.url}: connection refused" in issued.stderr
    [entry] = Outbox(tmp_path / "store" / "outbox.sqlite").entries()
    assert entry.state == "pending" and entry.attempts == 1

    retry = run_naskah("--config", str(config), "outbox", "retry", token=mayan.token)
    assert retry.returncode == 0, retry.stderr
    [copy] = mayan.copies_of(entry.sha256)
    assert retry.stdout.startswith(f"delivered {entry.letter_id} -> document {copy['id']}")
    listing = run_naskah("--config", str(config), "outbox", "list", token=None)
    assert " delivered " in listing.stdout and f"document {copy['id']}" in listing.stdout


def test_the_issuing_process_killed_during_delivery_then_restarted(mayan, proxy, data_dir, tmp_path):
    """SIGKILL while the upload is in Mayan and its answer is held back by the proxy: the letter was signed
    and recorded; the restarted process finds Mayan's copy and does not upload it again."""
    proxy.slow_uploads = 60
    config = config_for(tmp_path, data_dir, mayan_options(proxy.url))
    payload = payload_file(tmp_path, 5)
    process = subprocess.Popen(naskah_command("--config", str(config), "issue", str(payload)),
                               env=naskah_env(mayan.token), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        entry = None
        while time.monotonic() < deadline:
            entries = Outbox(tmp_path / "store" / "outbox.sqlite").entries() \
                if (tmp_path / "store" / "outbox.sqlite").exists() else []
            if entries and proxy.uploads() == 1 and mayan.copies_of(entries[0].sha256):
                entry = entries[0]
                break
            time.sleep(0.3)
        assert entry is not None, "the upload never reached Mayan"
        assert entry.state == "delivering" and entry.outcome_unknown
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        process.kill()
        process.communicate()
    proxy.slow_uploads = 0
    # restarted at once: the dead process's claim is taken over (its pid is gone), no waiting for the lease

    restarted = run_naskah("--config", str(config), "issue", str(payload), token=mayan.token)
    assert restarted.returncode == 0, restarted.stderr
    assert restarted.stdout.startswith("already issued")
    [copy] = mayan.copies_of(entry.sha256)
    assert f"delivered to the DMS: document {copy['id']}" in restarted.stdout
    assert proxy.uploads() == 1
    assert mayan.metadata(copy["id"])["workflow_id"] == "WF-TEST-000505"


def test_two_processes_delivering_the_same_outbox_at_once(mayan, data_dir, tmp_path):
    down = config_for(tmp_path, data_dir, mayan_options(f"http://127.0.0.1:{free_loopback_port()}", retries=0))
    payloads = [str(payload_file(tmp_path, number)) for number in (6, 7, 8)]
    issued = run_naskah("--config", str(down), "issue", *payloads, token=mayan.token)
    assert issued.returncode == 0, issued.stderr
    entries = Outbox(tmp_path / "store" / "outbox.sqlite").entries()
    assert [entry.state for entry in entries] == ["pending"] * 3

    config = config_for(tmp_path, data_dir, mayan_options(mayan.url))  # the DMS is back (at its address)
    runs = [subprocess.Popen(naskah_command("--config", str(config), "outbox", "retry"), env=naskah_env(mayan.token),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    assert sum(out.count("delivered ") for out, _ in outputs) == 3
    for entry in entries:
        assert len(mayan.copies_of(entry.sha256)) == 1, entry.letter_id
    assert {entry.state for entry in Outbox(tmp_path / "store" / "outbox.sqlite").entries()} == {"delivered"}


def test_wrong_credentials_name_mayan_and_the_status_and_keep_the_letter(mayan, data_dir, tmp_path):
    wrong = "0123456789abcdef0123456789abcdef01234567"
    config = config_for(tmp_path, data_dir, mayan_options(mayan.url))
    payload = payload_file(tmp_path, 9)
    result = run_naskah("-v", "--config", str(config), "issue", str(payload), token=wrong)
    assert result.returncode == 1
    assert f"Mayan EDMS 'arsip' at {mayan.url} refused the credentials: HTTP 403 Forbidden: Invalid token." \
        in result.stderr
    assert wrong not in result.stdout + result.stderr
    [entry] = Outbox(tmp_path / "store" / "outbox.sqlite").entries()
    assert entry.state == "failed" and "HTTP 403" in entry.last_error and entry.attempts == 1
    assert wrong.encode() not in (tmp_path / "store" / "outbox.sqlite").read_bytes()
    assert mayan.copies_of(entry.sha256) == []

    fixed = run_naskah("--config", str(config), "outbox", "retry", token=mayan.token)
    assert fixed.returncode == 0, fixed.stderr
    assert len(mayan.copies_of(entry.sha256)) == 1


def test_a_stub_left_by_a_failed_upload_gets_the_file_not_a_second_document(mayan, token, data_dir, tmp_path):
    """Mayan makes the document before it processes the file; when processing fails it answers 500 and
    keeps a stub carrying our key. The next attempt gives that stub the file instead of uploading anew."""
    naskah = naskah_for(data_dir, tmp_path, mayan_options(mayan.url, stub_grace_seconds=0))
    prepared = naskah.prepare(letter_payload(BASE + 10))
    key = idempotency_key(prepared.workflow_id, prepared.letter_id)
    type_id = next(item["id"] for item in mayan.all("/api/v4/document_types/") if item["label"] == "Surat Tugas")
    stub = mayan.call("POST", "/api/v4/documents/", data={"document_type_id": type_id, "label": "stub",
                                                          "description": f"naskah-key: {key}"})
    issued = naskah.issue_prepared(prepared)  # the letter the stub's key was made for (its id is random)
    assert issued.delivery_state == "delivered", issued.delivery_error
    assert issued.dms_document_id == str(stub["id"])
    assert [doc["id"] for doc in mayan.copies_of(issued.sha256)] == [stub["id"]]
    assert mayan.metadata(stub["id"])["naskah_key"] == key
