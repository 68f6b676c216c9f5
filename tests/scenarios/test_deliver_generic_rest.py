"""Delivery through the outbox with the generic REST connector, against the tests' own host DMS on
127.0.0.1 (tests/dms_host.py): a real HTTP server that can be down, fail, answer slowly or refuse.

Every fault ends with exactly one copy in the DMS and nothing lost."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from dms_host import HostDms, tls_for_localhost
from dms_postgres import PostgresServer
from dms_support import (TOKEN_ENV, config_for, generic_options, letter_payload, naskah_command,
                         naskah_env, naskah_for, run_naskah, write_config)
from naskah.config import load_settings
from naskah.deliver import Delivery, DmsDocument, Outbox, connector_for, idempotency_key
from naskah.errors import ConfigError
from naskah.pipeline import Naskah
from naskah.ports import free_loopback_port

TOKEN = "host-dms-secret-token"


@pytest.fixture
def host():
    dms = HostDms(token=TOKEN).start()
    yield dms
    dms.stop()


@pytest.fixture
def token_env(monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


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


# ------------------------------------------------------------------------------------------- the outbox itself

def _document(number: int, tmp_path) -> tuple[DmsDocument, object]:
    pdf = tmp_path / f"letter-{number}.pdf"
    pdf.write_bytes(b"%%PDF-1.7 letter %d" % number)
    sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
    document = DmsDocument(letter_id=f"L{number}", idempotency_key=idempotency_key("WF", f"L{number}"),
                           workflow_id="WF", sha256=sha, filename=f"L{number}.pdf", document_type="Surat Tugas",
                           label=f"Letter {number}", metadata={"nomor_surat": str(number)})
    return document, pdf


@pytest.fixture(scope="session")
def postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def outbox_location(request, tmp_path):
    """The outbox in SQLite, and the same code on a real PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "outbox.sqlite")
    return request.getfixturevalue("postgres").new_database()


def test_a_claim_is_exclusive_until_its_lease_expires(outbox_location, tmp_path):
    outbox = Outbox(outbox_location)
    document, pdf = _document(1, tmp_path)
    outbox.record(document, "arsip", pdf)
    outbox.record(document, "arsip", pdf)  # recording again changes nothing
    assert len(outbox.entries()) == 1

    first = outbox.claim(document.idempotency_key, "arsip", "owner-a", lease_seconds=1)
    assert first is not None and first.state == "delivering" and first.attempts == 1
    assert outbox.claim(document.idempotency_key, "arsip", "owner-b", lease_seconds=1) is None
    time.sleep(1.1)
    taken = outbox.claim(document.idempotency_key, "arsip", "owner-b", lease_seconds=60)
    assert taken is not None and taken.lease_owner == "owner-b" and taken.attempts == 2
    assert not outbox.renew(first, "owner-a", 60)  # the first owner lost it and must stop
    late = outbox.delivered(first, "owner-a", "X", None)  # and cannot finish it either
    assert late.state == "delivering" and late.lease_owner == "owner-b"
    done = outbox.delivered(taken, "owner-b", "DOC-9", "http://dms/9")
    assert (done.state, done.dms_id, done.lease_owner) == ("delivered", "DOC-9", None)
    assert outbox.claim(document.idempotency_key, "arsip", "owner-c", lease_seconds=60, include_failed=True) is None


def test_the_claim_of_a_dead_process_is_taken_over_at_once(outbox_location, tmp_path):
    from naskah.deliver.outbox import new_owner

    outbox = Outbox(outbox_location)
    document, pdf = _document(1, tmp_path)
    outbox.record(document, "arsip", pdf)
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    mine = new_owner()
    host, space, _pid, _ = mine.rsplit(":", 3)
    dead = f"{host}:{space}:{child.stdout.strip()}:0000"
    alive = f"{host}:{space}:{os.getppid()}:0000"  # a process that still runs
    assert outbox.claim(document.idempotency_key, "arsip", alive, lease_seconds=600)
    assert outbox.claim(document.idempotency_key, "arsip", mine, lease_seconds=600) is None
    other, _ = _document(2, tmp_path)
    outbox.record(other, "arsip", pdf)
    assert outbox.claim(other.idempotency_key, "arsip", dead, lease_seconds=600)
    taken = outbox.claim(other.idempotency_key, "arsip", mine, lease_seconds=600)
    assert taken is not None and taken.lease_owner == mine and taken.attempts == 2
    assert [key for key, _ in outbox.candidates("arsip", due_only=False, include_failed=True)] == []


def test_a_lease_shorter_than_one_request_is_refused():
    with pytest.raises(ConfigError, match=r"lease_seconds \(30\) must be longer than one request can take"):
        load_settings(None, dms=generic_options("http://127.0.0.1:9/api", lease_seconds=30, read_timeout=60))


