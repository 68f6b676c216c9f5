"""What ``/ready`` checks, each named with what is wrong: mappings, store, hosts, LibreOffice, signing profiles,
and in cluster mode the dependencies the API instance cannot work without: the broker its letters are queued to,
and the shared database (PostgreSQL) of jobs. ``/health`` checks none of them: it says the process answers.

Each dependency is asked with a short timeout, so a probe never hangs on a broker that is away. The answer names
the dependency and the kind of failure, no address (the probe has no authentication); the operator's log says
where and why, once each time a dependency goes down.
"""
from __future__ import annotations

import logging
import shutil
import threading
from urllib.parse import urlsplit

from ..database import POSTGRESQL, Database

log = logging.getLogger("naskah.service")

PROBE_TIMEOUT = 2.0  # seconds the probe waits for the broker, and for a connection to the jobs' database
_down: set[str] = set()  # the dependencies found down at the last probe (logged when they went down)
_down_lock = threading.Lock()


def readiness(service) -> dict[str, str]:
    """``{check: "ok" or what is wrong}`` of a ``runtime.Service``; ready when every value is ``ok``."""
    settings = service.settings
    checks = {"mappings": "ok" if service.naskah.mappings else "none loaded",
              "store": "ok" if service.naskah.store.writable() else "not writable",
              "hosts": "ok" if service.hosts else "no host has a token or secret"}
    if settings.pool_size and settings.cluster is None:
        checks["libreoffice"] = "ok" if service.pool is not None else "pool not started"
    else:  # one-shot soffice, or cluster mode's pool started at the first draft
        checks["libreoffice"] = "ok" if shutil.which(settings.soffice) else "soffice not found"
    broken = service.trust.broken()
    checks["signing"] = "ok" if not broken else f"profile {', '.join(broken)} cannot be loaded (see the log)"
    if service.jobs.db.kind == POSTGRESQL:
        checks["database"] = database_check(service.jobs.db)
    if settings.cluster is not None:
        checks["broker"] = broker_check(service.runner.app, settings.cluster.broker_url)
    return checks


def database_check(database: Database) -> str:
    try:
        with database.transaction(write=False, wait=PROBE_TIMEOUT) as db:
            db.rows("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - whatever the reason, the probe says it
        return _down_now("database", f"the database of jobs ({database.location})", exc)
    return _up_again("database")


def broker_check(app, url: str, timeout: float = PROBE_TIMEOUT) -> str:
    """Whether the Celery ``app``'s broker answers a PING within ``timeout`` seconds."""
    options = dict(app.conf.broker_transport_options or {}, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        with app.connection_for_write(transport_options=options, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
            connection.default_channel.client.ping()
    except Exception as exc:  # noqa: BLE001 - refused, timed out, wrong password: the probe says which
        return _down_now("broker", f"the broker {_address(url)}", exc)
    return _up_again("broker")


def _down_now(check: str, what: str, exc: Exception) -> str:
    with _down_lock:
        went_down = check not in _down
        _down.add(check)
    if went_down:
        log.warning("not ready: %s cannot be reached: %s", what, exc)
    return f"cannot be reached ({type(exc).__name__}; the log says more)"


def _up_again(check: str) -> str:
    with _down_lock:
        was_down = check in _down
        _down.discard(check)
    if was_down:
        log.warning("%s answers again", check)
    return "ok"


def _address(url: str) -> str:
    """The broker's URL without a user or password."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"
