"""Every issue request is a job: queued, running, then done (a letter) or failed (an error in the API's shape).

The pipeline is synchronous and heavy (LibreOffice, pyHanko), so jobs run in a pool of worker threads, never
in the event loop. A synchronous request waits for its job; an asynchronous one gets the job id at once and
asks ``GET /api/v1/jobs/{id}``. Jobs live in the service's database (``STORE_DIR/service.sqlite``, through
:mod:`naskah.database`: 0600, ``secure_delete``): a job still queued or running when the service stops is run
again when it starts (issuing is idempotent: the same payload gives back the stored letter). The payload is
kept only until its job has finished: then it is deleted, its freed pages are zeroed, and the write-ahead log
that still held it is emptied.
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

from ..database import SQLITE, Database, now_text
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
    callback_error    TEXT
)
"""


def _now() -> str:
    return now_text("seconds")


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

    def create(self, host: str, payload: dict, mapping: str | None, callback_url: str | None) -> Job:
        job_id = secrets.token_hex(16)
        now = _now()
        with self.db.transaction() as db:
            db.execute("INSERT INTO jobs (job_id, host, state, created_at, updated_at, mapping, payload, callback_url,"
                       " callback_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (job_id, host, QUEUED, now, now, mapping, json.dumps(payload, ensure_ascii=False),
                        callback_url, "pending" if callback_url else None))
        return self.get(job_id)

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


def _job(row: dict) -> Job:
    values = {key: value for key, value in row.items() if key != "payload"}
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
