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

from ..service.jobs import Busy, Job, JobStore, requeue
from .app import CALLBACK, ISSUE

log = logging.getLogger("naskah.cluster")


class CeleryRunner:
    def __init__(self, store: JobStore, app, *, queue: str, max_queued: int, poll_interval: float,
                 requeue_after: float = 600, callbacks_queue: str | None = None):
        self.store = store
        self.app = app
        self.queue = queue
        self.callbacks_queue = callbacks_queue or f"{queue}.callbacks"
        self.requeue_after = requeue_after
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
                prepared: Any = None) -> tuple[Job, Future | None]:
        """A new job, queued to the workers; a 429 (and no job) when too many wait in the whole cluster. When the
        broker cannot be reached the job stays queued, handed over later (:func:`requeue`), and no future."""
        waiting = self.store.unfinished_count()
        if waiting >= self.max_queued:
            raise Busy(waiting)
        job = self.store.create(host, payload, mapping, callback_url)
        try:
            self.send(job.job_id)
        except Exception as exc:  # the broker cannot be reached: the job waits in the table until it can
            log.warning("could not queue job %s (%s); it stays queued until the broker answers", job.job_id,
                        type(exc).__name__)
            self.store.unsent(job.job_id)
            return job, None
        future: Future = Future()
        with self._lock:
            self._waiting[job.job_id] = future
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, name="naskah-job-watch", daemon=True)
                self._watcher.start()
        return job, future

    def send(self, job_id: str) -> None:
        self.app.send_task(ISSUE, args=[job_id], task_id=job_id, queue=self.queue)

    def send_callback(self, kind: str, item_id: str) -> None:
        """Hand a callback to the workers (a flow event: ``kind`` ``event``; :mod:`.callbacks`)."""
        self.app.send_task(CALLBACK, args=[kind, item_id], queue=self.callbacks_queue)

    def resume(self) -> int:
        """Hand the broker the jobs it never got, or may have lost (also beat's work, :data:`.app.REQUEUE`)."""
        return requeue(self.store, self.send, self.requeue_after)

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
