"""``[cluster]`` in the configuration file: Celery workers with a Redis broker instead of the API's own threads.

Every API instance and worker of one installation reads the same file; the jobs and the replay memory live in
``database`` (PostgreSQL when the processes run on several machines), the store's index in ``[store] index``.
A broker URL with a password names it by variable (``broker_password_env``), never in the file.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ..secrets import ENV_NAME


class ClusterOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    broker_url: str = Field(pattern=r"^(redis|rediss)://", description="the Redis broker, e.g. redis://10.0.0.5:6379/0")
    broker_password_env: str | None = Field(default=None, pattern=ENV_NAME,
                                            description="variable holding the broker's password (not in the URL)")
    result_backend: str | None = Field(default=None, description="Celery's result backend; none needed: a job's "
                                                                  "result is kept in the jobs table")
    database: str | None = Field(default=None, description="jobs and replay memory shared by every API instance and "
                                                           "worker: postgresql:// URL (or a SQLite file on one "
                                                           "machine); default STORE_DIR/service.sqlite")
    queue: str = Field(default="naskah", pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="the Celery queue")
    visibility_timeout: float = Field(default=3600, ge=5, description="seconds after which a letter taken by a "
                                                                      "worker that vanished is given to another")
    worker_concurrency: int | None = Field(default=None, ge=1, le=64,
                                           description="letters a worker issues at once; default: its pool size")
    poll_interval: float = Field(default=0.2, gt=0, le=10,
                                 description="seconds between two looks of the API at a job it waits for")
    purge_every: float = Field(default=3600, gt=0, description="seconds between two purges of finished jobs (beat)")
    renew_profile: str | None = Field(default=None, description="signing profile that renews B-LTA letters on "
                                                                "beat's schedule; none: no renewal by beat")
    renew_older_than_days: float = Field(default=300, gt=0, description="renew letters whose newest timestamp is "
                                                                        "older than this")
    renew_every: float = Field(default=86400, gt=0, description="seconds between two renewal rounds (beat)")
    # the API instances' side (naskah.service)
    requeue_after: float = Field(default=600, ge=5, description="seconds after which a job still queued is handed "
                                                                "to the broker again (a message the broker lost); "
                                                                "also the least time without a try after which a "
                                                                "callback or flow event still owed is")
    requeue_every: float = Field(default=60, gt=0, description="seconds between two rounds of re-queueing (beat); "
                                                               "an API instance also re-queues when it starts")
    api_pool_size: int = Field(default=1, ge=0, le=64,
                               description="warm LibreOffice processes of an API instance, for draft previews and "
                                           "signatures in the signature flow, started at the first one; 0: a "
                                           "one-shot soffice per conversion")
