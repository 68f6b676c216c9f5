"""The Celery app of one installation, made from its settings: the tasks, their delivery guarantees, and the
schedule beat runs.

Tasks are acknowledged when they end, not when they start (``acks_late``), and given back when the process
running them dies (``reject_on_worker_lost``); a worker takes one letter at a time from the broker beyond those
it is working on (``prefetch_multiplier = 1``). A task only names its job: the payload stays in the shared
jobs table, never in Redis, so a job the broker lost (Redis restarted without persistence) is handed to it again
from the table (``naskah.requeue``, on beat's schedule), the job of a worker that died too; a copy that comes
twice runs once (:mod:`.claims`).

A job's callback and the signature flow's events are posted by ``naskah.callback``, one try a run, retried by
Celery (``autoretry_for``, ``retry_backoff``) on a queue of their own (``QUEUE.callbacks``) that every worker reads
beside the letters' queue, so that neither waits behind the other (:mod:`.callbacks`). Celery is imported only
here (the ``cluster`` extra).
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
REQUEUE = "naskah.requeue"  # jobs the broker never got (it was away) or lost, handed over again
CALLBACK, RETRY_CALLBACKS = "naskah.callback", "naskah.retry_callbacks"  # callbacks and flow events (.callbacks)


def callbacks_queue(settings: Settings) -> str:
    """The queue of ``naskah.callback``: the letters' queue's name and ``.callbacks``."""
    return f"{settings.cluster.queue}.callbacks"


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
    from .callbacks import NotAccepted

    options = settings.cluster
    app = Celery("naskah", broker=broker_url(settings), backend=options.result_backend, set_as_current=False)
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_default_queue=options.queue, task_ignore_result=options.result_backend is None,
        task_serializer="json", accept_content=["json"], result_serializer="json", timezone="UTC",
        broker_transport_options={"visibility_timeout": options.visibility_timeout},
        # a broker away (Redis restarted, the network cut): workers and beat connect again, however long it takes
        broker_connection_retry_on_startup=True, broker_connection_retry=True, broker_connection_max_retries=None,
        worker_hijack_root_logger=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        beat_schedule=_schedule(settings),
    )
    state = _WorkerState(settings)
    callbacks = callbacks_queue(settings)

    @signals.celeryd_after_setup.connect(weak=False)
    def _read_callbacks_too(sender=None, instance=None, **_):
        instance.app.amqp.queues.select_add(callbacks)  # whatever --queues says

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

    @app.task(name=REQUEUE, ignore_result=True)
    def requeue_jobs() -> int:
        from ..service.jobs import requeue

        send = lambda job_id: issue.apply_async(args=[job_id], task_id=job_id, queue=options.queue)  # noqa: E731
        worker = state.worker()
        worker.queue_orphans()  # left running by a worker that died: handed over below with the others
        return requeue(worker.jobs, send, options.requeue_after)

    service = settings.service

    @app.task(name=CALLBACK, bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True,
              autoretry_for=(NotAccepted,), retry_backoff=service.callback_backoff,
              retry_backoff_max=max(1, int(service.callback_backoff_max)), retry_jitter=True,
              max_retries=service.callback_attempts)
    def callback(task, kind: str, item_id: str) -> str:
        try:
            return state.worker().owed.post(kind, item_id)
        except NotAccepted as exc:
            if exc.retry_after is None:
                raise  # Celery's backoff
            raise task.retry(exc=exc, countdown=min(exc.retry_after, service.callback_backoff_max)) from None

    state.post_later = lambda kind, item_id: callback.apply_async(args=[kind, item_id], queue=callbacks)

    @app.task(name=RETRY_CALLBACKS, ignore_result=True)
    def retry_callbacks() -> int:
        return state.worker().hand_over_callbacks()

    @app.task(name=RETRY_DELIVERIES, ignore_result=True)
    def retry_deliveries() -> None:
        state.worker().retry_deliveries()

    @app.task(name=RENEW, ignore_result=True)
    def renew() -> dict:
        return state.worker().renew()

    return app


def _schedule(settings: Settings) -> dict:
    options = settings.cluster
    schedule = {"purge finished jobs": {"task": PURGE, "schedule": options.purge_every},
                "re-queue jobs the broker lost": {"task": REQUEUE, "schedule": options.requeue_every},
                "post callbacks still owed": {"task": RETRY_CALLBACKS, "schedule": options.requeue_every}}
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
        self.post_later = None  # hands a callback to its task (set by make_app)
        self._worker = None
        self._lock = threading.Lock()

    def start(self, name: str):
        from .worker import Worker

        with self._lock:
            if self._worker is None:
                self._worker = Worker(self.settings, name, post_later=self.post_later).start()
        return self._worker

    def worker(self):
        return self._worker or self.start("worker")

    def stop(self) -> None:
        with self._lock:
            if self._worker is not None:
                self._worker.stop()
                self._worker = None
