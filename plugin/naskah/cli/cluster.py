"""``naskah worker`` and ``naskah beat``: cluster mode's Celery worker (issuing letters, with its own warm
LibreOffice pool) and Celery beat (the scheduled work: undelivered letters, B-LTA renewal, finished jobs)."""
from __future__ import annotations

import os
import socket

from ..config import settings_from_args


def _app(args):
    from ..cluster.app import make_app

    settings = settings_from_args(args)
    return settings, make_app(settings)


def cmd_worker(args) -> int:
    settings, app = _app(args)
    concurrency = (args.concurrency or settings.cluster.worker_concurrency or settings.pool_size
                   or os.cpu_count() or 1)
    name = args.name or f"naskah-{os.getpid()}@{socket.gethostname()}"
    app.worker_main(["worker", "--pool", "threads", "--concurrency", str(concurrency), "--hostname", name,
                     "--queues", settings.cluster.queue, "--without-gossip", "--without-mingle",
                     "--loglevel", "INFO" if args.verbose else "WARNING"])
    return 0


def cmd_beat(args) -> int:
    settings, app = _app(args)
    schedule = args.schedule or str(settings.data_dir / "celerybeat-schedule")
    app.start(["beat", "--schedule", schedule, "--loglevel", "INFO" if args.verbose else "WARNING"])
    return 0


def add_cluster(commands) -> None:
    worker = commands.add_parser("worker", help="cluster mode: a Celery worker that issues the service's letters",
                                 description="Run a Celery worker ([cluster] in the configuration) with its own "
                                             "warm LibreOffice pool; run one per core group, as many as needed.")
    worker.add_argument("--concurrency", type=int, help="letters issued at once (default: the pool size)")
    worker.add_argument("--name", help="the worker's name (default: naskah-PID@HOST)")
    worker.add_argument("--store", help="store folder (default: ~/.local/share/naskah/store)")
    worker.set_defaults(run=cmd_worker)
    beat = commands.add_parser("beat", help="cluster mode: Celery beat, the scheduled work",
                               description="Run Celery beat: retries undelivered letters, renews B-LTA letters, "
                                           "purges finished jobs. Run exactly one for the installation.")
    beat.add_argument("--schedule", help="beat's state file (default: DATA_DIR/celerybeat-schedule)")
    beat.add_argument("--store", help="store folder (default: ~/.local/share/naskah/store)")
    beat.set_defaults(run=cmd_beat)
