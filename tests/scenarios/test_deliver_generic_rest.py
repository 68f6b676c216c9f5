"""Delivery through the outbox with the generic REST connector, against the tests' own host DMS on
127.0.0.1 (tests/support/dms_host.py): a real HTTP server that can be down, fail, answer slowly or refuse.

Every fault ends with exactly one copy in the DMS and nothing lost. The outbox alone is tested in
tests/unit/test_outbox.py, the connector alone in tests/unit/test_deliver.py."""
from __future__ import annotations

import hashlib
import json
import signal
import subprocess

from dms_host import HostDms
from dms_support import (TOKEN, TOKEN_ENV, config_for, generic_options, letter_payload, naskah_command,
                         naskah_env, naskah_for, run_naskah, write_config)
from naskah.deliver import Outbox, idempotency_key
from naskah.pipeline import Naskah
from naskah.ports import free_loopback_port


# ------------------------------------------------------------------------------------------- the happy path

def test_a_letter_arrives_with_its_fields_metadata_and_exact_bytes(host, token_env, data_dir, tmp_path):
    naskah = naskah_for(data_dir, tmp_path, generic_options(host.url))
    issued = naskah.issue(letter_payload(1))

    assert issued.delivery_state == "delivered"
    [copy] = host.copies()
    assert issued.dms_document_id == copy.id
    assert issued.dms_url == f"http://127.0.0.1:{host.port}/documents/{copy.id}"
    assert copy.sha256 == issued.sha256 == hashlib.sha256(issued.pdf_path.read_bytes()).hexdigest()
    assert copy.content == issued.pdf_path.read_bytes()
    assert copy.filename == f"{issued.letter_id}.pdf"
    assert copy.fields["title"] == "Surat Tugas 800.1.11.1/0001/35.73.401/2023 - Tim Kerja Pengembangan Layanan " \
                                   "Aplikasi Persuratan Elektronik"
    assert copy.fields["doc_type"] == "Surat Tugas"
    assert copy.fields["external_id"] == idempotency_key("WF-TEST-000001", issued.letter_id)
    assert copy.fields["checksum"] == issued.sha256
    assert copy.metadata == {
        "nomor_surat": "800.1.11.1/0001/35.73.401/2023", "tanggal_surat": "2023-06-27",
        "perihal": "Surat Tugas Tim Kerja Pengembangan Layanan Aplikasi Persuratan Elektronik",
        "jenis_naskah": "surat_tugas_tim", "workflow_id": "WF-TEST-000001",
        "penandatangan": "Drs. Hendra Wijaya, M.Si.",
    }

    again = naskah.issue(letter_payload(1))  # the host sends the payload again: same letter, no second copy
    assert again.reused and again.delivery_state == "delivered" and again.dms_document_id == copy.id
    assert len(host.copies()) == 1 and host.uploads_tried() == 1


def test_without_a_dms_the_local_store_is_the_only_target(settings, sample):
    issued = Naskah(settings).issue(sample("surat-tugas-individu"))
    assert issued.delivery_state is None and issued.dms_document_id is None
    assert not (settings.store_path / "outbox.sqlite").exists()


# ------------------------------------------------------------------------------------------- faults

def test_500s_then_success_makes_one_copy(host, token_env, data_dir, tmp_path):
    host.fail_next(2, 500, method="POST")
    issued = naskah_for(data_dir, tmp_path, generic_options(host.url)).issue(letter_payload(2))

    assert issued.delivery_state == "delivered"
    assert host.uploads_tried() == 3  # two refused with 500, each followed by a look for a copy, then stored
    assert [doc.sha256 for doc in host.copies()] == [issued.sha256]


def test_an_answer_slower_than_the_timeout_although_stored_makes_one_copy(host, token_env, data_dir, tmp_path):
    host.slow_uploads = 3.0
    naskah = naskah_for(data_dir, tmp_path, generic_options(host.url, read_timeout=1.0))
    issued = naskah.issue(letter_payload(3))

    assert issued.delivery_state == "delivered"
    assert host.uploads_tried() == 1  # the copy the unanswered upload made was found: not uploaded again
    [copy] = host.copies()
    assert copy.sha256 == issued.sha256 and issued.dms_document_id == copy.id


