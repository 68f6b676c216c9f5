"""Validation data (OCSP responses, CRLs, CA certificates) fetched once per signing profile and reused by the
letters that follow while it is valid, instead of fetched again for every letter.

pyHanko's fetchers keep what they fetched for one validation context, that is for one letter: a batch of B-LT
or B-LTA letters signed with one key asked the same OCSP responder and CRL repository the same questions for
every letter, each a round trip to a CA that may be far away (and may count the requests). Here each signing
profile keeps a :class:`KeptValidationData`; each letter's validation context still gets fresh fetchers (their
own HTTP session, closed with the context by pyHanko), which look there first.

An OCSP response or CRL is reused until its ``nextUpdate`` (when it has none, until pyHanko's own fallback, 30
minutes after ``thisUpdate``), less :data:`MARGIN`, and never for longer than :data:`LONGEST_REUSE`, so that a
certificate revoked meanwhile is refused within that time even when a CA announces hours of validity. A fetch
that failed is never kept: hard-fail signing asks again for the next letter. Each letter's signature carries
only the data its own validation used. Timestamps are not validation data: every signature gets its own.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import hashlib
import threading
from collections.abc import Awaitable, Callable, Hashable

from pyhanko_certvalidator.fetchers import CertificateFetcher, CRLFetcher, FetcherBackend, Fetchers, OCSPFetcher
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
from pyhanko_certvalidator.fetchers.common_utils import enumerate_delivery_point_urls
from pyhanko_certvalidator.policy_decl import FRESHNESS_FALLBACK_VALIDITY_DEFAULT
from pyhanko_certvalidator.util import get_relevant_crl_dps, issuer_serial

#: The longest an OCSP response or CRL is reused, however long it says it is valid.
LONGEST_REUSE = dt.timedelta(hours=1)
#: A kept item is reused only while it stays valid this much longer: the letter is validated, and its
#: validation data read back, after the item was looked up.
MARGIN = dt.timedelta(minutes=1)
#: How long the CA certificates fetched from a certificate's ``caIssuers`` address are reused.
CERTIFICATE_REUSE = dt.timedelta(hours=24)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class KeptValidationData:
    """What one signing profile's letters fetched, each item with the time until which it may be reused.

    Shared by the threads of a batch, each running pyHanko in its own event loop: letters that ask for the same
    item at the same moment wait for the first one's fetch (without blocking their loops) instead of fetching it
    too. Only lookups and stores hold the lock, never a fetch. ``clock`` gives the current UTC time (the tests
    move it on).
    """

    def __init__(self, clock: Callable[[], dt.datetime] = _utc_now, per_request_timeout: float = 10):
        self.clock = clock
        self.per_request_timeout = per_request_timeout
        self._lock = threading.Lock()
        self._items: dict[Hashable, tuple[object, dt.datetime]] = {}
        self._fetching: dict[Hashable, concurrent.futures.Future] = {}

    async def obtain(self, key: Hashable, fetch: Callable[[], Awaitable], valid_until: Callable):
        """The item kept under ``key``, or the result of ``await fetch()``, kept until ``valid_until(result,
        now)``. A letter whose fetch another letter started waits for it; if that fetch fails, it fetches itself."""
        with self._lock:
            item = self._items.get(key)
            if item is not None and self.clock() + MARGIN < item[1]:
                return item[0]
            started = self._fetching.get(key)
            if started is None:
                mine = self._fetching[key] = concurrent.futures.Future()
        if started is not None:
            try:
                return await asyncio.wrap_future(started)
            except Exception:  # noqa: BLE001 - the other letter's fetch failed: this one tries on its own
                return await self._fetch_and_keep(key, fetch, valid_until)
        try:
            value = await self._fetch_and_keep(key, fetch, valid_until)
        except BaseException as exc:  # the letters waiting for it fetch on their own
            mine.set_exception(exc if isinstance(exc, Exception) else RuntimeError("the fetch was interrupted"))
            raise
        else:
            mine.set_result(value)
        finally:
            with self._lock:
                del self._fetching[key]
        return value

    async def _fetch_and_keep(self, key: Hashable, fetch: Callable[[], Awaitable], valid_until: Callable):
        value = await fetch()
        now = self.clock()
        try:
            until = min(valid_until(value, now), now + LONGEST_REUSE)
        except (AttributeError, KeyError, TypeError, ValueError):  # an answer without dates is used, not kept
            until = now
        with self._lock:
            for stale in [k for k, (_, end) in self._items.items() if end <= now]:
                del self._items[stale]
            if now + MARGIN < until:
                self._items[key] = (value, until)
        return value

    def backend(self) -> FetcherBackend:
        """Fetchers for one letter's validation context: this store first, then the network."""
        return _KeepingBackend(self)


