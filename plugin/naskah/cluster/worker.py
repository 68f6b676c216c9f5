"""What one Celery worker process holds (the pipeline with its own warm LibreOffice pool, the shared jobs table,
the hosts' secrets for callbacks), and the work of each task.

A task may run more than once: Celery acknowledges it only when it has finished (``acks_late``), so a worker
killed mid-letter leaves it to another, and a letter outliving the broker's visibility timeout is given to a
second worker while the first still works on it. Each run is safe: a finished job is not run again; a letter
already in the store is returned, not signed again; and a job's letter keeps one public id over all its runs
(derived from the job's id), so the store drops the file an earlier run left without its index row.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import replace

from ..config import Settings
from ..database import Database
from ..pipeline import Naskah
from ..service.auth import load_hosts
from ..service.callback import callback_body, event_of, post_callback
from ..service.errors import ApiError, api_error_for
from ..service.jobs import Job, JobStore
from ..service.views import issued_json

log = logging.getLogger("naskah.cluster")


def letter_id_of_job(job_id: str) -> str:
    """The public id of the letter a job issues, the same in every run of the job (and not its job id, which
    only the host knows)."""
    return hashlib.sha256(f"naskah letter of job {job_id}".encode("ascii")).hexdigest()[:32]


class Worker:
    """The state of one worker process; ``start`` warms its LibreOffice pool, ``stop`` ends it."""

    def __init__(self, settings: Settings, name: str = "worker"):
        self.settings = settings
        self.name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:64] or "worker"
        self.naskah = Naskah(settings)
        self.jobs = JobStore(Database(settings.service_location, "the service's jobs"))
        self.hosts = {host.name: host for host in load_hosts(settings.service)}
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
        """Run the job ``job_id`` (once more, if an earlier run did not finish); returns its state."""
        job = self.jobs.get(job_id)
        if job is None:
            log.warning("job %s is not in the jobs table (purged, or another installation's); nothing to do", job_id)
            return "missing"
        if job.finished:
            log.info("job %s finished before; not run again", job_id)
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
            finished = self.jobs.finish(job_id, status=200 if issued.reused else 201,
                                        result=issued_json(issued, job_id))
        except Exception as exc:  # every failure becomes the job's error, in the API's shape
            error = api_error_for(exc)
            finished = self.jobs.finish(job_id, status=error.status, error=error.body())
        self.callback(finished)
        return finished.state

    def callback(self, job: Job) -> None:
        """Tell the host, when the job has a callback URL (signed with the host's HMAC secret)."""
        if not job.callback_url or job.callback_state != "pending":
            return
        host = self.hosts.get(job.host)
        if host is None or host.hmac_secret is None:
            self.jobs.set_callback(job.job_id, "failed", 0, f"host {job.host} has no HMAC secret to sign with")
            return
        options = self.settings.service
        outcome = post_callback(job.callback_url, host.hmac_secret, callback_body(job), event=event_of(job),
                                label=f"job {job.job_id}", headers={"X-Naskah-Job": job.job_id},
                                attempts=options.callback_attempts, backoff=options.callback_backoff,
                                backoff_max=options.callback_backoff_max, timeout=options.callback_timeout)
        self.jobs.set_callback(job.job_id, outcome.state, job.callback_attempts + outcome.attempts, outcome.error)

    # ----------------------------------------------------------------------------------------- beat's work

    def purge(self) -> int:
        """Forget finished jobs older than ``job_retention_days``; post callbacks still owed."""
        for job in self.jobs.callbacks_pending():
            self.callback(job)
        return self.jobs.purge(self.settings.service.job_retention_days)

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