def test_dms_down_then_started_later_then_outbox_retry(data_dir, tmp_path):
    port = free_loopback_port()
    dms = generic_options(f"http://127.0.0.1:{port}/api", retries=1)
    config = config_for(tmp_path, data_dir, dms)
    payload = tmp_path / "letter.json"
    payload.write_text(json.dumps(letter_payload(4)))

    issued = run_naskah("--config", str(config), "issue", str(payload), token=TOKEN)
    assert issued.returncode == 0, issued.stderr  # issued and kept for delivery: not an error of the issue
    assert "not delivered (pending), kept in the outbox" in issued.stderr
    assert f"DMS 'arsip' at http://127.0.0.1:{port}/api: connection refused" in issued.stderr

    listing = run_naskah("--config", str(config), "outbox", "list", token=TOKEN)
    assert " pending " in listing.stdout and "connection refused" in listing.stdout

    host = HostDms(token=TOKEN, port=port).start()
    try:
        retry = run_naskah("--config", str(config), "outbox", "retry", token=TOKEN)
        assert retry.returncode == 0, retry.stderr
        assert retry.stdout.startswith("delivered ")
        [copy] = host.copies()
        pdf = next((tmp_path / "store" / "letters").glob("*.pdf")).read_bytes()
        assert copy.sha256 == hashlib.sha256(pdf).hexdigest()
        listing = run_naskah("--config", str(config), "outbox", "list", token=TOKEN)
        assert " delivered  arsip" in listing.stdout and f"document {copy.id}" in listing.stdout

        again = run_naskah("--config", str(config), "outbox", "retry", token=TOKEN)  # nothing left to do
        assert again.returncode == 0 and len(host.copies()) == 1
    finally:
        host.stop()


