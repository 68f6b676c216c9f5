"""The API's side of cluster mode: a job is written to the shared jobs table and queued to Celery by its id;
a request that waits for its letter watches the table until a worker has finished the job (whichever API
instance took the request, whichever worker issued it). It has the surface of
:class:`naskah.service.jobs.JobRunner`, so the routes do not know which one runs their jobs.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from typing import Any

from ..service.errors import ApiError
from ..service.jobs import Busy, Job, JobStore
from .app import ISSUE

log = logging.getLogger("naskah.cluster")


class CeleryRunner:
    def __init__(self, store: JobStore, app, *, queue: str, max_queued: int, poll_interval: float):
        self.store = store
        self.app = app
        self.queue = queue
        self.max_queued = max_queued
        self.poll_interval = poll_interval
        self._waiting: dict[str, Future] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def pending(self) -> int:
        return len(self._waiting)

    def enqueue(self, host: str, payload: dict, mapping: str | None, callback_url: str | None,
                prepared: Any = None) -> tuple[Job, Future]:
        """A new job, queued to the workers; a 429 (and no job) when too many wait in the whole cluster."""
        waiting = self.store.unfinished_count()
        if waiting >= self.max_queued:
            raise Busy(waiting)
        job = self.store.create(host, payload, mapping, callback_url)
        try:
            self.app.send_task(ISSUE, args=[job.job_id], task_id=job.job_id, queue=self.queue)
        except Exception as exc:  # the broker cannot be reached: the job fails now rather than wait forever
            log.error("could not queue job %s: %s", job.job_id, type(exc).__name__)
            error = ApiError(503, "busy", "the queue of letters cannot be reached; try again shortly",
                             headers={"Retry-After": "30"})
            self.store.finish(job.job_id, status=error.status, error=error.body())
            raise error from None
        future: Future = Future()
        with self._lock:
            self._waiting[job.job_id] = future
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, name="naskah-job-watch", daemon=True)
                self._watcher.start()
        return job, future

    def resume(self) -> int:
        """Nothing to resume here: the broker gives a job back until a worker has finished it."""
        return 0

    def close(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(10)
        with self._lock:
            for future in self._waiting.values():
                future.cancel()
            self._waiting.clear()

    def _watch(self) -> None:
        """Complete the future of each job being waited for once the jobs table says it has finished."""
        while not self._stop.wait(self.poll_interval):
            with self._lock:
                ids = list(self._waiting)
            if not ids:
                continue
            try:
                finished = self.store.finished_among(ids)
            except Exception:  # the database is away for a moment: look again at the next round
                log.exception("could not read the jobs table")
                continue
            for job in finished:
                with self._lock:
                    future = self._waiting.pop(job.job_id, None)
                if future is not None and not future.done():
                    future.set_result(job)
