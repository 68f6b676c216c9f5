"""Per-client limits on the public verification page: pages opened and files uploaded a minute.

Each client has a token bucket that holds a minute's worth and refills steadily; past it the answer is 429 with
``Retry-After``. Buckets are kept for at most ``MAX_CLIENTS`` clients, the least recently seen forgotten first, so
memory stays bounded whatever the number of addresses. A client is its address (an IPv6 one by its /64, which
one subscriber usually holds whole); behind a reverse proxy named in ``trusted_proxies``, the address the proxy
puts last into ``X-Forwarded-For`` that is not itself a trusted proxy.
"""
from __future__ import annotations

import collections
import ipaddress
import math
import threading
import time

from fastapi import Request

from ..config import ServiceOptions
from ..i18n import _
from .errors import ApiError

MAX_CLIENTS = 10000


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


class PageThrottle:
    """The limits of the verification page: ``view`` for every page opened, ``upload`` for every file sent."""

    def __init__(self, options: ServiceOptions):
        self.views = RateLimit(options.page_views_per_minute)
        self.uploads = RateLimit(options.uploads_per_minute)
        self.proxies = [ipaddress.ip_network(proxy, strict=False) for proxy in options.trusted_proxies]

    def view(self, request: Request) -> None:
        self._take(self.views, request)

    def upload(self, request: Request) -> None:
        self._take(self.uploads, request)

    def _take(self, limit: RateLimit, request: Request) -> None:
        waited = limit.wait(self.client_of(request))
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
