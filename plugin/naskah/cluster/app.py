"""The Celery app of one installation, made from its settings: the tasks, their delivery guarantees, and the
schedule beat runs.

Tasks are acknowledged when they end, not when they start (``acks_late``), and given back when the process
running them dies (``reject_on_worker_lost``); a worker takes one letter at a time from the broker beyond those
it is working on (``prefetch_multiplier = 1``). A task only names its job: the payload stays in the shared
jobs table, never in Redis. Celery is imported only here (the ``cluster`` extra).
"""
from __future__ import annotations

import logging
import threading
from urllib.parse import quote, urlsplit, urlunsplit

from ..config import Settings
from ..errors import ConfigError
from ..secrets import read_secret

log = logging.getLogger("naskah.cluster")

ISSUE, PURGE, RETRY_DELIVERIES, RENEW = "naskah.issue", "naskah.purge", "naskah.retry_deliveries", "naskah.renew"


def broker_url(settings: Settings) -> str:
    options = settings.cluster
    if not options.broker_password_env:
        return options.broker_url
    password = read_secret(options.broker_password_env, "broker password", ConfigError)
    parts = urlsplit(options.broker_url)
    netloc = f"{quote(parts.username or '', safe='')}:{quote(password, safe='')}@{parts.hostname}"
    return urlunsplit(parts._replace(netloc=netloc + (f":{parts.port}" if parts.port else "")))


def make_app(settings: Settings):
    """The Celery app; the worker's state (:class:`.worker.Worker`) is made when its process starts."""
    if settings.cluster is None:
        raise ConfigError("cluster mode needs a [cluster] table with broker_url in the configuration file")
    try:
        from celery import Celery, signals
    except ImportError:
        raise ConfigError("cluster mode needs Celery: pip install -e '.[cluster]'") from None

    options = settings.cluster
    app = Celery("naskah", broker=broker_url(settings), backend=options.result_backend, set_as_current=False)
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_default_queue=options.queue, task_ignore_result=options.result_backend is None,
        task_serializer="json", accept_content=["json"], result_serializer="json", timezone="UTC",
        broker_transport_options={"visibility_timeout": options.visibility_timeout},
        broker_connection_retry_on_startup=True, worker_hijack_root_logger=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        beat_schedule=_schedule(settings),
    )
    state = _WorkerState(settings)

    @signals.worker_init.connect(weak=False)
    def _start(sender=None, **_):
        state.start(getattr(sender, "hostname", None) or "worker")

    @signals.worker_shutdown.connect(weak=False)
    def _stop(**_):
        state.stop()

    @app.task(name=ISSUE, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
    def issue(job_id: str) -> str:
        return state.worker().issue(job_id)

    @app.task(name=PURGE, ignore_result=True)
    def purge() -> int:
        return state.worker().purge()

    @app.task(name=RETRY_DELIVERIES, ignore_result=True)
    def retry_deliveries() -> None:
        state.worker().retry_deliveries()

    @app.task(name=RENEW, ignore_result=True)
    def renew() -> dict:
        return state.worker().renew()

    return app


def _schedule(settings: Settings) -> dict:
    options = settings.cluster
    schedule = {"purge finished jobs": {"task": PURGE, "schedule": options.purge_every}}
    if settings.dms is not None and settings.dms.retry_interval:
        schedule["retry undelivered letters"] = {"task": RETRY_DELIVERIES, "schedule": settings.dms.retry_interval}
    if options.renew_profile:
        schedule["renew B-LTA letters"] = {"task": RENEW, "schedule": options.renew_every}
    return schedule


class _WorkerState:
    """The :class:`.worker.Worker` of this process: made and warmed when the worker starts (or at its first task,
    in a process that was not started as a worker)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._worker = None
        self._lock = threading.Lock()

    def start(self, name: str):
        from .worker import Worker

        with self._lock:
            if self._worker is None:
                self._worker = Worker(self.settings, name).start()
        return self._worker

    def worker(self):
        return self._worker or self.start("worker")

    def stop(self) -> None:
        with self._lock:
            if self._worker is not None:
                self._worker.stop()
                self._worker = None