def test_issuing_process_killed_during_delivery_then_restarted(host, data_dir, tmp_path):
    """SIGKILL after signing, with the upload sent and its answer not yet back; the restarted process
    finds the copy the DMS made and does not upload again."""
    host.hold_uploads = True
    config = config_for(tmp_path, data_dir, generic_options(host.url))
    payload = tmp_path / "letter.json"
    payload.write_text(json.dumps(letter_payload(5)))

    process = subprocess.Popen(naskah_command("--config", str(config), "issue", str(payload)),
                               env=naskah_env(TOKEN), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert host.upload_received.wait(120), "the upload never came"
        # signed and in the outbox before the upload was tried
        [entry] = Outbox(tmp_path / "store" / "outbox.sqlite").entries()
        assert entry.state == "delivering" and entry.outcome_unknown
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        process.kill()
        process.communicate()
    host.hold_uploads = False
    host.release.set()
    # restarted at once: the claim of the dead process (its pid is gone) is taken over without waiting for
    # the lease to run out

    restarted = run_naskah("--config", str(config), "issue", str(payload), token=TOKEN)
    assert restarted.returncode == 0, restarted.stderr
    assert restarted.stdout.startswith("already issued") and "delivered to the DMS: document DOC-1" in restarted.stdout
    assert host.uploads_tried() == 1 and len(host.copies()) == 1
    [entry] = Outbox(tmp_path / "store" / "outbox.sqlite").entries()
    assert entry.state == "delivered" and entry.dms_id == "DOC-1" and entry.sha256 == host.copies()[0].sha256


def test_two_processes_delivering_the_same_outbox_at_once(data_dir, tmp_path):
    port = free_loopback_port()
    config = config_for(tmp_path, data_dir, generic_options(f"http://127.0.0.1:{port}/api", retries=0))
    payloads = []
    for number in range(6, 10):
        payload = tmp_path / f"letter-{number}.json"
        payload.write_text(json.dumps(letter_payload(number)))
        payloads.append(str(payload))
    issued = run_naskah("--config", str(config), "issue", *payloads, token=TOKEN)  # the DMS is down
    assert issued.returncode == 0, issued.stderr
    entries = Outbox(tmp_path / "store" / "outbox.sqlite").entries()
    assert [entry.state for entry in entries] == ["pending"] * 4

    host = HostDms(token=TOKEN, port=port)
    host.upload_delay = 0.4  # so that the two runs overlap
    host.start()
    try:
        runs = [subprocess.Popen(naskah_command("--config", str(config), "outbox", "retry"), env=naskah_env(TOKEN),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [run.communicate(timeout=120) for run in runs]
        assert all(run.returncode == 0 for run in runs), outputs
        delivered = [line for out, _ in outputs for line in out.splitlines() if line.startswith("delivered")]
        assert len(delivered) == 4  # each letter delivered by exactly one of the two
        assert host.uploads_tried() == 4
        copies = host.copies()
        assert sorted(doc.sha256 for doc in copies) == sorted(entry.sha256 for entry in entries)
        assert {entry.state for entry in Outbox(tmp_path / "store" / "outbox.sqlite").entries()} == {"delivered"}
    finally:
        host.stop()


def test_wrong_credentials_name_the_dms_and_status_and_keep_the_letter(host, data_dir, tmp_path):
    wrong = "this-token-is-wrong-9f2c"
    config = config_for(tmp_path, data_dir, generic_options(host.url))
    payload = tmp_path / "letter.json"
    payload.write_text(json.dumps(letter_payload(10)))

    result = run_naskah("-v", "--config", str(config), "issue", str(payload), token=wrong)
    assert result.returncode == 1
    assert (f"DMS 'arsip' at http://127.0.0.1:{host.port}/api refused the credentials: HTTP 401 Unauthorized: "
            "invalid or missing bearer token") in result.stderr
    assert len(host.received) == 1  # no retry storm: the first refusal stops the delivery
    assert host.copies() == []
    [entry] = Outbox(tmp_path / "store" / "outbox.sqlite").entries()
    assert entry.state == "failed" and "HTTP 401" in entry.last_error
    # the secret is nowhere: not in what was printed or logged, not in the outbox
    assert wrong not in result.stdout + result.stderr
    assert wrong.encode() not in (tmp_path / "store" / "outbox.sqlite").read_bytes()
    check = run_naskah("--config", str(config), "dms", "check", token=wrong)
    assert check.returncode == 2 and "refused the credentials: HTTP 401" in check.stderr and wrong not in check.stderr

    fixed = run_naskah("--config", str(config), "outbox", "retry", token=TOKEN)  # once the token is fixed
    assert fixed.returncode == 0, fixed.stderr
    assert len(host.copies()) == 1
    assert run_naskah("--config", str(config), "dms", "check", token=TOKEN).returncode == 0


def test_a_validation_error_stops_at_once_with_the_dms_message(host, token_env, data_dir, tmp_path):
    options = generic_options(host.url)
    options["fields"] = {"doc_type": "{document_type}"}  # the host requires a title
    issued = naskah_for(data_dir, tmp_path, options).issue(letter_payload(11))
    assert issued.delivery_state == "failed"
    assert "refused the request: HTTP 400 Bad Request: validation failed" in issued.delivery_error
    assert host.uploads_tried() == 1 and host.copies() == []


def test_a_missing_token_is_reported_by_its_variable_name(host, data_dir, tmp_path, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    issued = naskah_for(data_dir, tmp_path, generic_options(host.url)).issue(letter_payload(12))
    assert issued.delivery_state == "failed"
    assert f"the token is not set: put it in the environment variable {TOKEN_ENV}" in issued.delivery_error
    assert host.received == []


def test_busy_dms_429_is_retried_then_delivered(host, token_env, data_dir, tmp_path):
    host.fail_next(2, 429)
    issued = naskah_for(data_dir, tmp_path, generic_options(host.url)).issue(letter_payload(13))
    assert issued.delivery_state == "delivered" and len(host.copies()) == 1


def test_without_find_an_unknown_upload_is_not_repeated(host, token_env, data_dir, tmp_path):
    host.slow_uploads = 2.0
    options = generic_options(host.url, read_timeout=0.5, find=None)
    issued = naskah_for(data_dir, tmp_path, options).issue(letter_payload(14))
    assert issued.delivery_state == "failed"
    assert "may have arrived" in issued.delivery_error and "idempotency key naskah-" in issued.delivery_error
    assert host.uploads_tried() == 1


# ------------------------------------------------------------------------------------------- letters the outbox missed

def test_letters_the_outbox_never_got_are_listed_and_delivered_when_issued_again(host, data_dir, tmp_path):
    payload = tmp_path / "letter.json"
    payload.write_text(json.dumps(letter_payload(15)))
    without_dms = write_config(tmp_path / "local.toml", data_dir=str(data_dir), store_dir=str(tmp_path / "store"))
    assert run_naskah("--config", str(without_dms), "issue", str(payload), token=None).returncode == 0

    config = config_for(tmp_path, data_dir, generic_options(host.url))
    listing = run_naskah("--config", str(config), "outbox", "list", token=TOKEN)
    assert " not recorded " in listing.stdout and "800.1.11.1/0015/35.73.401/2023" in listing.stdout
    assert "1 letter(s) in the store are not in the outbox" in listing.stderr

    again = run_naskah("--config", str(config), "issue", str(payload), token=TOKEN)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("already issued") and "delivered to the DMS: document DOC-1" in again.stdout
    assert len(host.copies()) == 1
    assert "not recorded" not in run_naskah("--config", str(config), "outbox", "list", token=TOKEN).stdout
