"""The host told of every state change of its drafts: ``letter.drafted``, ``letter.submitted``, ``letter.paraf``,
``letter.returned``, ``letter.revised``, ``letter.withdrawn``, ``letter.signed``, ``letter.revoked``,
``letter.superseded``, posted to the callback URL given when the draft was made, signed and retried like a job's
callback (:mod:`.callback`; ``X-Naskah-Event`` names the event, ``X-Naskah-Delivery`` its id: the host should
ignore a second delivery of the same id).

The body is ``{"event", "event_id", "draft", "letter"}``: ``draft`` as ``GET /api/v1/drafts/{id}`` answers (its
trail orders the events), ``letter`` the signed letter (``letter.signed``). It is made of what the lifecycle keeps,
so no signing credential can be in it. Events wait in the letters' state database (beside the drafts, SQLite or
PostgreSQL) until delivered, so that those owed when the service stops are posted when it starts again.

One poster at a time posts an event: whoever holds its claim (:mod:`naskah.cluster.claims`) and finds it still
pending once it does. In cluster mode the workers post them, one try per Celery task run, and beat hands over
again those whose last try is long past (their message lost with Redis, say): :mod:`naskah.cluster.callbacks`.
"""
from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass

from ..database import Database, now_text

#: the lifecycle's action -> the event the host gets
EVENTS = {"create": "letter.drafted", "submit": "letter.submitted", "paraf": "letter.paraf",
          "return": "letter.returned", "revise": "letter.revised", "withdraw": "letter.withdrawn",
          "sign": "letter.signed", "revoke": "letter.revoked", "supersede": "letter.superseded"}

PENDING = "pending"

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS naskah_flow_callbacks (
        draft_id  TEXT PRIMARY KEY,
        host      TEXT NOT NULL,
        url       TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS naskah_flow_events (
        event_id    TEXT PRIMARY KEY,
        host        TEXT NOT NULL,
        draft_id    TEXT NOT NULL,
        event       TEXT NOT NULL,
        url         TEXT NOT NULL,
        body        TEXT NOT NULL,
        state       TEXT NOT NULL,
        attempts    INTEGER NOT NULL,
        error       TEXT,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS naskah_flow_events_state ON naskah_flow_events (state, created_at)",
)


@dataclass(frozen=True)
class FlowEvent:
    event_id: str
    host: str
    draft_id: str
    event: str
    url: str
    body: bytes
    attempts: int


class FlowEvents:
    """The drafts' callback URLs and the events owed to them."""

    def __init__(self, db: Database):
        self.db = db
        self.db.create(*_SCHEMA)

    def remember(self, draft_id: str, host: str, url: str) -> None:
        """Where the events of ``draft_id`` go (its host's checked callback URL)."""
        with self.db.transaction() as db:
            db.execute("INSERT INTO naskah_flow_callbacks (draft_id, host, url) VALUES (?, ?, ?) "
                       "ON CONFLICT (draft_id) DO UPDATE SET url = excluded.url", (draft_id, host, url))

    def record(self, draft_id: str, action: str, content: dict) -> FlowEvent | None:
        """The event for ``action`` on ``draft_id``, kept until delivered; None when the draft has no callback."""
        with self.db.transaction() as db:
            rows = db.rows("SELECT host, url FROM naskah_flow_callbacks WHERE draft_id = ?", (draft_id,))
            if not rows:
                return None
            host, url = rows[0]
            event_id, event, now = secrets.token_hex(16), EVENTS[action], now_text()
            body = json.dumps({"event": event, "event_id": event_id} | content, ensure_ascii=False,
                              sort_keys=True)
            db.execute("INSERT INTO naskah_flow_events (event_id, host, draft_id, event, url, body, state, attempts, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
                       (event_id, host, draft_id, event, url, body, PENDING, now, now))
        return FlowEvent(event_id, host, draft_id, event, url, body.encode("utf-8"), 0)

    def pending(self, tried_before: str | None = None) -> list[FlowEvent]:
        """The events still owed (with ``tried_before``, an ISO time: only those last tried before it)."""
        if tried_before is None:
            return self._select("state = ? ORDER BY created_at", (PENDING,))
        return self._select("state = ? AND updated_at < ? ORDER BY created_at", (PENDING, tried_before))

    def owed(self, event_id: str) -> FlowEvent | None:
        """The event ``event_id`` if it is still to be posted."""
        found = self._select("state = ? AND event_id = ?", (PENDING, event_id))
        return found[0] if found else None

    def _select(self, where: str, parameters: tuple) -> list[FlowEvent]:
        with self.db.transaction(write=False) as db:
            rows = db.rows("SELECT event_id, host, draft_id, event, url, body, attempts FROM naskah_flow_events "
                           f"WHERE {where}", parameters)
        return [FlowEvent(*row[:5], row[5].encode("utf-8"), row[6]) for row in rows]

    def outcome(self, event_id: str, state: str, attempts: int, error: str | None, *, at: str | None = None) -> None:
        """What came of posting the event (``at``: when, default now; the epoch: due at the next round)."""
        with self.db.transaction() as db:
            db.execute("UPDATE naskah_flow_events SET state = ?, attempts = ?, error = ?, updated_at = ? "
                       "WHERE event_id = ?", (state, attempts, error, at or now_text(), event_id))

    def purge(self, older_than_days: float) -> int:
        """Forget events delivered or given up more than ``older_than_days`` ago."""
        cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=older_than_days)).isoformat()
        with self.db.transaction() as db:
            return db.execute("DELETE FROM naskah_flow_events WHERE state <> ? AND updated_at < ?", (PENDING, cutoff))
