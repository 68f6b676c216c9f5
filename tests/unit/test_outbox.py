"""The durable outbox on SQLite and on a real PostgreSQL: recording, claims and leases, a dead owner's claim
taken over, many claimers at once, several naskah instances sharing one outbox, and SQL plain enough for both."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from types import SimpleNamespace

from dms_host import HostDms
from dms_support import TOKEN, generic_options, naskah_command, naskah_env, outbox_document, run_naskah, write_config
from naskah.deliver import Outbox


def test_a_recorded_letter_waits_pending_with_its_document(location, tmp_path):
    outbox = Outbox(location)
    document, pdf = outbox_document(1, tmp_path)
    entry = outbox.record(document, "arsip", pdf)
    assert (entry.idempotency_key, entry.target, entry.letter_id, entry.workflow_id) == (
        document.idempotency_key, "arsip", "L1", "WF")
    assert (entry.pdf_path, entry.sha256, entry.document) == (pdf, document.sha256, document)
    assert (entry.state, entry.attempts, entry.outcome_unknown, entry.last_error) == ("pending", 0, False, None)
    assert (entry.lease_owner, entry.lease_until, entry.dms_id, entry.delivered_at) == (None, None, None, None)
    assert Outbox(location).get(document.idempotency_key, "arsip") == entry  # durable: another instance reads it
    assert outbox.get(document.idempotency_key, "other") is None

    second = outbox.record(document, "cadangan", pdf)  # the same letter bound for a second DMS: an entry of its own
    assert second.target == "cadangan" and len(outbox.entries()) == 2
    assert outbox.entries(target="arsip") == [entry] and outbox.entries(state="delivered") == []


def test_an_attempt_ends_pending_until_due_failed_until_asked_for_or_delivered(location, tmp_path):
    outbox = Outbox(location)
    document, pdf = outbox_document(1, tmp_path)
    key = document.idempotency_key
    outbox.record(document, "arsip", pdf)
    assert outbox.candidates("arsip", due_only=True, include_failed=False) == [(key, "arsip")]

    first = outbox.claim(key, "arsip", "owner-a", lease_seconds=60)
    outbox.set_outcome_unknown(first, "owner-b", True)  # only the lease owner may say so
    assert not outbox.get(key, "arsip").outcome_unknown
    outbox.set_outcome_unknown(first, "owner-a", True)  # the upload is about to be sent
    assert outbox.get(key, "arsip").outcome_unknown
    later = outbox.retry_later(first, "owner-a", "HTTP 503", time.time() + 3600, outcome_unknown=True)
    assert (later.state, later.last_error, later.outcome_unknown, later.lease_owner) == (
        "pending", "HTTP 503", True, None)
    assert outbox.candidates("arsip", due_only=True, include_failed=False) == []  # not due for an hour
    assert outbox.claim(key, "arsip", "owner-b", lease_seconds=60, due_only=True) is None
    assert outbox.candidates("arsip", due_only=False, include_failed=False) == [(key, "arsip")]

    second = outbox.claim(key, "arsip", "owner-b", lease_seconds=60)  # ``outbox retry`` does not wait
    assert second.attempts == 2 and second.outcome_unknown, "the first attempt may have left a copy"
    failed = outbox.failed(second, "owner-b", "HTTP 401 Unauthorized", outcome_unknown=False)
    assert (failed.state, failed.last_error, failed.lease_owner) == ("failed", "HTTP 401 Unauthorized", None)
    assert outbox.claim(key, "arsip", "owner-c", lease_seconds=60) is None
    assert outbox.candidates("arsip", due_only=False, include_failed=False) == []
    assert outbox.candidates("arsip", due_only=False, include_failed=True) == [(key, "arsip")]

    third = outbox.claim(key, "arsip", "owner-c", lease_seconds=60, include_failed=True)  # once it is fixed
    done = outbox.delivered(third, "owner-c", "DOC-1", "http://dms/1")
    assert (done.state, done.dms_id, done.dms_url, done.last_error, done.outcome_unknown, done.attempts) == (
        "delivered", "DOC-1", "http://dms/1", None, False, 3)
    assert done.delivered_at is not None and outbox.entries(state="delivered") == [done]
    assert outbox.candidates("arsip", due_only=False, include_failed=True) == []


def test_a_renewed_lease_keeps_the_entry_from_other_claimers(location, tmp_path):
    outbox = Outbox(location)
    document, pdf = outbox_document(1, tmp_path)
    outbox.record(document, "arsip", pdf)
    mine = outbox.claim(document.idempotency_key, "arsip", "owner-a", lease_seconds=1)
    assert outbox.renew(mine, "owner-a", 60)  # a long upload: the lease is extended before it runs out
    time.sleep(1.1)
    assert outbox.claim(document.idempotency_key, "arsip", "owner-b", lease_seconds=60) is None
    assert outbox.get(document.idempotency_key, "arsip").lease_owner == "owner-a"
    assert not outbox.renew(mine, "owner-b", 60), "only the owner renews"


def test_letters_the_outbox_never_got_and_keys_by_letter(location, tmp_path):
    outbox = Outbox(location)
    for number in (1, 2):
        document, pdf = outbox_document(number, tmp_path)
        outbox.record(document, "arsip", pdf)
    stored = [SimpleNamespace(letter_id=f"L{number}") for number in (1, 2, 3)]
    assert [letter.letter_id for letter in outbox.unrecorded(stored, "arsip")] == ["L3"]
    assert [letter.letter_id for letter in outbox.unrecorded(stored, "cadangan")] == ["L1", "L2", "L3"]
    keys, missing = outbox.keys_of(["L2", "L9", "L3"], "arsip")
    assert keys == [outbox_document(2, tmp_path)[0].idempotency_key] and missing == ["L3", "L9"]


def test_a_claim_is_exclusive_until_its_lease_expires(location, tmp_path):
    outbox = Outbox(location)
    document, pdf = outbox_document(1, tmp_path)
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


def test_the_claim_of_a_dead_process_is_taken_over_at_once(location, tmp_path):
    from naskah.deliver.outbox import new_owner

    outbox = Outbox(location)
    document, pdf = outbox_document(1, tmp_path)
    outbox.record(document, "arsip", pdf)
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    mine = new_owner()
    host, space, _pid, _ = mine.rsplit(":", 3)
    dead = f"{host}:{space}:{child.stdout.strip()}:0000"
    alive = f"{host}:{space}:{os.getppid()}:0000"  # a process that still runs
    assert outbox.claim(document.idempotency_key, "arsip", alive, lease_seconds=600)
    assert outbox.claim(document.idempotency_key, "arsip", mine, lease_seconds=600) is None
    other, _ = outbox_document(2, tmp_path)
    outbox.record(other, "arsip", pdf)
    assert outbox.claim(other.idempotency_key, "arsip", dead, lease_seconds=600)
    taken = outbox.claim(other.idempotency_key, "arsip", mine, lease_seconds=600)
    assert taken is not None and taken.lease_owner == mine and taken.attempts == 2
    assert [key for key, _ in outbox.candidates("arsip", due_only=False, include_failed=True)] == []


def test_many_threads_claiming_at_once_get_each_entry_once(location, tmp_path):
    outbox = Outbox(location)
    keys = []
    for number in range(20):
        document, pdf = outbox_document(number, tmp_path)
        outbox.record(document, "arsip", pdf)
        keys.append(document.idempotency_key)
    won: list[tuple[str, str]] = []
    lock = threading.Lock()

    def worker(name):
        for key in keys:
            if Outbox(location).claim(key, "arsip", name, lease_seconds=60):
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
        document, pdf = outbox_document(number, tmp_path)
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

