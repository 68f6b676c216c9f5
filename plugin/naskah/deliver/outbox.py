"""The durable outbox: every signed letter bound for a DMS is recorded here before delivery is tried.

One row per (idempotency key, target). A delivery first *claims* its row with one atomic
``UPDATE ... WHERE state IN (...)`` that also sets a lease (owner and expiry); only the process whose
UPDATE changed the row goes on, so two processes delivering the same outbox never both upload. A
process that dies keeps its claim only until the lease expires (a process on the same host and pid
space takes it over at once, seeing that the owner's pid is gone); whoever takes the row over first
looks in the DMS for the copy the dead one may have made.

States::

    pending     recorded, waiting for (another) delivery attempt; next_attempt_at says when
    delivering  claimed by lease_owner until lease_until
    delivered   the DMS holds it: dms_id, dms_url
    failed      a permanent failure (credentials, validation, setup): last_error says what;
                ``naskah outbox retry`` tries again once it is fixed

The SQL is deliberately plain (TEXT, INTEGER, DOUBLE PRECISION, ``INSERT ... ON CONFLICT DO
NOTHING``, no AUTOINCREMENT, no date functions: times are computed in Python) so that the same
statements run on SQLite (the embedded default) and on PostgreSQL (for several instances sharing one
outbox), through :mod:`naskah.database`. Nothing secret is stored here: the document description and
metadata come from the mapping, errors are cleaned.
"""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, TypeVar

from ..database import POSTGRESQL, Cursor, Database, now_text
from ..objects import location_of
from .api import DmsDocument
from .document import document_from, idempotency_key

PENDING, DELIVERING, DELIVERED, FAILED = "pending", "delivering", "delivered", "failed"
STATES = (PENDING, DELIVERING, DELIVERED, FAILED)

L = TypeVar("L")  # a stored letter (anything with a letter_id)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS naskah_outbox (
    idempotency_key  TEXT NOT NULL,
    target           TEXT NOT NULL,
    letter_id        TEXT NOT NULL,
    workflow_id      TEXT,
    pdf_path         TEXT NOT NULL,
    sha256           TEXT NOT NULL,
    document         TEXT NOT NULL,
    state            TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    last_error       TEXT,
    outcome_unknown  INTEGER NOT NULL,
    next_attempt_at  DOUBLE PRECISION NOT NULL,
    lease_owner      TEXT,
    lease_until      DOUBLE PRECISION,
    dms_id           TEXT,
    dms_url          TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    delivered_at     TEXT,
    PRIMARY KEY (idempotency_key, target)
)
"""
_INDEX = "CREATE INDEX IF NOT EXISTS naskah_outbox_state ON naskah_outbox (target, state, next_attempt_at)"
# A delivery intended before the letter is stored, until the letter is recorded above: if the process dies
# between the store's commit and the record, the letter is recorded from here (Outbox.reconcile). ``owner`` names
# the process (new_owner()): while it lives it records the letter itself.
_INTENTS = """
CREATE TABLE IF NOT EXISTS naskah_outbox_intents (
    idempotency_key  TEXT NOT NULL,
    target           TEXT NOT NULL,
    letter_id        TEXT NOT NULL,
    workflow_id      TEXT,
    plan             TEXT NOT NULL,
    created_at       DOUBLE PRECISION NOT NULL,
    owner            TEXT,
    PRIMARY KEY (idempotency_key, target)
)
"""
#: an intent whose letter never reached the store (the process died before storing it) is dropped after this
INTENT_SECONDS = 86400.0
#: an intent whose process may still live (on another machine; or alive, but it never recorded the letter) is
#: taken as abandoned after this: a live process records its letter within seconds of storing it
INTENT_GRACE = 300.0

_COLUMNS = ("idempotency_key", "target", "letter_id", "workflow_id", "pdf_path", "sha256", "document", "state",
            "attempts", "last_error", "outcome_unknown", "next_attempt_at", "lease_owner", "lease_until",
            "dms_id", "dms_url", "created_at", "updated_at", "delivered_at")


@dataclass(frozen=True)
class OutboxEntry:
    idempotency_key: str
    target: str
    letter_id: str
    workflow_id: str | None
    pdf_path: Path
    sha256: str
    document: DmsDocument
    state: str
    attempts: int
    last_error: str | None
    outcome_unknown: bool
    next_attempt_at: float
    lease_owner: str | None
    lease_until: float | None
    dms_id: str | None
    dms_url: str | None
    created_at: str
    updated_at: str
    delivered_at: str | None


def _now_text() -> str:
    """The outbox keeps its times to the second, as it always has."""
    return now_text("seconds")


def _process_space() -> str:
    """Which pid space this process lives in: the boot and the pid namespace (containers have their own)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return "unknown"
    return f"{boot}-{namespace}"


