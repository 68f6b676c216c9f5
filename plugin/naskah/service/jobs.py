"""Every issue request is a job: queued, running, then done (a letter) or failed (an error in the API's shape).

The pipeline is synchronous and heavy (LibreOffice, pyHanko), so jobs run in a pool of worker threads, never
in the event loop. A synchronous request waits for its job; an asynchronous one gets the job id at once and
asks ``GET /api/v1/jobs/{id}``. Jobs live in the service's database (``STORE_DIR/service.sqlite``, through
:mod:`naskah.database`: 0600, ``secure_delete``): a job still queued or running when the service stops is run
again when it starts (issuing is idempotent: the same payload gives back the stored letter). The payload is
kept only until its job has finished: then it is deleted, its freed pages are zeroed, and the write-ahead log
that still held it is emptied.

In cluster mode a job is handed to the broker by its id; ``sent_at`` says when it last was. A job the broker could
not take (it was away) keeps no ``sent_at`` and stays queued; :func:`requeue` hands it over again (when an API
instance starts, and on beat's schedule), as it does a job still queued long after it was sent (a message the
broker lost, say when Redis restarted without persistence).
"""
from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import secrets
import sqlite3
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..database import POSTGRESQL, SQLITE, Database, now_text
from .errors import ApiError, api_error_for
from ..i18n import _

