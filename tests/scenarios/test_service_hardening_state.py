"""Issue 13, what naskah keeps: the real `naskah serve` (and `naskah issue`) on 127.0.0.1.

Under umask 022, everything the service writes (store, index, service and state databases with their WAL files,
outbox, drafts' previews, LibreOffice profiles, demo key) is its user's alone; a finished job's payload cannot be
found in the bytes of service.sqlite or its WAL. A `naskah issue` killed between the store's commit and the
outbox's is delivered by the service's reconciliation when it starts, and a delivery that failed is retried by
the service's own schedule, with no cron job.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import signal
import sqlite3
import stat
import subprocess
import time
from pathlib import Path

from dms_support import TOKEN, TOKEN_ENV, generic_options, letter_payload, naskah_command, naskah_env, write_config
from naskah.deliver import Outbox
from naskah.store import LocalStore
from samples import load_sample
from service_support import ServiceProcess


def _with_dms(service: ServiceProcess, url: str, **options) -> ServiceProcess:
    """The service (and a `naskah issue` with its configuration) delivering to the tests' host DMS."""
    table = write_config(service.workdir / "dms.toml", dms=generic_options(url, **options)).read_text()
    service.config.write_text(service.config.read_text() + "\n" + table)
    service.env[TOKEN_ENV] = TOKEN
    return service


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.1)
    return value


# ------------------------------------------------------------------------------------------- item 8

def test_everything_the_service_writes_is_private_under_umask_022(tmp_path, host):
    data = tmp_path / "data"  # made by the service: its demo key and LibreOffice profiles too
    old = os.umask(0o022)
    try:
        service = _with_dms(ServiceProcess(tmp_path / "work", data, pool_size=None), host.url)
        service.start()
    finally:
        os.umask(old)
    try:
        issued = service.issue(letter_payload(81))
        assert issued.status_code == 201 and issued.json()["dms"]["state"] == "delivered", issued.text
        payload = load_sample("permohonan-pelibatan-lintas-unit")
        del payload["data"]["nomor"]
        year = dt.date.today().year + 1
        payload["data"]["durasi"] = {"mulai": f"{year}-01-04", "selesai": f"{year}-04-30"}
        draft = service.post("/api/v1/drafts", json={"payload": payload, "actor": {"user_id": "u-1", "name": "Rina"}})
        assert draft.status_code == 201, draft.text
    finally:
        service.stop()

    written = [path for top in (data, service.store) for path in [top, *top.rglob("*")]]
    kinds = {path.name.split("-")[0] for path in written}
    for expected in ("index.sqlite", "service.sqlite", "outbox.sqlite", "state.sqlite", "drafts", "letters",
                     "libreoffice", "demo", "v1.pdf"):
        assert any(expected in str(path.relative_to(tmp_path)) for path in written), (expected, sorted(kinds))
    loose = [f"{oct(stat.S_IMODE(path.lstat().st_mode))} {path.relative_to(tmp_path)}" for path in written
             if not path.is_symlink() and (stat.S_IMODE(path.lstat().st_mode) & 0o077
                                           or (path.is_dir() and stat.S_IMODE(path.lstat().st_mode) != 0o700))]
    assert not loose, "\n".join(loose[:40])


def test_a_finished_jobs_payload_is_not_in_the_service_database(tmp_path, data_dir):
    marker = "RAHASIA-" + secrets.token_hex(12)
    payload = letter_payload(82)
    payload["catatan_internal"] = marker  # a field no letter shows: only the job's payload holds it
    nips = [person["nip"] for person in payload["data"]["tim"]["anggota"]]
    assert len(nips) == 5
    service = ServiceProcess(tmp_path, data_dir, pool_size=None).start()
    try:
        accepted = service.issue(payload, mode="async")
        assert accepted.status_code == 202, accepted.text
        status_url = accepted.json()["status_url"]
        _wait(lambda: service.get(status_url).json()["state"] in ("done", "failed"), 120, "the job")
        assert service.get(status_url).json()["state"] == "done"
        time.sleep(1)
        files = sorted(service.store.glob("service.sqlite*"))
        content = b"".join(path.read_bytes() for path in files)
        assert marker.encode() not in content, [path.name for path in files]
        for nip in nips:
            assert nip.encode() not in content
        with sqlite3.connect(service.store / "service.sqlite") as db:
            assert db.execute("PRAGMA secure_delete").fetchone() is not None
            assert db.execute("SELECT count(*) FROM jobs WHERE payload IS NOT NULL").fetchone()[0] == 0
    finally:
        service.stop()


# ------------------------------------------------------------------------------------------- item 9

def test_a_letter_stored_by_a_killed_process_is_delivered_by_the_service(tmp_path, data_dir, host):
    """`naskah issue` is held at the store's commit, then at the outbox's, and killed in between: the letter is
    stored and not recorded. The service, started later, records and delivers it by itself."""
    service = _with_dms(ServiceProcess(tmp_path, data_dir, pool_size=None), host.url, retry_interval=1)
    store = service.store
    LocalStore(store), Outbox(store / "outbox.sqlite")  # both exist, as after any earlier letter
    letter = tmp_path / "letter.json"
    letter.write_text(json.dumps(letter_payload(91)), encoding="utf-8")
    index = sqlite3.connect(store / "index.sqlite", isolation_level=None, timeout=60)
    outbox = sqlite3.connect(store / "outbox.sqlite", isolation_level=None, timeout=60)
    index.execute("BEGIN IMMEDIATE")  # the store's commit waits for us
    process = subprocess.Popen(naskah_command("--config", str(service.config), "issue", str(letter)),
                               env=naskah_env(TOKEN), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait(lambda: process.poll() is not None or list((store / "letters").glob("*.pdf")), 180, "the signed PDF")
        assert process.poll() is None, process.communicate()[1].decode()[-3000:]
        outbox.execute("BEGIN IMMEDIATE")  # ... and so will the outbox's record
        index.execute("COMMIT")
        _wait(lambda: sqlite3.connect(store / "index.sqlite").execute("SELECT count(*) FROM letters").fetchone()[0],
              60, "the store's commit")
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        outbox.execute("ROLLBACK")
    finally:
        process.kill()
        process.communicate()
        index.close()
        outbox.close()
    assert process.returncode == -signal.SIGKILL
    [stored] = LocalStore(store).all()
    assert Outbox(store / "outbox.sqlite").entries() == [] and host.copies() == []

    service.start()
    try:
        [copy] = _wait(lambda: host.copies(), 60, "the delivery of the killed process's letter")
        assert copy.sha256 == stored.sha256 and copy.content == Path(stored.pdf_path).read_bytes()
        [entry] = _wait(lambda: [e for e in Outbox(store / "outbox.sqlite").entries() if e.state == "delivered"], 30,
                        "the outbox entry")
        assert entry.letter_id == stored.letter_id and entry.dms_id == copy.id
        assert "was stored but not recorded for delivery" in service.log

        # a delivery that fails now is retried by the service's own schedule (retry_interval = 1 s here)
        host.fail_next(3, 500, method="POST")
        answer = service.issue(letter_payload(92))
        assert answer.status_code == 201 and answer.json()["dms"]["state"] == "pending", answer.text
        sha = answer.json()["sha256"]
        _wait(lambda: host.copies(sha256=sha), 30, "the scheduled retry")
        assert len(host.copies()) == 2
    finally:
        service.stop()
