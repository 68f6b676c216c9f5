"""What one Celery worker process holds (the pipeline with its own warm LibreOffice pool, the shared jobs table,
the hosts' secrets for callbacks), and the work of each task.

A task may come more than once: Celery acknowledges it only when it has finished (``acks_late``), so a worker
killed mid-letter leaves it to another; a letter outliving the broker's visibility timeout is given to a second
worker while the first still works on it; a job is handed to the broker again when Redis lost it. Each copy is
safe: a job runs only while its worker holds the job's lock (:mod:`.claims`), so two copies never run at once;
a finished job is not run again; a letter already in the store is returned, not signed again; and a job's
letter keeps one public id over all its runs (derived from the job's id), so the store drops the file an
earlier run left without its index row, and the job reports the letter as its own (201), not as reused.

The job's callback is not posted here: the letter task hands it to a task of its own (:mod:`.callbacks`), so a
host whose endpoint is down holds up no letter.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import replace
from typing import Callable

from ..config import Settings
from ..database import Database
from ..pipeline import Naskah
from ..service.auth import load_hosts
from ..service.errors import ApiError, api_error_for
from ..service.jobs import RUNNING, Job, JobStore
from ..service.views import issued_json
from .callbacks import JOB_CALLBACK, OwedCallbacks
from .claims import JobClaims

log = logging.getLogger("naskah.cluster")


def letter_id_of_job(job_id: str) -> str:
    """The public id of the letter a job issues, the same in every run of the job (and not its job id, which
    only the host knows)."""
    return hashlib.sha256(f"naskah letter of job {job_id}".encode("ascii")).hexdigest()[:32]


class Worker:
    """The state of one worker process; ``start`` warms its LibreOffice pool, ``stop`` ends it. ``post_later``
    hands a callback to its task (``post_later(kind, id)``, :mod:`.callbacks`), set by the Celery app."""

    def __init__(self, settings: Settings, name: str = "worker",
                 post_later: Callable[[str, str], None] | None = None):
        self.settings = settings
        self.name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:64] or "worker"
        self.naskah = Naskah(settings)
        self.jobs = JobStore(Database(settings.service_location, "the service's jobs"))
        self.claims = JobClaims(settings.service_location)
        self.hosts = {host.name: host for host in load_hosts(settings.service)}
        self.owed = OwedCallbacks(settings, self.hosts, self.jobs)
        self.post_later = post_later
        self.pool = None

    def start(self) -> "Worker":
        from ..convert import pool_from_settings

        pool = pool_from_settings(self.settings)
        # a profile folder of its own: the API and other workers on this machine keep theirs
        pool.profiles = self.settings.data_dir / "libreoffice-pool" / self.name
        log.info("worker %s: starting %d warm LibreOffice processes", self.name, pool.size)
        pool.start()
        self.pool = self.naskah.pool = pool
        return self

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = self.naskah.pool = None

    def issue(self, job_id: str) -> str:
        """Run the job ``job_id`` (once more, if an earlier run did not finish); returns its state, or
        ``running`` when another worker runs it now (this copy of its message is then done)."""
        with self.claims.hold(job_id) as held:
            if not held:
                log.info("job %s is being run by another worker; this copy of it is dropped", job_id)
                return RUNNING
            state = self._run(job_id)
            if state != RUNNING:
                self.claims.forget(job_id)
            return state

    def _run(self, job_id: str) -> str:
        job = self.jobs.get(job_id)
        if job is None:
            log.warning("job %s is not in the jobs table (purged, or another installation's); nothing to do", job_id)
            return "missing"
        if job.finished:
            log.info("job %s finished before; not run again", job_id)
            self.callback(job)  # owed if the run that finished it ended before posting it
            return job.state
        payload = self.jobs.payload(job_id)
        if payload is None:
            finished = self.jobs.finish(job_id, status=500, error=ApiError(
                500, "lost", "the job's payload was lost; send the request again").body())
            self.callback(finished)
            return finished.state
        self.jobs.set_running(job_id)
        try:
            prepared = self.naskah.prepare(payload, job.mapping)
            if self.naskah.store.by_workflow_key(prepared.workflow_key) is None:
                prepared = replace(prepared, letter_id=letter_id_of_job(job_id))
            issued = self.naskah.issue_prepared(prepared, host=job.host)
            if issued.reused and issued.letter_id == letter_id_of_job(job_id):  # stored by an earlier run of ours
                issued = replace(issued, reused=False)
            finished = self.jobs.finish(job_id, status=200 if issued.reused else 201,
                                        result=issued_json(issued, job_id))
        except Exception as exc:  # every failure becomes the job's error, in the API's shape
            error = api_error_for(exc)
            finished = self.jobs.finish(job_id, status=error.status, error=error.body())
        self.callback(finished)
        return finished.state

    def callback(self, job: Job) -> None:
        """Hand the job's callback, when it owes one, to its own task (posted and retried there)."""
        if not job.callback_url or job.callback_state != "pending":
            return
        try:
            self.post_later(JOB_CALLBACK, job.job_id)
        except Exception as exc:  # noqa: BLE001 - the broker is away: beat's round hands it over later
            log.warning("could not queue the callback of job %s (%s); beat's round hands it over", job.job_id,
                        type(exc).__name__)

    # ----------------------------------------------------------------------------------------- beat's work

    def purge(self) -> int:
        """Forget finished jobs older than ``job_retention_days`` (not those still owing their callback)."""
        return self.jobs.purge(self.settings.service.job_retention_days)

    def hand_over_callbacks(self) -> int:
        """Hand the callbacks and flow events owed and not tried for long to their task again; how many."""
        handed = self.owed.due()
        for kind, item_id in handed:
            log.warning("%s %s is still owed and was not tried for long: handed over again", kind, item_id)
            self.post_later(kind, item_id)
        return len(handed)

    def queue_orphans(self) -> list[str]:
        """Queue again the jobs ``running`` in the table that no process runs: their worker died (and the broker
        may have lost the message that would give the job to another: Redis restarted before its visibility
        timeout). Returns their ids; :func:`naskah.service.jobs.requeue` hands them over."""
        found = []
        for job in self.jobs.unfinished():
            if job.state != RUNNING:
                continue
            with self.claims.hold(job.job_id) as held:
                current = self.jobs.get(job.job_id) if held else None
                if current is not None and current.state == RUNNING:
                    log.warning("job %s was left running by a worker that stopped: queued again", job.job_id)
                    self.jobs.orphaned(job.job_id)
                    found.append(job.job_id)
        return found

    def retry_deliveries(self) -> None:
        """Record stored letters the outbox lacks and deliver what is due (when a DMS is configured)."""
        if self.settings.dms is None:
            return
        from ..deliver import delivery_for
        from ..deliver.schedule import RetrySchedule

        schedule = RetrySchedule(delivery_for(self.settings), self.naskah.store.get, 0)
        try:
            schedule.run_once()
        finally:
            schedule.delivery.connector.close()

    def renew(self) -> dict[str, int]:
        """Renew the B-LTA letters whose newest timestamp is older than ``renew_older_than_days``."""
        import datetime as dt

        from ..archive import renew_store
        from ..sign import load_profile

        options = self.settings.cluster
        if options is None or options.renew_profile is None:
            return {}
        profile = load_profile(options.renew_profile, self.settings)
        results = renew_store(self.naskah.store, profile, older_than=dt.timedelta(days=options.renew_older_than_days))
        counts = {outcome: sum(r.outcome == outcome for r in results) for outcome in ("renewed", "skipped", "failed")}
        log.info("renewal: %(renewed)d renewed, %(skipped)d skipped, %(failed)d failed", counts)
        return counts