log = logging.getLogger("naskah.service")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id            TEXT PRIMARY KEY,
    host              TEXT NOT NULL,
    state             TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    mapping           TEXT,
    payload           TEXT,
    http_status       INTEGER,
    result            TEXT,
    error             TEXT,
    callback_url      TEXT,
    callback_state    TEXT,
    callback_attempts INTEGER NOT NULL DEFAULT 0,
    callback_error    TEXT,
    sent_at           TEXT
)
"""


def _now() -> str:
    return now_text("seconds")


def _ago(seconds: float) -> str:
    return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=seconds)).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Job:
    job_id: str
    host: str
    state: str
    created_at: str
    updated_at: str
    mapping: str | None
    http_status: int | None
    result: dict | None
    error: dict | None
    callback_url: str | None
    callback_state: str | None  # pending, delivered, failed; None without a callback URL
    callback_attempts: int
    callback_error: str | None

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)


class JobStore:
    """The jobs table in the service's database (a ``Database``, or the path of its SQLite file)."""

    def __init__(self, database: Database | str | Path):
        self.db = database if isinstance(database, Database) else Database(database, "the service's jobs")
        self.path = self.db.path
        self.db.create(_SCHEMA)
        self._add_sent_at()

    def _add_sent_at(self) -> None:
        """A jobs table made before ``sent_at`` gets it (its jobs hold NULL: re-queued once in cluster mode)."""
        columns = ("SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema()"
                   " AND table_name = 'jobs'" if self.db.kind == POSTGRESQL else "PRAGMA table_info(jobs)")
        with self.db.transaction(write=False) as db:  # a current table is only read
            if "sent_at" in {row["name"] for row in db.records(columns)}:
                return
        if self.db.kind == POSTGRESQL:
            self.db.create("ALTER TABLE jobs ADD COLUMN IF NOT EXISTS sent_at TEXT")
            return
        try:
            with self.db.transaction() as db:
                db.execute("ALTER TABLE jobs ADD COLUMN sent_at TEXT")
        except sqlite3.OperationalError as exc:  # another process added it meanwhile
            if "duplicate column" not in str(exc):
                raise

    def create(self, host: str, payload: dict, mapping: str | None, callback_url: str | None) -> Job:
        """A new queued job (counted as sent now: :meth:`unsent` when the broker does not take it)."""
        job_id = secrets.token_hex(16)
        now = _now()
        with self.db.transaction() as db:
            db.execute("INSERT INTO jobs (job_id, host, state, created_at, updated_at, mapping, payload, callback_url,"
                       " callback_state, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (job_id, host, QUEUED, now, now, mapping, json.dumps(payload, ensure_ascii=False),
                        callback_url, "pending" if callback_url else None, now))
        return self.get(job_id)

    def unsent(self, job_id: str) -> None:
        """The broker did not take the queued job: :func:`requeue` hands it over at its next round."""
        with self.db.transaction() as db:
            db.execute("UPDATE jobs SET sent_at = NULL WHERE job_id = ? AND state = ?", (job_id, QUEUED))

    def orphaned(self, job_id: str) -> None:
        """A running job whose worker died (cluster mode: naskah.cluster.claims): queued again and never handed
        over, so :func:`requeue` hands it to the broker at once."""
        self._update(job_id, state=QUEUED, sent_at=None)

    def due_for_queue(self, older_than: float) -> list[str]:
        """The queued jobs never handed to the broker, or last handed over more than ``older_than`` seconds ago."""
        with self.db.transaction(write=False) as db:
            return [row[0] for row in db.rows("SELECT job_id FROM jobs WHERE state = ? AND (sent_at IS NULL OR "
                                              "sent_at < ?) ORDER BY created_at", (QUEUED, _ago(older_than)))]

    def claim_for_queue(self, job_id: str, older_than: float) -> bool:
        """Mark a job due for the queue as sent now; False when it is not due any more (another process handed
        it over meanwhile, or a worker took it)."""
        with self.db.transaction() as db:
            return db.execute("UPDATE jobs SET sent_at = ? WHERE job_id = ? AND state = ? AND (sent_at IS NULL OR "
                              "sent_at < ?)", (_now(), job_id, QUEUED, _ago(older_than))) == 1

    def get(self, job_id: str) -> Job | None:
        rows = self._select("SELECT * FROM jobs WHERE job_id = ?", (job_id,))
        return rows[0] if rows else None

    def payload(self, job_id: str) -> dict | None:
        with self.db.transaction(write=False) as db:
            rows = db.rows("SELECT payload FROM jobs WHERE job_id = ?", (job_id,))
        return json.loads(rows[0][0]) if rows and rows[0][0] else None

    def set_running(self, job_id: str) -> None:
        self._update(job_id, state=RUNNING)

    def finish(self, job_id: str, *, status: int, result: dict | None = None, error: dict | None = None) -> Job:
        self._update(job_id, state=DONE if error is None else FAILED, http_status=status, payload=None,
                     result=json.dumps(result, ensure_ascii=False) if result is not None else None,
                     error=json.dumps(error, ensure_ascii=False) if error is not None else None)
        self._forget_freed()
        return self.get(job_id)

    def set_callback(self, job_id: str, state: str, attempts: int, error: str | None) -> None:
        self._update(job_id, callback_state=state, callback_attempts=attempts, callback_error=error)

    def unfinished(self) -> list[Job]:
        return self._select("SELECT * FROM jobs WHERE state IN (?, ?) ORDER BY created_at", (QUEUED, RUNNING))

    def unfinished_count(self) -> int:
        with self.db.transaction(write=False) as db:
            return db.rows("SELECT count(*) FROM jobs WHERE state IN (?, ?)", (QUEUED, RUNNING))[0][0]

    def finished_among(self, job_ids: list[str]) -> list[Job]:
        """The jobs of ``job_ids`` that have finished (what an API instance waiting for them looks at)."""
        markers = ", ".join("?" * len(job_ids))
        return self._select(f"SELECT * FROM jobs WHERE state IN (?, ?) AND job_id IN ({markers})",
                            (DONE, FAILED, *job_ids))

    def callbacks_pending(self) -> list[Job]:
        return self._select("SELECT * FROM jobs WHERE state IN (?, ?) AND callback_state = 'pending' "
                            "ORDER BY created_at", (DONE, FAILED))

    def purge(self, older_than_days: float) -> int:
        cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=older_than_days)).isoformat(timespec="seconds")
        with self.db.transaction() as db:
            purged = db.execute("DELETE FROM jobs WHERE state IN (?, ?) AND updated_at < ? "
                                "AND coalesce(callback_state, '') != 'pending'", (DONE, FAILED, cutoff))
        if purged:
            self._forget_freed()
        return purged

    def _select(self, sql: str, parameters: tuple) -> list[Job]:
        with self.db.transaction(write=False) as db:
            return [_job(row) for row in db.records(sql, parameters)]

    def _update(self, job_id: str, **values) -> None:
        values["updated_at"] = _now()
        with self.db.transaction() as db:
            db.execute(f"UPDATE jobs SET {', '.join(f'{key} = ?' for key in values)} WHERE job_id = ?",
                       (*values.values(), job_id))

    def _forget_freed(self) -> None:
        """Empty SQLite's write-ahead log into the database file: the log still holds the pages as they were
        before a payload was deleted (``secure_delete`` zeroes them in the file itself)."""
        if self.db.kind != SQLITE:
            return
        try:
            connection = sqlite3.connect(self.db.path, timeout=5)
            try:
                connection.execute("PRAGMA secure_delete = ON")
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                connection.close()
        except sqlite3.Error as exc:  # busy: the next finished job empties it
            log.debug("could not empty the write-ahead log of %s: %s", self.db.path, exc)