def _valid_until(this_update: dt.datetime | None, next_update: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if next_update is not None:
        return next_update
    return (this_update or now) + FRESHNESS_FALLBACK_VALIDITY_DEFAULT


def ocsp_valid_until(response, now: dt.datetime) -> dt.datetime:
    """The earliest ``nextUpdate`` of the single responses in an OCSP response."""
    singles = response.response_data["responses"]
    return min((_valid_until(single["this_update"].native, single["next_update"].native, now) for single in singles),
               default=now)


def crls_valid_until(crls, now: dt.datetime) -> dt.datetime:
    """The earliest ``nextUpdate`` of the CRLs."""
    return min((_valid_until(c["tbs_cert_list"]["this_update"].native, c["tbs_cert_list"]["next_update"].native, now)
                for c in crls), default=now)


def _crl_source(cert, use_deltas) -> tuple:
    """Where a certificate's CRLs come from (its distribution points' URLs): certificates of one CA share them."""
    deltas = use_deltas is not False  # pyHanko's fetchers use delta CRLs unless told not to
    urls = sorted(url for point in get_relevant_crl_dps(cert, use_deltas=deltas)
                  for url in enumerate_delivery_point_urls(point))
    return (deltas, *urls) if urls else (deltas, issuer_serial(cert))


def _digest(asn1) -> bytes:
    return hashlib.sha256(asn1.dump()).digest()


class _KeptOcsp(OCSPFetcher):
    def __init__(self, kept: KeptValidationData, network: OCSPFetcher):
        self._kept, self._network = kept, network
        self._used: dict[tuple, object] = {}

    async def fetch(self, cert, authority):
        key = ("ocsp", issuer_serial(cert), authority.hashable)
        response = await self._kept.obtain(key, lambda: self._network.fetch(cert, authority), ocsp_valid_until)
        self._used[key] = response
        return response

    def fetched_responses(self):
        return list(self._used.values())

    def fetched_responses_for_cert(self, cert):
        subject = issuer_serial(cert)
        return [response for (_, serial, _), response in self._used.items() if serial == subject]


class _KeptCrls(CRLFetcher):
    def __init__(self, kept: KeptValidationData, network: CRLFetcher):
        self._kept, self._network = kept, network
        self._used: dict[bytes, list] = {}

    async def fetch(self, cert, *, use_deltas=None):
        async def from_network():
            return list(await (self._network.fetch(cert) if use_deltas is None
                               else self._network.fetch(cert, use_deltas=use_deltas)))

        crls = await self._kept.obtain(("crl", _crl_source(cert, use_deltas)), from_network, crls_valid_until)
        self._used[issuer_serial(cert)] = crls
        return crls

    def fetched_crls(self):
        unique = {_digest(c): c for crls in self._used.values() for c in crls}
        return list(unique.values())

    def fetched_crls_for_cert(self, cert):
        return self._used[issuer_serial(cert)]  # KeyError: not fetched for this letter yet (pyHanko's contract)


class _KeptCertificates(CertificateFetcher):
    def __init__(self, kept: KeptValidationData, network: CertificateFetcher):
        self._kept, self._network = kept, network
        self._used: dict[bytes, object] = {}

    async def _issuers(self, key: tuple, fetched):
        async def from_network():
            return [cert async for cert in fetched()]

        for cert in await self._kept.obtain(key, from_network, lambda _, now: now + CERTIFICATE_REUSE):
            self._used[_digest(cert)] = cert
            yield cert

    def fetch_cert_issuers(self, cert):
        return self._issuers(("issuers", _digest(cert)), lambda: self._network.fetch_cert_issuers(cert))

    def fetch_crl_issuers(self, certificate_list):
        return self._issuers(("crl-issuers", _digest(certificate_list)),
                             lambda: self._network.fetch_crl_issuers(certificate_list))

    def fetched_certs(self):
        return list(self._used.values())


class _KeepingBackend(FetcherBackend):
    """pyHanko's aiohttp fetchers behind the kept data; closing it closes their HTTP session."""

    def __init__(self, kept: KeptValidationData):
        self._kept = kept
        self._network = AIOHttpFetcherBackend(per_request_timeout=kept.per_request_timeout)

    def get_fetchers(self) -> Fetchers:
        network = self._network.get_fetchers()
        return Fetchers(ocsp_fetcher=_KeptOcsp(self._kept, network.ocsp_fetcher),
                        crl_fetcher=_KeptCrls(self._kept, network.crl_fetcher),
                        cert_fetcher=_KeptCertificates(self._kept, network.cert_fetcher))

    async def close(self):
        await self._network.close()
