"""What ``naskah serve`` holds for its lifetime: the pipeline, the signature flow, the hosts, the jobs, the warm
LibreOffice pool and the worker threads, started and stopped with the app, and what tells whether it is ready.

The pipeline is synchronous and heavy, so issuing, drafts, signing, previews and signature checks run on worker
threads (``asyncio`` never waits on LibreOffice or pyHanko); one warm LibreOffice pool (``pool_size``, default
one per core) lives as long as the app. In cluster mode the workers issue the letters: the instance's pool is
small and started at its first draft or signature (:mod:`.converter`). A signature of the flow runs on a worker
thread too, but within its request and without a job: the signer's credential lives only as long as that request.

The host is told of each step of the flow (:mod:`.events`): embedded, by this process's callback threads, each
event posted by whoever holds its claim (so two processes on one state database never post it twice); in
cluster mode, by the workers (:mod:`naskah.cluster.callbacks`), an instance only handing each event over.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import threading
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from ..cluster.claims import EVENT, Claims
from ..config import Settings
from ..database import POSTGRESQL, Database
from ..lifecycle import Draft
from ..pipeline import Naskah, PreparedLetter
from ..signature_flow import SignatureFlow
from ..store import LETTER_ID, StoredLetter
from ..validation import VerificationLimits, VerificationReport, verify_pdf
from .access import LetterAccess
from .auth import Authenticator, UsedSignatures, load_hosts
from .callback import callback_body, event_of, post_callback
from .events import PENDING, FlowEvent, FlowEvents
from .jobs import Job, JobRunner, JobStore
from .readiness import readiness
from .throttle import PageThrottle
from .verification_page import ReportCache
from .views import draft_json, issued_json

if TYPE_CHECKING:
    from ..deliver.schedule import RetrySchedule

log = logging.getLogger("naskah.service")


class Service:
    """The service's state; ``start`` and ``stop`` run in the app's lifespan."""

    def __init__(self, settings: Settings):
        from ..sign.profile import profile_trust_roots  # pyHanko loads slowly

        self.settings = settings
        self.options = settings.service
        self.naskah = Naskah(settings)
        self.trust = profile_trust_roots(settings, self.naskah.mappings)
        self.hosts = load_hosts(self.options)
        self.state_db = settings.service_location  # shared by every API instance and worker in cluster mode
        database = Database(self.state_db, "the service's jobs")  # the jobs and the used signatures
        self.auth = Authenticator(self.hosts, self.options.replay_window, UsedSignatures(database))
        self.access = LetterAccess(self.options)
        self.throttle = PageThrottle(self.options, _shared_counters(database, settings))
        self.limits = VerificationLimits(max_signatures=self.options.verify_max_signatures,
                                         max_objects=self.options.verify_max_objects,
                                         seconds=self.options.verify_time_budget)
        self.jobs = JobStore(database)
        self.deliveries: RetrySchedule | None = None  # delivery on a schedule, with a [dms]
        self.flow = SignatureFlow(self.naskah)
        self.events = FlowEvents(self.flow.db)
        self.event_claims = Claims(settings.state_location, EVENT)
        self.reports = ReportCache()
        self.pool = None
        pool_size = settings.pool_size or os.cpu_count() or 1  # warm LibreOffice by default, one per core
        workers = self.options.workers or pool_size + 1
        self.runner = self._runner(workers)
        self.previews = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="naskah-preview")
        self.signings = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="naskah-sign")
        # uploaded files are checked here; the stored letters' reports of page views on their own threads, so
        # that a page view never waits behind uploads
        self.verifications = ThreadPoolExecutor(max_workers=self.options.max_concurrent_verifications,
                                                thread_name_prefix="naskah-verify")
        self.page_reports = ThreadPoolExecutor(max_workers=2, thread_name_prefix="naskah-page")
        self.callbacks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="naskah-callback")
        # uploads on the public page that may be checked or wait in line; more get "busy, try later"
        self.page_checks = threading.BoundedSemaphore(4 * self.options.max_concurrent_verifications)
        self.stopping = threading.Event()
        self._purged_at = 0.0
        prefix = self.options.verification_path or urlsplit(settings.verification_base_url).path
        self.page_prefix = prefix.rstrip("/")

    def _runner(self, workers: int):
        """Jobs on this process's threads; with a ``[cluster]``, on Celery workers (which post the callbacks)."""
        if self.settings.cluster is None:
            return JobRunner(self.jobs, self._issue, workers=workers, max_queued=self.options.max_queued_jobs,
                             on_finished=self._schedule_callback)
        from ..cluster.app import callbacks_queue, make_app
        from ..cluster.runner import CeleryRunner

        cluster = self.settings.cluster
        return CeleryRunner(self.jobs, make_app(self.settings), queue=cluster.queue,
                            max_queued=self.options.max_queued_jobs, poll_interval=cluster.poll_interval,
                            requeue_after=cluster.requeue_after, callbacks_queue=callbacks_queue(self.settings))

    # ----------------------------------------------------------------------------------------- lifetime

    def start(self) -> None:
        self.naskah.pool = self.pool = self._converter()
        adopted = self.naskah.store.adopt_public_records(Path(self.state_db))
        if adopted:
            log.info("moved the public facts of %d letters into the store's index", adopted)
        self.purge()
        # callbacks and events still owed first: a resumed job schedules its own when it finishes (in cluster
        # mode the workers post them, and beat's round hands over those still owed: an instance posts none)
        if self.settings.cluster is None:
            for job in self.jobs.callbacks_pending():
                self._schedule_callback(job)
            for event in self.events.pending():
                self._schedule_event(event)
        if self.settings.dms is not None and self.settings.cluster is None:  # beat's work in cluster mode
            from ..deliver import delivery_for
            from ..deliver.schedule import RetrySchedule

            self.deliveries = RetrySchedule(delivery_for(self.settings), self.naskah.store.get,
                                            self.settings.dms.retry_interval).start()
        resumed = self.runner.resume()  # in cluster mode: the jobs the broker never got, or lost
        if resumed:
            log.info("resumed %d jobs left unfinished (or not handed to the broker)", resumed)
        if not self.hosts:
            log.warning("no host can call the API: set NASKAH_SERVICE_TOKEN (or configure [[service.hosts]])")

    def _converter(self):
        """Embedded, a warm pool started now (it issues every letter); in cluster mode, where the workers issue
        them, a small pool started at the first draft or signature, or none (:mod:`.converter`)."""
        from ..convert import pool_from_settings
        from .converter import PoolOnFirstUse

        if self.settings.cluster is not None:
            size = self.settings.cluster.api_pool_size
            return PoolOnFirstUse(self.settings, size) if size else None
        pool = pool_from_settings(self.settings)
        log.info("starting %d warm LibreOffice processes", pool.size)
        return pool.start()

    def purge(self) -> None:
        """Forget finished jobs older than job_retention_days (at start, then at most once an hour)."""
        self._purged_at = time.monotonic()
        purged = self.jobs.purge(self.options.job_retention_days)
        self.events.purge(self.options.job_retention_days)
        if purged:
            log.info("forgot %d finished jobs older than %g days", purged, self.options.job_retention_days)

    def stop(self) -> None:
        self.stopping.set()
        self.runner.close()
        self.previews.shutdown(wait=True, cancel_futures=True)
        self.signings.shutdown(wait=True, cancel_futures=True)
        self.verifications.shutdown(wait=True, cancel_futures=True)
        self.page_reports.shutdown(wait=True, cancel_futures=True)
        self.callbacks.shutdown(wait=True, cancel_futures=True)
        self.throttle.close()
        if self.deliveries is not None:
            self.deliveries.stop()
        if self.pool is not None:
            self.pool.close()
            self.naskah.pool = None

    # ----------------------------------------------------------------------------------------- jobs

    def _issue(self, job: Job, payload: dict, prepared: PreparedLetter | None) -> tuple[int, dict]:
        """A job's work, on a worker thread: issue the letter (prepared by the request, unless resumed)."""
        if time.monotonic() - self._purged_at > 3600:
            self.purge()
        issued = self.naskah.issue_prepared(prepared or self.naskah.prepare(payload, job.mapping), host=job.host)
        return (200 if issued.reused else 201), issued_json(issued, job.job_id)

    def _schedule_callback(self, job: Job) -> None:
        if job.callback_url and not self.stopping.is_set():
            self.callbacks.submit(self._callback, job)

    def _callback(self, job: Job) -> None:
        host = self.auth.hosts.get(job.host)
        if host is None or host.hmac_secret is None:
            self.jobs.set_callback(job.job_id, "failed", 0, f"host {job.host} has no HMAC secret to sign with")
            return
        outcome = self._post(job.callback_url, host.hmac_secret, callback_body(job), event=event_of(job),
                             label=f"job {job.job_id}", headers={"X-Naskah-Job": job.job_id})
        self.jobs.set_callback(job.job_id, outcome.state, job.callback_attempts + outcome.attempts, outcome.error)

    def _post(self, url: str, secret: bytes, body: bytes, **what):
        options = self.options
        return post_callback(url, secret, body, attempts=options.callback_attempts, backoff=options.callback_backoff,
                             backoff_max=options.callback_backoff_max, timeout=options.callback_timeout,
                             stop=self.stopping, **what)

    # ----------------------------------------------------------------------------------------- the flow

    def announce(self, draft: Draft, action: str, letter: dict | None = None) -> dict:
        """After a step of the flow (on a worker thread): the draft as the API answers it, and the host told
        of the step when the draft has a callback URL."""
        view = draft_json(self.flow, draft)
        event = self.events.record(draft.id, action, {"draft": view, "letter": letter})
        if event is not None:
            self._schedule_event(event)
        return view

    def _schedule_event(self, event: FlowEvent) -> None:
        if self.settings.cluster is not None:  # posted by the workers
            self._hand_over_event(event)
        elif not self.stopping.is_set():
            self.callbacks.submit(self._post_event, event)

    def _hand_over_event(self, event: FlowEvent) -> None:
        from ..cluster.callbacks import FLOW_EVENT, NEVER_TRIED

        try:
            self.runner.send_callback(FLOW_EVENT, event.event_id)
        except Exception as exc:  # noqa: BLE001 - the broker is away: beat's next round hands it over
            log.warning("could not hand %s of draft %s to the workers (%s); beat's round will", event.event,
                        event.draft_id, type(exc).__name__)
            self.events.outcome(event.event_id, PENDING, event.attempts, "not handed to the workers yet",
                                at=NEVER_TRIED)

    def _post_event(self, event: FlowEvent) -> None:
        """Post the event while holding its claim, if it is still owed then (another process may have it)."""
        with self.event_claims.hold(event.event_id) as held:
            event = self.events.owed(event.event_id) if held else None
            if event is None:
                return
            host = self.auth.hosts.get(event.host)
            if host is None or host.hmac_secret is None:
                self.events.outcome(event.event_id, "failed", event.attempts,
                                    f"host {event.host} has no HMAC secret to sign with")
                return
            outcome = self._post(event.url, host.hmac_secret, event.body, event=event.event,
                                 label=f"{event.event} of draft {event.draft_id}",
                                 headers={"X-Naskah-Delivery": event.event_id})
            self.events.outcome(event.event_id, outcome.state, event.attempts + outcome.attempts, outcome.error)
        if outcome.state != "pending":
            self.event_claims.forget(event.event_id)

    # ----------------------------------------------------------------------------------------- checking

    def readable(self, host: str, letter_id: str) -> StoredLetter | None:
        """The stored letter ``letter_id`` if ``host`` may read it (:mod:`.access`); else None, as if missing."""
        stored = self.naskah.store.get(letter_id) if LETTER_ID.match(letter_id) else None
        return stored if stored is not None and self.access.may_read(host, stored) else None

    def check_upload(self, pdf: bytes, trust_roots) -> VerificationReport:
        """The report on a file someone uploaded, within the limits (``VerificationRefused`` beyond them)."""
        return verify_pdf(pdf, trust_roots=trust_roots, limits=self.limits)

    def stored_report(self, stored: StoredLetter, pdf: bytes) -> VerificationReport:
        """The report on a stored letter's signatures, checked once per signed file."""
        report = self.reports.get(stored.sha256)
        if report is None:
            report = verify_pdf(pdf, trust_roots=self.trust.for_mapping(stored.mapping))
            self.reports.put(stored.sha256, report)
        return report

    def readiness(self) -> dict[str, str]:
        return readiness(self)


def _shared_counters(service_db: Database, settings: Settings) -> Database | None:
    """Where the rate-limit counters are shared by every API instance: the service's database, or else the
    signature flow's, when it is PostgreSQL; None (each process counts in memory) when both are SQLite."""
    if service_db.kind == POSTGRESQL:
        return service_db
    state = Database(settings.state_location, "the rate-limit counters")
    return state if state.kind == POSTGRESQL else None


async def in_thread(executor: Executor, function, *args, **kwargs):
    """``function(*args, **kwargs)`` on one of ``executor``'s threads, awaited, in the request's context (its
    language: :mod:`.language`)."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(executor, lambda: context.run(function, *args, **kwargs))


async def _service_of(request: Request) -> Service:
    return request.app.state.service


#: a route's parameter ``service: CurrentService`` is the Service of the app that got the request
CurrentService = Annotated[Service, Depends(_service_of)]
