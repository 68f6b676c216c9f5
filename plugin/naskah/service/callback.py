"""The result of a job, posted to the host's callback URL, signed, with bounded retries.

The body is JSON: ``{"event": "letter.issued" | "letter.failed", "job_id", "status", "http_status", "letter",
"error"}`` (``letter`` as in the API's answer, with the DMS document id and URL when the letter was delivered;
``error`` in the API's error shape). It is signed like a request to naskah (:mod:`naskah.service.auth`):
``X-Naskah-Timestamp`` and ``X-Naskah-Signature: sha256=HMAC(secret, TIMESTAMP\\nPOST\\nPATH?QUERY\\nBODY)`` with
the host's HMAC secret, signed anew for every try. Every try also carries a fresh random ``nonce`` in the body
(the same value in ``X-Naskah-Nonce``), so the signed text, and the signature, differ from one try to the next
even within one second: a host that refuses a signature it has seen accepts a retry.
``X-Naskah-Job`` names the job: the host should ignore a second delivery of the same job. The signature flow's
events (:mod:`.events`) are posted the same way.

A try that fails in a way worth repeating (no connection, timeout, 408, 425, 429, 5xx) is repeated after
``callback_backoff`` seconds, doubled each time up to ``callback_backoff_max`` (or the host's Retry-After, within
that bound), at most ``callback_attempts`` times; any other answer (a 4xx, a redirect) stops at once.
Redirects are not followed: the URL was checked against the host's allowed prefixes. In cluster mode each try
(:func:`post_once`) is one run of a Celery task, which Celery retries (:mod:`naskah.cluster.callbacks`).
"""
from __future__ import annotations

import contextlib
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .. import __version__
from ..errors import Problem
from ..http import TRANSIENT_STATUS, backoff_delay, new_session, retry_after
from .auth import SIGNATURE_HEADER, TIMESTAMP_HEADER, Host, sign
from .errors import ApiError
from ..i18n import _

log = logging.getLogger("naskah.service")

NONCE_HEADER = "X-Naskah-Nonce"


def check_callback_url(url: str, host: Host, field: str) -> str:
    """The URL if it is one of the host's allowed callback URLs; else a 422 naming the field."""
    def refuse(message: str) -> ApiError:
        return ApiError(422, "callback_refused", _("the callback URL is not allowed"), [Problem(field, message)])

    if not isinstance(url, str) or len(url) > 2000:
        raise refuse(_("must be a URL (text of at most 2000 characters)"))
    if not url.isprintable() or any(character.isspace() for character in url):
        # urlsplit drops tabs and line breaks: the URL checked would not be the URL signed and called
        raise refuse(_("must not contain spaces, tabs, line breaks or other control characters"))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise refuse(_("is not a valid URL")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise refuse(_("must be an http or https URL"))
    if "@" in parts.netloc:
        raise refuse(_("must not contain a user or password"))
    if host.hmac_secret is None:
        raise refuse(_("host {host} has no HMAC secret to sign callbacks with; configure hmac_secret_env").format(
            host=host.name))
    if not any(_under(url, prefix) for prefix in host.callback_prefixes):
        raise refuse(_("is not under the callback URLs configured for host {host} (callback_prefixes)").format(
            host=host.name))
    return url


def _under(url: str, prefix: str) -> bool:
    u, p = urlsplit(url), urlsplit(prefix)
    if any(segment in (".", "..") for segment in unquote(u.path).split("/")):
        return False
    if (u.scheme, (u.hostname or "").lower(), u.port) != (p.scheme, (p.hostname or "").lower(), p.port):
        return False
    return u.path == p.path or u.path.startswith(p.path if p.path.endswith("/") else p.path + "/") or p.path == ""


def event_of(job) -> str:
    """What a finished job tells the host: ``letter.issued`` or ``letter.failed``."""
    return "letter.issued" if job.state == "done" else "letter.failed"


def callback_body(job) -> bytes:
    body = {"event": event_of(job), "job_id": job.job_id,
            "status": job.state, "http_status": job.http_status, "letter": job.result, "error": job.error}
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")


def with_nonce(body: bytes, nonce: str) -> bytes:
    """The JSON object ``body`` with ``"nonce": nonce`` in it (signed with the rest of the body)."""
    content = json.loads(body)
    content["nonce"] = nonce
    return json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")


@dataclass(frozen=True)
class CallbackOutcome:
    state: str  # delivered or failed
    attempts: int
    error: str | None = None


@dataclass(frozen=True)
class CallbackTry:
    """One try: ``delivered`` (2xx), ``retry`` (worth repeating: no answer, 408, 425, 429, 5xx) or ``failed`` (any
    other answer: not repeated); ``retry_after``, the seconds the host asked to wait."""

    state: str
    error: str | None = None
    retry_after: float | None = None


def post_once(url: str, secret: bytes, body: bytes, *, event: str, label: str, headers: dict[str, str],
              timeout: float, attempt: int = 1, session=None) -> CallbackTry:
    """Post ``body`` to ``url`` once, signed anew (``attempt`` numbers the try in the log and the error)."""
    import requests

    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    signed = with_nonce(body, nonce)
    sent = {"Content-Type": "application/json", "User-Agent": f"naskah/{__version__}",
            TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, "POST", path, signed),
            NONCE_HEADER: nonce, "X-Naskah-Event": event, **headers}
    with contextlib.nullcontext(session) if session is not None else new_session() as client:
        try:  # no proxy from the environment for a callback to the host
            response = client.post(url, data=signed, headers=sent, timeout=timeout, allow_redirects=False)
        except requests.RequestException as exc:
            tried = CallbackTry("retry", f"try {attempt}: {type(exc).__name__} (no answer from the host)")
        else:
            with response:
                if 200 <= response.status_code < 300:
                    log.info("callback of %s delivered (try %d)", label, attempt)
                    return CallbackTry("delivered")
                tried = CallbackTry("retry" if response.status_code in TRANSIENT_STATUS else "failed",
                                    f"try {attempt}: the host answered HTTP {response.status_code}",
                                    retry_after(response))
    log.warning("callback of %s to %s failed: %s", label, parts.hostname, tried.error)
    return tried


def post_callback(url: str, secret: bytes, body: bytes, *, event: str, label: str, headers: dict[str, str],
                  attempts: int, backoff: float, backoff_max: float, timeout: float,
                  stop: threading.Event | None = None) -> CallbackOutcome:
    """Post ``body`` to ``url`` until the host accepts it (2xx), a permanent failure, or ``attempts`` tries.
    ``headers`` name what is delivered (``X-Naskah-Job``), ``label`` says it in the log."""
    stop = stop or threading.Event()
    with new_session() as session:
        for attempt in range(1, attempts + 1):
            tried = post_once(url, secret, body, event=event, label=label, headers=headers, timeout=timeout,
                              attempt=attempt, session=session)
            if tried.state == "delivered":
                return CallbackOutcome("delivered", attempt)
            if tried.state == "failed":
                return CallbackOutcome("failed", attempt, tried.error + " (not retried)")
            if attempt < attempts and stop.wait(backoff_delay(attempt, backoff, backoff_max, tried.retry_after)):
                return CallbackOutcome("pending", attempt, tried.error + " (interrupted by shutdown)")
    return CallbackOutcome("failed", attempts, f"{tried.error} (gave up after {attempts} tries)")
