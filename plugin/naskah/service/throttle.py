"""Per-client limits on the public verification page: pages opened and files uploaded a minute.

Embedded (one process), each client has a token bucket in memory that holds a minute's worth and refills
steadily; buckets are kept for at most ``MAX_CLIENTS`` clients, the least recently seen forgotten first, so memory
stays bounded whatever the number of addresses. With the service's database on PostgreSQL (several API
instances behind one proxy), the counters are rows of that database instead, shared by every instance: each
client's window opens at its first request and holds a minute's worth; one upsert a request counts it, and rows
of windows that have ended are purged. Past the limit the answer is 429 with ``Retry-After``.

A client is its address (an IPv6 one by its /64, which one subscriber usually holds whole); behind a reverse proxy
named in ``trusted_proxies``, the address the proxy puts last into ``X-Forwarded-For`` that is not itself a
trusted proxy.
"""
from __future__ import annotations

import asyncio
import collections
import ipaddress
import logging
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from fastapi import Request

from ..config import ServiceOptions
from ..database import Database
from ..i18n import _
from .errors import ApiError

log = logging.getLogger("naskah.service")

MAX_CLIENTS = 10000
WINDOW = 60.0  # seconds: the limits are per minute
WAIT_SECONDS = 2.0  # the longest a request waits for the shared counters before it goes on uncounted

_SCHEMA = ("""
CREATE TABLE IF NOT EXISTS rate_limits (
    kind         TEXT NOT NULL,
    client       TEXT NOT NULL,
    window_start DOUBLE PRECISION NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (kind, client)
)""", "CREATE INDEX IF NOT EXISTS rate_limits_window ON rate_limits (window_start)")

#: count one request of a client: a new window when its last one has ended, else one more hit in it
_COUNT = """
INSERT INTO rate_limits (kind, client, window_start, hits) VALUES (?, ?, ?, 1)
ON CONFLICT (kind, client) DO UPDATE SET
    hits = CASE WHEN rate_limits.window_start <= ? THEN 1 ELSE rate_limits.hits + 1 END,
    window_start = CASE WHEN rate_limits.window_start <= ? THEN excluded.window_start
                        ELSE rate_limits.window_start END
RETURNING window_start, hits"""


class RateLimit:
    """``per_minute`` requests a minute for each client (0: no limit)."""

    def __init__(self, per_minute: int, max_clients: int = MAX_CLIENTS):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_clients = max_clients
        self._buckets: collections.OrderedDict[str, tuple[float, float]] = collections.OrderedDict()
        self._lock = threading.Lock()

    def wait(self, client: str, now: float | None = None) -> float:
        """0 when ``client`` may go on (and it is counted); else the seconds before it may."""
        if not self.capacity:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, at = self._buckets.pop(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            waited = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                waited = (1 - tokens) / self.rate
            self._buckets[client] = (tokens, now)  # the most recently seen last
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            return waited


class SharedRateLimit:
    """``per_minute`` requests in each client's minute (0: no limit), counted in ``database``'s ``rate_limits``
    table under ``kind``: every API instance using the database counts into the same rows."""

    def __init__(self, database: Database, kind: str, per_minute: int, window: float = WINDOW):
        self.db = database
        self.kind = kind
        self.capacity = per_minute
        self.window = window
        self._purged_at = 0.0
        self._warned_at = -WINDOW
        if per_minute:
            database.create(*_SCHEMA)

    def wait(self, client: str, now: float | None = None) -> float:
        """0 when ``client`` may go on (and it is counted); else the seconds before its window ends. When the
        database cannot be reached, 0 (the limit is a protection, not a reason to refuse) and a warning logged."""
        if not self.capacity:
            return 0.0
        now = time.time() if now is None else now
        try:
            with self.db.transaction(wait=WAIT_SECONDS) as db:
                started, hits = db.rows(_COUNT, (self.kind, client, now, now - self.window, now - self.window))[0]
        except Exception as exc:  # noqa: BLE001 - any failure of the database: let the request through
            if time.monotonic() - self._warned_at > WINDOW:
                self._warned_at = time.monotonic()
                log.warning("rate limits not enforced: %s cannot be reached (%s)", self.db.location,
                            type(exc).__name__)
            return 0.0
        if now - self._purged_at > self.window:
            try:
                self.purge(now)
            except Exception:  # noqa: BLE001 - the next window's purge takes them
                log.debug("could not purge the ended rate-limit windows", exc_info=True)
        return 0.0 if hits <= self.capacity else max(0.001, started + self.window - now)

    def purge(self, now: float | None = None) -> int:
        """Delete the rows of windows that have ended (at most once a window in each instance)."""
        now = time.time() if now is None else now
        self._purged_at = now
        with self.db.transaction(wait=WAIT_SECONDS) as db:
            return db.execute("DELETE FROM rate_limits WHERE kind = ? AND window_start <= ?",
                              (self.kind, now - self.window))


class PageThrottle:
    """The limits of the verification page: ``view`` for every page opened, ``upload`` for every file sent.

    With ``database`` (PostgreSQL: several API instances) the counters are shared there, counted on threads of
    the throttle's own (two, with the process's pooled connections); else they are this process's buckets in
    memory."""

    def __init__(self, options: ServiceOptions, database: Database | None = None):
        if database is None:
            self.views, self.uploads = RateLimit(options.page_views_per_minute), RateLimit(options.uploads_per_minute)
            self._threads = None
        else:
            self.views = SharedRateLimit(database, "view", options.page_views_per_minute)
            self.uploads = SharedRateLimit(database, "upload", options.uploads_per_minute)
            self._threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="naskah-throttle")
        self.proxies = [ipaddress.ip_network(proxy, strict=False) for proxy in options.trusted_proxies]

    @property
    def shared(self) -> bool:
        return self._threads is not None

    async def view(self, request: Request) -> None:
        await self._take(self.views, request)

    async def upload(self, request: Request) -> None:
        await self._take(self.uploads, request)

    def close(self) -> None:
        if self._threads is not None:
            self._threads.shutdown(wait=True, cancel_futures=True)

    async def _take(self, limit: RateLimit | SharedRateLimit, request: Request) -> None:
        client = self.client_of(request)
        if self._threads is None:
            waited = limit.wait(client)
        else:
            waited = await asyncio.get_running_loop().run_in_executor(self._threads, limit.wait, client)
        if waited:
            seconds = max(1, math.ceil(waited))
            raise ApiError(429, "too_many_requests", _("too many requests from this client; try again in {seconds} s").format(
                           seconds=seconds), headers={"Retry-After": str(seconds)})

    def client_of(self, request: Request) -> str:
        address = request.client.host if request.client else ""
        if self.proxies and self._trusted(address):
            hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
            for hop in reversed(hops):
                address = hop
                if not self._trusted(hop):
                    break
        return _client_key(address)

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.proxies)


def _client_key(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if ip.version == 6 else str(ip)
