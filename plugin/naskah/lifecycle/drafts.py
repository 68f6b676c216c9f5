"""The lifecycle of letters, persisted: drafts and their trail in SQLite or PostgreSQL (see ``database``).

Every step is one transaction: read the draft, check the step against its state, paraf step and version,
then ``UPDATE ... WHERE state = ? AND version = ? AND step = ?`` so that of two concurrent steps only one
happens; the other is refused as :class:`IllegalTransition`, as is any step the state does not allow. No
credential ever passes through here: signing happens elsewhere and only its outcome is recorded.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from typing import Any, Callable

from ..database import POSTGRESQL, Cursor, Database, now_text
from .errors import (CHANGED, ILLEGAL, LETTER_TAKEN, NO_PARAF_STEPS, NO_SUCH_STEP, NOTE_REQUIRED, STALE_VERSION,
                     WRONG_STEP, DraftNotFound, IllegalTransition, LifecycleError)
from .flow import FlowSpec, Pending
from .records import Actor, Draft, TrailEntry
from .states import (ALLOWED_FROM, AWAITING_SIGNATURE, CREATE, DRAFT, IN_REVIEW, PARAF, RETURN, RETURNED,
                     REVISE, REVOKE, REVOKED, SIGN, SIGNED, SUBMIT, SUPERSEDE, SUPERSEDED, WITHDRAW, WITHDRAWN)

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS naskah_drafts (
        id                 TEXT PRIMARY KEY,
        host               TEXT NOT NULL,
        mapping            TEXT NOT NULL,
        workflow_id        TEXT,
        flow               TEXT NOT NULL,
        state              TEXT NOT NULL,
        version            INTEGER NOT NULL,
        payload            TEXT NOT NULL,
        step               INTEGER NOT NULL,
        letter_id          TEXT,
        number             TEXT,
        signed_date        TEXT,
        revocation_reason  TEXT,
        superseded_by      TEXT,
        supersedes         TEXT,
        closed_at          TEXT,
        created_at         TEXT NOT NULL,
        updated_at         TEXT NOT NULL
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS naskah_drafts_letter ON naskah_drafts (letter_id)",
    "CREATE INDEX IF NOT EXISTS naskah_drafts_workflow ON naskah_drafts (host, workflow_id)",
    """CREATE TABLE IF NOT EXISTS naskah_draft_trail (
        draft_id     TEXT NOT NULL,
        seq          INTEGER NOT NULL,
        at           TEXT NOT NULL,
        actor_id     TEXT NOT NULL,
        actor_name   TEXT NOT NULL,
        actor_title  TEXT,
        action       TEXT NOT NULL,
        state        TEXT NOT NULL,
        version      INTEGER NOT NULL,
        step         INTEGER,
        note         TEXT,
        PRIMARY KEY (draft_id, seq)
    )""",
)

# what a step changes, given the draft as it is: column -> new value (``state`` always among them)
Plan = Callable[[Draft], dict[str, Any]]


class Lifecycle:
    """Drafts and their trail at a location (a path, ``sqlite:///path``, ``postgresql://...``, or a Database).

    Share one :class:`~naskah.database.Database` with the numbering register to sign a letter and take its
    number in one transaction (``mark_signed`` inside ``register.assign``)."""

    def __init__(self, location: str | os.PathLike | Database):
        self.db = location if isinstance(location, Database) else Database(location, "the letter lifecycle")
        self.db.create(*_SCHEMA)

    # -- reading
    def get(self, draft_id: str) -> Draft:
        with self.db.transaction(write=False) as db:
            return _read(db, draft_id)

    def hold(self, draft_id: str) -> Draft:
        """The draft, read and kept from other steps until the caller's transaction ends (SQLite's write lock,
        PostgreSQL's row lock): a step that takes long (signing) cannot happen twice at once."""
        with self.db.transaction() as db:
            lock = " FOR UPDATE" if db.kind == POSTGRESQL else ""
            rows = db.records(f"SELECT * FROM naskah_drafts WHERE id = ?{lock}", (draft_id,))
        if not rows:
            raise DraftNotFound(draft_id)
        return Draft.from_row(rows[0])

    def by_letter(self, letter_id: str) -> Draft | None:
        """The draft that became the signed letter ``letter_id``, if any."""
        with self.db.transaction(write=False) as db:
            rows = db.records("SELECT * FROM naskah_drafts WHERE letter_id = ?", (letter_id,))
        return Draft.from_row(rows[0]) if rows else None

    def trail(self, draft_id: str) -> list[TrailEntry]:
        with self.db.transaction(write=False) as db:
            _read(db, draft_id)
            rows = db.records("SELECT * FROM naskah_draft_trail WHERE draft_id = ? ORDER BY seq", (draft_id,))
        return [TrailEntry(**row) for row in rows]

    def pending_step(self, draft_id: str) -> Pending | None:
        """What the draft waits for (the paraf step, the signature, a revision); None once signed or closed."""
        return self.get(draft_id).pending

    # -- steps
    def create_draft(self, *, host: str, mapping: str, payload: dict[str, Any], flow: FlowSpec, actor: Actor,
                     workflow_id: str | None = None, note: str | None = None,
                     supersedes: str | None = None) -> Draft:
        """A new draft (konsep), version 1, waiting for its first paraf (or for ``submit``); ``supersedes`` names
        the signed letter it corrects (replaced when this one is signed)."""
        now = now_text()
        row = dict(id=secrets.token_urlsafe(16), host=host, mapping=mapping, workflow_id=workflow_id,
                   flow=flow.model_dump_json(), state=DRAFT, version=1, payload=_json(payload), step=0,
                   letter_id=None, number=None, signed_date=None, revocation_reason=None, superseded_by=None,
                   supersedes=supersedes, closed_at=None, created_at=now, updated_at=now)
        with self.db.transaction() as db:
            db.execute(f"INSERT INTO naskah_drafts ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                       tuple(row.values()))
            draft = _read(db, row["id"])
            _record(db, draft, CREATE, actor, note, None)
        return draft

    def submit(self, draft_id: str, actor: Actor, *, version: int | None = None, note: str | None = None) -> Draft:
        """Send a draft on: to in_review, or straight to awaiting_signature when the flow has no paraf steps."""
        return self._step(draft_id, SUBMIT, actor, version, note,
                          lambda draft: {"state": IN_REVIEW if draft.flow.paraf else AWAITING_SIGNATURE})

    def paraf(self, draft_id: str, actor: Actor, step: int, *, version: int | None = None,
              note: str | None = None) -> Draft:
        """The paraf of step ``step`` (0-based, in the flow's order); refused unless that step is the pending one."""
        def plan(draft: Draft) -> dict[str, Any]:
            _check_paraf_step(draft, step)
            last = step + 1 == len(draft.flow.paraf)
            return {"state": AWAITING_SIGNATURE if last else IN_REVIEW, "step": step + 1}

        return self._step(draft_id, PARAF, actor, version, note, plan, paraf_step=step)

    def return_(self, draft_id: str, actor: Actor, note: str, *, version: int | None = None) -> Draft:
        """A reviewer or the signer sends the draft back for revision, saying why."""
        return self._step(draft_id, RETURN, actor, version, _required(note, draft_id, RETURN),
                          lambda draft: {"state": RETURNED})

    def revise(self, draft_id: str, actor: Actor, payload: dict[str, Any], *, flow: FlowSpec | None = None,
               version: int | None = None, note: str | None = None) -> Draft:
        """A returned draft gets a new payload (and optionally the mapping's current flow): a new version whose
        reviews start again from the first paraf step."""
        def plan(draft: Draft) -> dict[str, Any]:
            changes = {"state": DRAFT, "version": draft.version + 1, "payload": _json(payload), "step": 0}
            if flow is not None:
                changes["flow"] = flow.model_dump_json()
            return changes

        return self._step(draft_id, REVISE, actor, version, note, plan)

    def withdraw(self, draft_id: str, actor: Actor, *, version: int | None = None, note: str | None = None) -> Draft:
        return self._step(draft_id, WITHDRAW, actor, version, note,
                          lambda draft: {"state": WITHDRAWN, "closed_at": now_text()})

    def mark_signed(self, draft_id: str, actor: Actor, *, letter_id: str, number: str, signed_date: dt.date,
                    version: int | None = None, note: str | None = None) -> Draft:
        """Record that the signer signed: the letter's id, its final number and its date (the day in WIB)."""
        if isinstance(signed_date, dt.datetime):  # a UTC time's date can be the day before in Jakarta
            raise TypeError("signed_date is the letter's date as a date (the signing day in WIB), not a datetime")

        def plan(draft: Draft) -> dict[str, Any]:
            return {"state": SIGNED, "letter_id": letter_id, "number": number,
                    "signed_date": signed_date.isoformat()}

        return self._step(draft_id, SIGN, actor, version, note, plan, letter_id=letter_id)

    def revoke(self, draft_id: str, actor: Actor, reason: str) -> Draft:
        """Revoke (cabut) a signed letter, with the reason the verification page will show."""
        reason = _required(reason, draft_id, REVOKE)
        return self._step(draft_id, REVOKE, actor, None, reason,
                          lambda draft: {"state": REVOKED, "revocation_reason": reason, "closed_at": now_text()})

    def supersede(self, draft_id: str, actor: Actor, by_letter_id: str, *, note: str | None = None) -> Draft:
        """A signed letter is replaced (diganti) by the corrected letter ``by_letter_id``."""
        return self._step(draft_id, SUPERSEDE, actor, None, note,
                          lambda draft: {"state": SUPERSEDED, "superseded_by": by_letter_id,
                                         "closed_at": now_text()})

    def _step(self, draft_id: str, action: str, actor: Actor, version: int | None, note: str | None, plan: Plan,
              *, paraf_step: int | None = None, letter_id: str | None = None) -> Draft:
        with self.db.transaction() as db:
            draft = _read(db, draft_id)
            require(draft, action)
            if version is not None and version != draft.version:
                raise IllegalTransition(STALE_VERSION, draft_id=draft_id, action=action, state=draft.state,
                                        tried=version, version=draft.version)
            changes = plan(draft)
            if letter_id is not None:
                _check_letter_free(db, draft, letter_id)
            changes["updated_at"] = now_text()
            assignments = ", ".join(f"{column} = ?" for column in changes)
            changed = db.execute(
                f"UPDATE naskah_drafts SET {assignments} WHERE id = ? AND state = ? AND version = ? AND step = ?",
                (*changes.values(), draft_id, draft.state, draft.version, draft.step))
            if changed != 1:  # another process took a step since we read the draft
                now = _read(db, draft_id)
                raise IllegalTransition(CHANGED, draft_id=draft_id, action=action, state=now.state)
            after = _read(db, draft_id)
            _record(db, after, action, actor, note, paraf_step)
        return after


def require(draft: Draft, action: str) -> None:
    """Refuse ``action`` on ``draft`` unless its state allows it (before any work is done for the step)."""
    if draft.state not in ALLOWED_FROM[action]:
        raise IllegalTransition(ILLEGAL, draft_id=draft.id, action=action, state=draft.state)


def _read(db: Cursor, draft_id: str) -> Draft:
    rows = db.records("SELECT * FROM naskah_drafts WHERE id = ?", (draft_id,))
    if not rows:
        raise DraftNotFound(draft_id)
    return Draft.from_row(rows[0])


def _record(db: Cursor, draft: Draft, action: str, actor: Actor, note: str | None, step: int | None) -> None:
    seq = db.rows("SELECT COALESCE(MAX(seq), 0) + 1 FROM naskah_draft_trail WHERE draft_id = ?", (draft.id,))[0][0]
    db.execute("INSERT INTO naskah_draft_trail (draft_id, seq, at, actor_id, actor_name, actor_title, action, "
               "state, version, step, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (draft.id, seq, now_text(), actor.user_id, actor.name, actor.title, action, draft.state,
                draft.version, step, note))


def _check_paraf_step(draft: Draft, step: int) -> None:
    steps = draft.flow.paraf
    facts = dict(draft_id=draft.id, action=PARAF, state=draft.state)
    if not steps:
        raise IllegalTransition(NO_PARAF_STEPS, **facts)
    if not 0 <= step < len(steps):
        raise IllegalTransition(NO_SUCH_STEP, **facts, tried=step + 1, count=len(steps))
    if step != draft.step:
        raise IllegalTransition(WRONG_STEP, **facts, tried=step + 1, tried_title=steps[step].title,
                                pending=draft.step + 1, pending_title=steps[draft.step].title, count=len(steps))


def _check_letter_free(db: Cursor, draft: Draft, letter_id: str) -> None:
    rows = db.rows("SELECT id FROM naskah_drafts WHERE letter_id = ? AND id <> ?", (letter_id, draft.id))
    if rows:
        raise IllegalTransition(LETTER_TAKEN, draft_id=draft.id, action=SIGN, state=draft.state,
                                letter_id=letter_id, other=rows[0][0])


def _required(note: str | None, draft_id: str, action: str) -> str:
    if not note or not note.strip():
        raise LifecycleError(NOTE_REQUIRED, draft_id=draft_id, action=action)
    return note.strip()


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True)
