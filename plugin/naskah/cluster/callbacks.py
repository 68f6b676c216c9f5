"""Callbacks in cluster mode: a job's callback and the signature flow's events, each try one run of the Celery
task ``naskah.callback`` (:mod:`.app`), retried by Celery with exponential backoff and acknowledged late.

Why a task of their own: posted inside the letter's task, a callback's retries (a minute or more while a host's
endpoint is down) held up the worker, and every letter queued behind it; the letter task now only enqueues it,
on a queue of its own that every worker also reads. The same for the flow's events, which an API instance used
to post from its own threads (and post again, every one still pending, each time an instance started).

Exactly one accepted post for each: a try runs only while its poster holds the claim of what it posts
(:mod:`.claims`) and finds it still owed once it does, so two copies of the task (a message given back by the
broker, one handed over again) never post it twice; the tries are counted in the table, not in the message, so
copies share the count. Beat's round (``naskah.retry_callbacks``) hands over again what is owed and has not been
tried for longer than a task's retries can wait: its message was lost (Redis restarted without persistence), or
the worker died before it enqueued it.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from ..config import Settings
from ..database import Database
from ..service.callback import callback_body, event_of, post_once
from ..service.events import PENDING, FlowEvents
from ..service.jobs import JobStore
from .claims import CALLBACK, EVENT, Claims

log = logging.getLogger("naskah.cluster")

#: what ``naskah.callback`` posts: a job's callback (by job id), a flow event (by event id)
JOB_CALLBACK, FLOW_EVENT = "job", "event"
#: an event's last try set to this: handed to the workers at beat's next round (the broker was away)
NEVER_TRIED = "1970-01-01T00:00:00.000+00:00"


class NotAccepted(Exception):
    """The host did not accept the try, in a way worth another (Celery retries the task)."""

    def __init__(self, error: str, retry_after: float | None = None):
        super().__init__(error)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Owed:
    """What is still to be posted: where, what, and how many tries it had."""

    host: str
    url: str
    body: bytes
    event: str
    label: str
    headers: dict[str, str]
    attempts: int


def owed_after(settings: Settings) -> float:
    """Seconds without a try after which an owed callback is handed over again: longer than the longest wait
    between two tries of its task (Celery's backoff, counted in whole seconds) and one try's timeout."""
    options = settings.service
    longest = min(options.callback_backoff_max,
                  max(1.0, options.callback_backoff) * 2 ** max(0, options.callback_attempts - 2))
    return max(settings.cluster.requeue_after, longest + options.callback_timeout)


class OwedCallbacks:
    """The callbacks the jobs owe (in the jobs table) and the flow's events (in the letters' state database)."""

    def __init__(self, settings: Settings, hosts: dict, jobs: JobStore):
        self.settings = settings
        self.options = settings.service
        self.hosts = hosts
        self.jobs = jobs
        self.events = FlowEvents(Database(settings.state_location, "the letters' state"))
        self.claims = {JOB_CALLBACK: Claims(settings.service_location, CALLBACK),
                       FLOW_EVENT: Claims(settings.state_location, EVENT)}

    def post(self, kind: str, item_id: str) -> str:
        """One try of what ``kind`` ``item_id`` owes the host: ``delivered``, ``failed`` (refused, or the last
        try), ``done`` (nothing owed any more) or ``busy`` (another poster has it now); raises
        :class:`NotAccepted` when another try is worth it."""
        claims = self.claims[kind]
        with claims.hold(item_id) as held:
            if not held:
                log.info("%s %s is being posted by another worker; this copy is dropped", kind, item_id)
                return "busy"
            owed = self._owed(kind, item_id)
            if owed is None:
                return "done"
            host = self.hosts.get(owed.host)
            if host is None or host.hmac_secret is None:
                self._record(kind, item_id, "failed", owed.attempts, f"host {owed.host} has no HMAC secret to sign with")
                return "failed"
            attempts = owed.attempts + 1
            tried = post_once(owed.url, host.hmac_secret, owed.body, event=owed.event, label=owed.label,
                              headers=owed.headers, timeout=self.options.callback_timeout, attempt=attempts)
            if tried.state == "retry" and attempts < self.options.callback_attempts:
                self._record(kind, item_id, PENDING, attempts, tried.error)
                raise NotAccepted(tried.error, tried.retry_after)
            if tried.state == "delivered":
                state, error = "delivered", None
            elif tried.state == "failed":
                state, error = "failed", f"{tried.error} (not retried)"
            else:
                state, error = "failed", f"{tried.error} (gave up after {attempts} tries)"
            self._record(kind, item_id, state, attempts, error)
        claims.forget(item_id)
        return state

    def due(self) -> list[tuple[str, str]]:
        """What is owed and has not been tried for :func:`owed_after` seconds, nor is being posted now, as
        ``(kind, id)``; each counted as tried now, so that the next round waits again before handing it over."""
        cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=owed_after(self.settings))
        found = [(JOB_CALLBACK, job.job_id) for job in self.jobs.callbacks_pending()
                 if dt.datetime.fromisoformat(job.updated_at) < cutoff]
        found += [(FLOW_EVENT, event.event_id)
                  for event in self.events.pending(tried_before=cutoff.isoformat(timespec="milliseconds"))]
        handed = []
        for kind, item_id in found:
            with self.claims[kind].hold(item_id) as held:
                owed = self._owed(kind, item_id) if held else None
                if owed is not None:
                    self._record(kind, item_id, PENDING, owed.attempts, "handed to the workers again")
                    handed.append((kind, item_id))
        return handed

    def _owed(self, kind: str, item_id: str) -> Owed | None:
        if kind == JOB_CALLBACK:
            job = self.jobs.get(item_id)
            if job is None or not job.finished or not job.callback_url or job.callback_state != PENDING:
                return None
            return Owed(job.host, job.callback_url, callback_body(job), event_of(job), f"job {item_id}",
                        {"X-Naskah-Job": item_id}, job.callback_attempts)
        event = self.events.owed(item_id)
        if event is None:
            return None
        return Owed(event.host, event.url, event.body, event.event, f"{event.event} of draft {event.draft_id}",
                    {"X-Naskah-Delivery": event.event_id}, event.attempts)

    def _record(self, kind: str, item_id: str, state: str, attempts: int, error: str | None) -> None:
        if kind == JOB_CALLBACK:
            self.jobs.set_callback(item_id, state, attempts, error)
        else:
            self.events.outcome(item_id, state, attempts, error)