def requeue(store: JobStore, send: Callable[[str], None], older_than: float) -> int:
    """Hand ``send`` (the broker) each queued job it never got, or got more than ``older_than`` seconds ago and
    has not given to a worker; how many were handed over. The first one the broker does not take ends the round
    (it is away: the next round tries again). A job handed over twice runs once: a worker does not run a
    finished job again, and a job's letter keeps one id over all its runs."""
    sent = 0
    for job_id in store.due_for_queue(older_than):
        if not store.claim_for_queue(job_id, older_than):
            continue
        try:
            send(job_id)
        except Exception as exc:  # noqa: BLE001 - the broker is away, whatever its error
            store.unsent(job_id)
            log.warning("could not hand job %s to the broker (%s); trying again at the next round", job_id,
                        type(exc).__name__)
            break
        log.info("handed job %s to the broker again", job_id)
        sent += 1
    return sent


def _job(row: dict) -> Job:
    values = {key: value for key, value in row.items() if key not in ("payload", "sent_at")}
    values["result"] = json.loads(values["result"]) if values["result"] else None
    values["error"] = json.loads(values["error"]) if values["error"] else None
    return Job(**values)


class Busy(ApiError):
    def __init__(self, queued: int):
        super().__init__(429, "busy", f"{queued} letters are waiting to be issued; try again shortly",
                         headers={"Retry-After": "10"})


class JobRunner:
    """Runs jobs on worker threads. ``work(job, payload, prepared)`` returns ``(http status, result)`` or raises;
    the job then holds the result or the error, and ``on_finished(job)`` is called (for the callback).
    ``prepared`` is what the request already made of the payload, handed over as it is (None for a job resumed
    from the store)."""

    def __init__(self, store: JobStore, work: Callable[[Job, dict, Any], tuple[int, dict]], *, workers: int,
                 max_queued: int, on_finished: Callable[[Job], None] | None = None):
        self.store = store
        self.work = work
        self.max_queued = max_queued
        self.on_finished = on_finished
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="naskah-job")
        self._pending = 0
        self._lock = threading.Lock()

    @property
    def pending(self) -> int:
        return self._pending

    def enqueue(self, host: str, payload: dict, mapping: str | None, callback_url: str | None,
                prepared: Any = None) -> tuple[Job, Future]:
        """A new job for this payload, queued; a 429 (and no job) when too many are waiting already."""
        with self._lock:
            if self._pending >= self.max_queued:
                raise Busy(self._pending)
            self._pending += 1
        try:
            job = self.store.create(host, payload, mapping, callback_url)
            return job, self._executor.submit(contextvars.copy_context().run, self._run, job, payload, prepared)
        except BaseException:
            with self._lock:
                self._pending -= 1
            raise

    def submit(self, job: Job, payload: dict) -> Future:
        """Run an existing job (one resumed from the store), whatever the queue's length."""
        with self._lock:
            self._pending += 1
        return self._executor.submit(contextvars.copy_context().run, self._run, job, payload, None)

    def resume(self) -> int:
        """Run again the jobs that were queued or running when the service last stopped."""
        jobs = self.store.unfinished()
        for job in jobs:
            payload = self.store.payload(job.job_id)
            if payload is None:
                self.store.finish(job.job_id, status=500, error=ApiError(
                    500, "lost", _("the job's payload was lost; send the request again")).body())
                continue
            log.info("resuming job %s", job.job_id)
            self.submit(job, payload)
        return len(jobs)

    def _run(self, job: Job, payload: dict, prepared: Any) -> Job:
        try:
            self.store.set_running(job.job_id)
            try:
                status, result = self.work(job, payload, prepared)
                finished = self.store.finish(job.job_id, status=status, result=result)
            except Exception as exc:  # every failure becomes the job's error, in the API's shape
                error = api_error_for(exc)
                finished = self.store.finish(job.job_id, status=error.status, error=error.body())
            if self.on_finished is not None and finished.callback_url:
                try:
                    self.on_finished(finished)
                except Exception:
                    log.exception("could not schedule the callback of job %s", job.job_id)
            return finished
        finally:
            with self._lock:
                self._pending -= 1

    def close(self) -> None:
        """Finish the running jobs; queued ones stay queued in the store and run at the next start."""
        self._executor.shutdown(wait=True, cancel_futures=True)
