"""Every issue request is a job: queued, running, then done (a letter) or failed (an error in the API's shape).

The pipeline is synchronous and heavy (LibreOffice, pyHanko), so jobs run in a pool of worker threads, never
in the event loop. A synchronous request waits for its job; an asynchronous one gets the job id at once and
asks ``GET /api/v1/jobs/{id}``. Jobs live in SQLite (``STORE_DIR/service.sqlite``): a job still queued or
running when the service stops is run again when it starts (issuing is idempotent: the same payload gives
back the stored letter). The payload is kept only until its job has finished.
"""
from __future__ import annotations

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

from .errors import ApiError, api_error_for

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
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


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
    """The jobs table; every method opens its own connection, so threads can share one store."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        return db

    def create(self, host: str, payload: dict, mapping: str | None, callback_url: str | None) -> Job:
        job_id = secrets.token_hex(16)
        now = _now()
        with self._connect() as db:
            db.execute("INSERT INTO jobs (job_id, host, state, created_at, updated_at, mapping, payload, callback_url,"
                       " callback_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (job_id, host, QUEUED, now, now, mapping, json.dumps(payload, ensure_ascii=False),
                        callback_url, "pending" if callback_url else None))
        return self.get(job_id)

    def get(self, job_id: str) -> Job | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def payload(self, job_id: str) -> dict | None:
        with self._connect() as db:
            row = db.execute("SELECT payload FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        return json.loads(row["payload"]) if row and row["payload"] else None

    def set_running(self, job_id: str) -> None:
        self._update(job_id, state=RUNNING)

    def finish(self, job_id: str, *, status: int, result: dict | None = None, error: dict | None = None) -> Job:
        self._update(job_id, state=DONE if error is None else FAILED, http_status=status, payload=None,
                     result=json.dumps(result, ensure_ascii=False) if result is not None else None,
                     error=json.dumps(error, ensure_ascii=False) if error is not None else None)
        return self.get(job_id)

    def set_callback(self, job_id: str, state: str, attempts: int, error: str | None) -> None:
        self._update(job_id, callback_state=state, callback_attempts=attempts, callback_error=error)

    def unfinished(self) -> list[Job]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM jobs WHERE state IN (?, ?) ORDER BY created_at",
                              (QUEUED, RUNNING)).fetchall()
        return [_job(row) for row in rows]

    def callbacks_pending(self) -> list[Job]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM jobs WHERE state IN (?, ?) AND callback_state = 'pending' "
                              "ORDER BY created_at", (DONE, FAILED)).fetchall()
        return [_job(row) for row in rows]

    def purge(self, older_than_days: float) -> int:
        cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=older_than_days)).isoformat(timespec="seconds")
        with self._connect() as db:
            return db.execute("DELETE FROM jobs WHERE state IN (?, ?) AND updated_at < ? "
                              "AND coalesce(callback_state, '') != 'pending'", (DONE, FAILED, cutoff)).rowcount

    def _update(self, job_id: str, **values) -> None:
        values["updated_at"] = _now()
        with self._connect() as db:
            db.execute(f"UPDATE jobs SET {', '.join(f'{key} = ?' for key in values)} WHERE job_id = ?",
                       (*values.values(), job_id))


def _job(row: sqlite3.Row) -> Job:
    values = {key: row[key] for key in row.keys() if key != "payload"}
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
            return job, self._executor.submit(self._run, job, payload, prepared)
        except BaseException:
            with self._lock:
                self._pending -= 1
            raise

    def submit(self, job: Job, payload: dict) -> Future:
        """Run an existing job (one resumed from the store), whatever the queue's length."""
        with self._lock:
            self._pending += 1
        return self._executor.submit(self._run, job, payload, None)

    def resume(self) -> int:
        """Run again the jobs that were queued or running when the service last stopped."""
        jobs = self.store.unfinished()
        for job in jobs:
            payload = self.store.payload(job.job_id)
            if payload is None:
                self.store.finish(job.job_id, status=500, error=ApiError(
                    500, "lost", "the job's payload was lost; send the request again").body())
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
