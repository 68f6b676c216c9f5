"""The outbox's intents (a delivery kept before its letter is stored), on SQLite and a real PostgreSQL: a stored
letter whose process died before recording it is recorded by ``reconcile`` at once; one whose process may still
be recording it (this process, or any within ``INTENT_GRACE``) is left to that process, so a live worker is not
reported as having stopped; intents kept before they named their process are recorded as they always were."""
from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

from naskah.database import Database
from naskah.deliver import outbox as outbox_module
from naskah.deliver import Outbox
from naskah.deliver.outbox import new_owner

PLAN = {"document_type": "Surat Tugas", "label": "Surat", "description": "", "metadata": None, "tags": [],
        "cabinet": None}


def _stored(tmp_path):
    pdf = tmp_path / "L1.pdf"
    pdf.write_bytes(b"%PDF-1.7 letter")
    letter = SimpleNamespace(letter_id="L1", sha256="ab" * 32, metadata={"nomor": "1"}, pdf_path=pdf)
    return lambda letter_id: letter if letter_id == "L1" else None


def _dead_owner() -> str:
    """A lease owner's name for a process of this machine that has ended."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host, space, _pid, tail = new_owner().rsplit(":", 3)
    return f"{host}:{space}:{ended.stdout.strip()}:{tail}"


def test_a_letter_its_process_may_still_record_is_left_to_it(location, tmp_path, monkeypatch):
    outbox = Outbox(location)
    outbox.intend("L1", "WF", "arsip", PLAN, owner=new_owner())  # this process: storing it right now
    assert outbox.reconcile(_stored(tmp_path), "arsip") == [] and outbox.entries() == []
    monkeypatch.setattr(outbox_module, "INTENT_GRACE", 0.0)  # ... or it had all the time it needed
    [entry] = outbox.reconcile(_stored(tmp_path), "arsip")
    assert (entry.letter_id, entry.state) == ("L1", "pending")


def test_a_letter_whose_process_died_is_recorded_at_once(location, tmp_path):
    outbox = Outbox(location)
    outbox.intend("L1", "WF", "arsip", PLAN, owner=_dead_owner())
    [entry] = outbox.reconcile(_stored(tmp_path), "arsip")
    assert entry.letter_id == "L1" and outbox.reconcile(_stored(tmp_path), "arsip") == []


def test_intents_kept_before_they_named_their_process(location, tmp_path):
    with Database(location).transaction() as db:  # the table as earlier versions made it, with an intent
        db.execute("CREATE TABLE naskah_outbox_intents (idempotency_key TEXT NOT NULL, target TEXT NOT NULL, "
                   "letter_id TEXT NOT NULL, workflow_id TEXT, plan TEXT NOT NULL, created_at DOUBLE PRECISION "
                   "NOT NULL, PRIMARY KEY (idempotency_key, target))")
        db.execute("INSERT INTO naskah_outbox_intents VALUES (?, ?, ?, ?, ?, ?)",
                   ("naskah-key", "arsip", "L1", "WF", json.dumps(PLAN), 0.0))
    outbox = Outbox(location)
    [entry] = outbox.reconcile(_stored(tmp_path), "arsip")
    assert entry.letter_id == "L1"
    outbox.intend("L2", "WF", "arsip", PLAN, owner=new_owner())  # the table has its owner column now
    Outbox(location)  # and opening it again leaves it as it is