def test_many_threads_claiming_at_once_get_each_entry_once(outbox_location, tmp_path):
    outbox = Outbox(outbox_location)
    keys = []
    for number in range(20):
        document, pdf = _document(number, tmp_path)
        outbox.record(document, "arsip", pdf)
        keys.append(document.idempotency_key)
    won: list[tuple[str, str]] = []
    lock = threading.Lock()

    def worker(name):
        for key in keys:
            if Outbox(outbox_location).claim(key, "arsip", name, lease_seconds=60):
                with lock:
                    won.append((key, name))

    threads = [threading.Thread(target=worker, args=(f"w{index}",)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(key for key, _ in won) == sorted(keys)


def test_two_processes_delivering_an_outbox_on_postgresql(postgres, tmp_path, data_dir):
    """Several naskah instances sharing one outbox in PostgreSQL: each letter is uploaded once."""
    location = postgres.new_database()
    outbox = Outbox(location)
    documents = []
    for number in range(8):
        document, pdf = _document(number, tmp_path)
        outbox.record(document, "arsip", pdf)
        documents.append(document)
    host = HostDms(token=TOKEN)
    host.upload_delay = 0.2
    host.start()
    try:
        config = write_config(tmp_path / "naskah.toml", data_dir=str(data_dir), store_dir=str(tmp_path / "store"),
                              outbox=location, dms=generic_options(host.url))
        runs = [subprocess.Popen(naskah_command("--config", str(config), "outbox", "retry"), env=naskah_env(TOKEN),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [run.communicate(timeout=120) for run in runs]
        assert all(run.returncode == 0 for run in runs), outputs
        assert sum(out.count("delivered ") for out, _ in outputs) == 8
        assert host.uploads_tried() == 8
        assert sorted(copy.sha256 for copy in host.copies()) == sorted(doc.sha256 for doc in documents)
        assert {entry.state for entry in outbox.entries()} == {"delivered"}
        listing = run_naskah("--config", str(config), "outbox", "list", token=None)
        assert listing.stdout.count(" delivered ") == 8
        assert "postgresql://naskah@127.0.0.1" in listing.stderr
    finally:
        host.stop()


def test_the_outbox_sql_is_plain_enough_for_postgresql():
    """The statements avoid SQLite-only syntax, so the same code runs on PostgreSQL (psycopg, %s markers)."""
    import inspect

    from naskah.deliver import outbox as module

    source = inspect.getsource(module).replace(module.__doc__, "").upper()
    for sqlite_only in ("AUTOINCREMENT", "INSERT OR ", "DATETIME(", "STRFTIME(", "JULIANDAY(", "REPLACE INTO",
                        "ROWID"):
        assert sqlite_only not in source


def test_a_pdf_changed_after_it_was_recorded_is_not_delivered(host, token_env, tmp_path):
    outbox = Outbox(tmp_path / "outbox.sqlite")
    document, pdf = _document(1, tmp_path)
    outbox.record(document, "arsip", pdf)
    pdf.write_bytes(b"%PDF-1.7 something else")
    from naskah.deliver.options import GenericRestOptions

    delivery = Delivery(connector_for(GenericRestOptions(**generic_options(host.url))), outbox)
    result = delivery.deliver(document.idempotency_key)
    assert result.entry.state == "failed" and "SHA-256 differs" in result.entry.last_error
    assert host.received == []


def test_secrets_are_refused_in_configuration_files(tmp_path):
    config = write_config(tmp_path / "bad.toml", dms=generic_options("http://127.0.0.1:9/api", token="s3cr3t-value"))
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert "dms.generic_rest.token: Extra inputs are not permitted" in str(error.value)
    assert "s3cr3t-value" not in str(error.value)
    with pytest.raises(ConfigError, match="must not contain credentials"):
        load_settings(None, dms=generic_options("http://user:pw@127.0.0.1:9/api"))
    with pytest.raises(ConfigError, match="name of an environment variable"):
        load_settings(None, dms=generic_options("http://127.0.0.1:9/api", auth={"kind": "bearer",
                                                                               "token_env": "abc def"}))


def test_tls_is_verified_against_the_configured_ca_bundle(token_env, tmp_path):
    context, ca_file = tls_for_localhost(tmp_path)
    host = HostDms(token=TOKEN, tls=context).start()
    try:
        from naskah.deliver.options import GenericRestOptions

        outbox = Outbox(tmp_path / "outbox.sqlite")
        document, pdf = _document(1, tmp_path)
        outbox.record(document, "arsip", pdf)
        untrusted = Delivery(connector_for(GenericRestOptions(**generic_options(host.url))), outbox)
        result = untrusted.deliver(document.idempotency_key)
        assert result.entry.state == "failed" and "TLS verification failed" in result.entry.last_error
        assert host.copies() == []

        trusted = Delivery(connector_for(GenericRestOptions(**generic_options(host.url, ca_bundle=str(ca_file)))),
                           outbox)
        result = trusted.deliver(document.idempotency_key, include_failed=True)
        assert result.entry.state == "delivered", result.entry.last_error
        assert [copy.sha256 for copy in host.copies()] == [document.sha256]
    finally:
        host.stop()


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