def new_owner() -> str:
    """A lease owner name unique to this delivery run: host, pid space, process and a random part."""
    return f"{socket.gethostname()}:{_process_space()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_dead(owner: str | None) -> bool:
    """True only when the owner is a process of this host and pid space that no longer runs (or is a zombie);
    anything else (another machine, a live process, a name we cannot read) may still be delivering."""
    parts = (owner or "").rsplit(":", 3)
    if len(parts) != 4 or not parts[2].isdigit():
        return False
    host, space, pid = parts[0], parts[1], int(parts[2])
    if host != socket.gethostname() or space != _process_space() or space == "unknown" or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state in ("Z", "X")


class Outbox:
    """The outbox table in SQLite (a path, or ``sqlite:///path``) or PostgreSQL (``postgresql://...``)."""

    def __init__(self, location: str | os.PathLike):
        self.db = Database(location, "an outbox")
        self.location = self.db.location  # without a PostgreSQL password
        self.db.create(_SCHEMA, _INDEX, _INTENTS)
        self._add_intent_owner()

    def _add_intent_owner(self) -> None:
        """An intents table made before intents named their process gets ``owner`` (NULL in its rows)."""
        columns = ("SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() "
                   "AND table_name = 'naskah_outbox_intents'" if self.db.kind == POSTGRESQL
                   else "PRAGMA table_info(naskah_outbox_intents)")
        with self.db.transaction(write=False) as db:  # a current table is only read
            if "owner" in {row["name"] for row in db.records(columns)}:
                return
        try:
            with self.db.transaction() as db:
                db.execute(f"ALTER TABLE naskah_outbox_intents ADD COLUMN "
                           f"{'IF NOT EXISTS ' if self.db.kind == POSTGRESQL else ''}owner TEXT")
        except sqlite3.OperationalError as exc:  # another process added it meanwhile
            if "duplicate column" not in str(exc):
                raise

    # -- reading
    def get(self, idempotency_key: str, target: str) -> OutboxEntry | None:
        with self.db.transaction(write=False) as db:
            return _one(db, idempotency_key, target)

    def entries(self, state: str | None = None, target: str | None = None) -> list[OutboxEntry]:
        clauses, parameters = [], []
        if state:
            clauses.append("state = ?")
            parameters.append(state)
        if target:
            clauses.append("target = ?")
            parameters.append(target)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.db.transaction(write=False) as db:
            return _select(db, f"SELECT * FROM naskah_outbox{where} ORDER BY created_at, letter_id", parameters)

    def unrecorded(self, letters: Iterable[L], target: str) -> list[L]:
        """The stored ``letters`` this outbox never got for ``target``: issued before the DMS was configured
        (a letter whose issuing process stopped between storing and recording is recorded by
        :meth:`reconcile`). Issuing their payloads again delivers them."""
        recorded = {entry.letter_id for entry in self.entries(target=target)}
        return [letter for letter in letters if letter.letter_id not in recorded]

    def keys_of(self, letter_ids: Iterable[str], target: str) -> tuple[list[str], list[str]]:
        """The idempotency keys of the entries of ``letter_ids`` for ``target`` (in the outbox's order), and
        the letter ids it does not hold, sorted."""
        wanted = set(letter_ids)
        matches = [entry for entry in self.entries(target=target) if entry.letter_id in wanted]
        return [entry.idempotency_key for entry in matches], sorted(wanted - {entry.letter_id for entry in matches})

    # -- writing
    def intend(self, letter_id: str, workflow_id: str | None, target: str, plan: dict,
               owner: str | None = None) -> None:
        """Before a letter is stored: its delivery to ``target`` as planned (``document.plan_of``), kept until
        the letter is recorded, so that a letter stored by a process that died before recording it is not
        lost (:meth:`reconcile`). ``owner``: the process that will record it (:func:`new_owner`)."""
        key = idempotency_key(workflow_id, letter_id)
        with self.db.transaction() as db:
            db.execute("INSERT INTO naskah_outbox_intents (idempotency_key, target, letter_id, workflow_id, plan, "
                       "created_at, owner) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key, target) DO "
                       "UPDATE SET plan = excluded.plan, created_at = excluded.created_at, owner = excluded.owner",
                       (key, target, letter_id, workflow_id, json.dumps(plan, ensure_ascii=False), time.time(),
                        owner))

    def reconcile(self, stored: Callable[[str], L | None], target: str) -> list[OutboxEntry]:
        """Record every intended delivery whose letter is in the store (``stored(letter_id)``, a StoredLetter or
        None) but not in the outbox, once the process that stored it is gone: it died before recording it.
        A process that may still live (this one, another live one here, one on another machine) is left to
        record its letter itself, for ``INTENT_GRACE`` seconds. Intents of letters that never reached the store
        are dropped after ``INTENT_SECONDS``. Returns the entries recorded."""
        with self.db.transaction(write=False) as db:
            intents = db.records("SELECT * FROM naskah_outbox_intents WHERE target = ? ORDER BY created_at",
                                 (target,))
        recorded = []
        for intent in intents:
            if intent["owner"] and not owner_is_dead(intent["owner"]) and \
                    time.time() - intent["created_at"] < INTENT_GRACE:
                continue  # its process may be storing or recording it right now
            letter = stored(intent["letter_id"])
            if letter is None:
                if time.time() - intent["created_at"] > INTENT_SECONDS:
                    self._drop_intent(intent["idempotency_key"], target)
                continue
            document = document_from(json.loads(intent["plan"]), letter.letter_id, letter.sha256,
                                     intent["workflow_id"], letter.metadata)
            if self.get(document.idempotency_key, target) is None:
                recorded.append(self.record(document, target, letter.pdf_path))
            else:
                self._drop_intent(document.idempotency_key, target)
        return recorded

    def _drop_intent(self, idempotency_key: str, target: str) -> None:
        with self.db.transaction() as db:
            db.execute("DELETE FROM naskah_outbox_intents WHERE idempotency_key = ? AND target = ?",
                       (idempotency_key, target))

    def record(self, document: DmsDocument, target: str, pdf_path: Path) -> OutboxEntry:
        """Record a letter for delivery (once: recording it again returns the existing entry); its intent, if
        any, goes in the same transaction."""
        now = _now_text()
        row = dict(
            idempotency_key=document.idempotency_key, target=target, letter_id=document.letter_id,
            workflow_id=document.workflow_id, pdf_path=str(pdf_path), sha256=document.sha256,
            document=document.model_dump_json(), state=PENDING, attempts=0, last_error=None, outcome_unknown=0,
            next_attempt_at=0.0, lease_owner=None, lease_until=None, dms_id=None, dms_url=None,
            created_at=now, updated_at=now, delivered_at=None,
        )
        with self.db.transaction() as db:
            db.execute(
                f"INSERT INTO naskah_outbox ({', '.join(row)}) VALUES ({', '.join('?' * len(row))}) "
                "ON CONFLICT (idempotency_key, target) DO NOTHING", tuple(row.values()))
            db.execute("DELETE FROM naskah_outbox_intents WHERE idempotency_key = ? AND target = ?",
                       (document.idempotency_key, target))
            return _one(db, document.idempotency_key, target)

    def claim(self, idempotency_key: str, target: str, owner: str, lease_seconds: float, *,
              due_only: bool = False, include_failed: bool = False) -> OutboxEntry | None:
        """Take the entry for one delivery attempt; None when it is delivered, not due, or another process has it.

        The one UPDATE is the claim: of two processes, only the one whose UPDATE matched gets the row.
        """
        now = time.time()
        states = [PENDING] + ([FAILED] if include_failed else [])
        due = " AND next_attempt_at <= ?" if due_only else ""
        with self.db.transaction() as db:
            dead = _dead_owners(db, "target = ? AND idempotency_key = ?", (target, idempotency_key))
            parameters: list = [owner, now + lease_seconds, _now_text(), idempotency_key, target, *states]
            if due_only:
                parameters.append(now)
            parameters += [now, *dead]
            taken_over = f" OR (state = 'delivering' AND lease_owner IN ({', '.join('?' * len(dead))}))" if dead else ""
            changed = db.execute(
                "UPDATE naskah_outbox SET state = 'delivering', lease_owner = ?, lease_until = ?, "
                "attempts = attempts + 1, updated_at = ? "
                "WHERE idempotency_key = ? AND target = ? AND ("
                f"(state IN ({', '.join('?' * len(states))}){due}) "
                f"OR (state = 'delivering' AND lease_until < ?){taken_over})",
                parameters)
            if changed != 1:
                return None
            return _one(db, idempotency_key, target)

    def candidates(self, target: str, *, due_only: bool, include_failed: bool) -> list[tuple[str, str]]:
        """Keys of the entries a delivery run may try to claim (the claim itself decides)."""
        now = time.time()
        states = [PENDING] + ([FAILED] if include_failed else [])
        due = " AND next_attempt_at <= ?" if due_only else ""
        with self.db.transaction() as db:
            dead = _dead_owners(db, "target = ?", (target,))
            parameters: list = [target, *states] + ([now] if due_only else []) + [now, *dead]
            taken_over = f" OR (state = 'delivering' AND lease_owner IN ({', '.join('?' * len(dead))}))" if dead else ""
            rows = db.rows(
                "SELECT idempotency_key, target FROM naskah_outbox WHERE target = ? AND ("
                f"(state IN ({', '.join('?' * len(states))}){due}) "
                f"OR (state = 'delivering' AND lease_until < ?){taken_over}) ORDER BY created_at", parameters)
        return [(row[0], row[1]) for row in rows]

    def renew(self, entry: OutboxEntry, owner: str, lease_seconds: float) -> bool:
        """Extend our lease; False when it was lost (it expired and another process claimed the entry)."""
        with self.db.transaction() as db:
            return db.execute(
                "UPDATE naskah_outbox SET lease_until = ?, updated_at = ? "
                "WHERE idempotency_key = ? AND target = ? AND state = 'delivering' AND lease_owner = ?",
                (time.time() + lease_seconds, _now_text(), entry.idempotency_key, entry.target, owner)) == 1

    def set_outcome_unknown(self, entry: OutboxEntry, owner: str, unknown: bool) -> None:
        """Before an upload is sent: from now on, until we know, the DMS may hold a copy."""
        with self.db.transaction() as db:
            db.execute("UPDATE naskah_outbox SET outcome_unknown = ?, updated_at = ? "
                       "WHERE idempotency_key = ? AND target = ? AND lease_owner = ?",
                       (1 if unknown else 0, _now_text(), entry.idempotency_key, entry.target, owner))

    def delivered(self, entry: OutboxEntry, owner: str, dms_id: str, dms_url: str | None) -> OutboxEntry:
        now = _now_text()
        return self._finish(entry, owner, "state = 'delivered', dms_id = ?, dms_url = ?, delivered_at = ?, "
                                          "last_error = NULL, outcome_unknown = 0",
                            (dms_id, dms_url, now))

    def retry_later(self, entry: OutboxEntry, owner: str, error: str, at: float, *,
                    outcome_unknown: bool) -> OutboxEntry:
        return self._finish(entry, owner, "state = 'pending', last_error = ?, next_attempt_at = ?, "
                                          "outcome_unknown = ?",
                            (error, at, 1 if outcome_unknown else 0))

    def failed(self, entry: OutboxEntry, owner: str, error: str, *, outcome_unknown: bool) -> OutboxEntry:
        return self._finish(entry, owner, "state = 'failed', last_error = ?, outcome_unknown = ?",
                            (error, 1 if outcome_unknown else 0))

    def _finish(self, entry: OutboxEntry, owner: str, assignments: str, values: tuple) -> OutboxEntry:
        with self.db.transaction() as db:
            db.execute(
                f"UPDATE naskah_outbox SET {assignments}, lease_owner = NULL, lease_until = NULL, updated_at = ? "
                "WHERE idempotency_key = ? AND target = ? AND lease_owner = ?",
                (*values, _now_text(), entry.idempotency_key, entry.target, owner))
            return _one(db, entry.idempotency_key, entry.target)


def _dead_owners(db: Cursor, where: str, parameters: tuple) -> list[str]:
    rows = db.rows(f"SELECT DISTINCT lease_owner FROM naskah_outbox WHERE state = 'delivering' AND {where}",
                   parameters)
    return [row[0] for row in rows if owner_is_dead(row[0])]


def _select(db: Cursor, sql: str, parameters=()) -> list[OutboxEntry]:
    return [_entry(row) for row in db.records(sql, parameters)]


def _one(db: Cursor, idempotency_key: str, target: str) -> OutboxEntry | None:
    rows = _select(db, "SELECT * FROM naskah_outbox WHERE idempotency_key = ? AND target = ?",
                   (idempotency_key, target))
    return rows[0] if rows else None


def _entry(row: dict) -> OutboxEntry:
    values = {name: row[name] for name in _COLUMNS}
    values["pdf_path"] = location_of(values["pdf_path"])  # a file, or an object in a bucket
    values["document"] = DmsDocument.model_validate(json.loads(values["document"]))
    values["outcome_unknown"] = bool(values["outcome_unknown"])
    return OutboxEntry(**values)
