"""HTTP plumbing shared by every outgoing call (the DMS, BSrE, the host's callbacks), written once.

- ``new_session()``: one requests Session set up the same way everywhere: a default timeout on every
  request, urllib3 retries of safe requests with backoff (a server's Retry-After honoured but capped),
  TLS verified against the system's CAs or a given bundle, no proxies or netrc picked up by default;
- ``retry_after()`` and ``backoff_delay()``: how long to wait before trying again;
- ``connection_refused()``: whether nothing was sent (so a retry cannot duplicate anything);
- ``display_url()`` and ``scrub()``: URLs and messages fit for people, never holding a credential.

requests and urllib3 load slowly, so they are imported inside the functions that need them.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    import requests

#: Answers that say "try again later" (timeout, too early, busy, failing).
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
#: Methods that change nothing, so urllib3 may repeat them behind the caller's back.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_MESSAGE = 300

Timeout = float | tuple[float, float]


def new_session(*, timeout: Timeout | None = None, retries: int = 0, backoff: float = 0.0,
                backoff_max: float = 30.0, retry_statuses: Iterable[int] = (),
                retry_methods: Iterable[str] = SAFE_METHODS, ca_bundle: Path | str | None = None,
                headers: dict[str, str] | None = None, auth: tuple[str, str] | None = None,
                trust_env: bool = False) -> "requests.Session":
    """A Session whose requests get ``timeout`` unless they pass one, and whose safe requests are retried
    ``retries`` times with exponential backoff (from ``backoff`` up to ``backoff_max`` seconds) on a
    failed connection, a lost answer or one of ``retry_statuses``. A refused connection is retried for
    every method: nothing was sent. Unsafe requests (an upload) are for the caller to repeat, after it
    looked for what the first one may have done."""
    from requests.adapters import HTTPAdapter

    session = _session_class()(timeout)
    if retries:
        retry = _capped_retry()(
            total=retries, connect=retries, read=retries, status=retries, other=0,
            backoff_factor=backoff, backoff_max=backoff_max, status_forcelist=sorted(retry_statuses),
            allowed_methods=frozenset(retry_methods), raise_on_status=False, respect_retry_after_header=True,
        )
        retry.cap = backoff_max
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    session.verify = str(ca_bundle) if ca_bundle else True
    session.trust_env = trust_env  # False: no proxies or netrc credentials picked up from the environment
    if auth:
        session.auth = auth
    session.headers.update(headers or {})
    return session


@functools.cache
def _session_class():
    import requests

    class TimeoutSession(requests.Session):
        """A Session with a default timeout: no request may wait forever because a caller forgot one."""

        def __init__(self, timeout: Timeout | None):
            super().__init__()
            self.timeout = timeout

        def request(self, method, url, **kwargs):
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = self.timeout
            return super().request(method, url, **kwargs)

    return TimeoutSession


@functools.cache
def _capped_retry():
    from urllib3.util.retry import Retry

    class CappedRetry(Retry):
        """urllib3's Retry, but a server's Retry-After never makes us wait longer than ``cap`` seconds."""

        cap: float = 30.0

        def new(self, **kw):
            fresh = super().new(**kw)
            fresh.cap = self.cap
            return fresh

        def get_retry_after(self, response):
            value = super().get_retry_after(response)
            return None if value is None else min(value, self.cap)

    return CappedRetry


def retry_after(response: Any) -> float | None:
    """The seconds a server's Retry-After header asks for (None when absent or not a number)."""
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def backoff_delay(attempt: int, backoff: float, backoff_max: float, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): exponential, or the server's wish if longer,
    never more than ``backoff_max``."""
    delay = backoff * (2 ** max(0, attempt - 1))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, backoff_max)


def connection_refused(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a refused connection: then the request was never sent."""
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError) or "Connection refused" in str(current):
            return True
        current = current.__cause__ or current.__context__ or (current.args[0] if current.args and
                                                                isinstance(current.args[0], BaseException) else None)
    return False


def display_url(url: str) -> str:
    """``url`` for messages: scheme, host, port and path, without credentials, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def scrub(text: Any, secrets: Iterable[str | None] = (), limit: int = MAX_MESSAGE) -> str:
    """A message for people: one line, at most ``limit`` characters, with every secret blanked out."""
    text = " ".join(str(text).split())
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:limit] + ("..." if len(text) > limit else "")
