"""Per-client limits of the verification page (naskah.service.throttle): a minute's worth at once, then a steady
refill, a 429 with Retry-After past it; memory bounded whatever the number of clients; a client is its address
(an IPv6 one by its /64), or behind a trusted reverse proxy the address it forwards. Shared counters (several API
instances): a window of a minute per client in a table, on a real PostgreSQL (and SQLite, the same SQL), ended
windows purged."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from naskah.config import ServiceOptions
from naskah.database import Database
from naskah.service.errors import ApiError
from naskah.service.throttle import PageThrottle, RateLimit, SharedRateLimit


def _request(peer: str, forwarded: str | None = None):
    return SimpleNamespace(client=SimpleNamespace(host=peer),
                           headers={"x-forwarded-for": forwarded} if forwarded is not None else {})


def test_a_client_gets_a_minute_s_worth_at_once_then_one_as_each_refills():
    limit = RateLimit(6)
    assert [limit.wait("a", now=100.0) for _ in range(6)] == [0.0] * 6
    assert limit.wait("a", now=100.0) == pytest.approx(10.0), "6 a minute: one every 10 s"
    assert limit.wait("b", now=100.0) == 0.0, "another client has its own"
    assert limit.wait("a", now=105.0) == pytest.approx(5.0)
    assert limit.wait("a", now=110.0) == 0.0 and limit.wait("a", now=110.0) > 0
    assert RateLimit(0).wait("a") == 0.0, "0: no limit"


def test_memory_stays_bounded_whatever_the_number_of_clients():
    limit = RateLimit(1, max_clients=100)
    for number in range(10000):
        limit.wait(f"10.0.{number // 256}.{number % 256}", now=1.0)
    assert len(limit._buckets) == 100  # noqa: SLF001 - the point of the test
    assert limit.wait("10.0.39.15", now=1.0) > 0, "the most recently seen are kept"


def test_past_the_limit_the_page_answers_429_with_retry_after():
    throttle = PageThrottle(ServiceOptions(page_views_per_minute=2, uploads_per_minute=1))
    assert not throttle.shared
    asyncio.run(throttle.view(_request("192.0.2.1")))
    asyncio.run(throttle.view(_request("192.0.2.1")))
    with pytest.raises(ApiError) as refused:
        asyncio.run(throttle.view(_request("192.0.2.1")))
    assert refused.value.status == 429 and refused.value.code == "too_many_requests"
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 30
    asyncio.run(throttle.upload(_request("192.0.2.1")))  # uploads are counted apart
    with pytest.raises(ApiError):
        asyncio.run(throttle.upload(_request("192.0.2.1")))


def test_shared_counters_allow_a_minute_s_worth_in_each_client_s_window(location):
    database = Database(location)
    first, second = SharedRateLimit(database, "view", 3), SharedRateLimit(database, "view", 3)  # two instances
    assert [limit.wait("a", now=1000.0) for limit in (first, second, first)] == [0.0] * 3
    assert second.wait("a", now=1010.0) == pytest.approx(50.0), "the 4th in a's minute: wait until it ends"
    assert first.wait("a", now=1059.5) == pytest.approx(0.5), "refused ones do not move the window"
    assert first.wait("b", now=1010.0) == 0.0, "another client has its own window"
    assert SharedRateLimit(database, "upload", 3).wait("a", now=1010.0) == 0.0, "uploads are counted apart"
    assert [second.wait("a", now=1060.0 + n) for n in range(3)] == [0.0] * 3, "a new window at a's next request"
    assert first.wait("a", now=1063.0) == pytest.approx(57.0)
    assert SharedRateLimit(database, "view", 0).wait("a", now=1063.0) == 0.0, "0: no limit"


def test_shared_counters_purge_the_windows_that_ended(location):
    database = Database(location)
    limit = SharedRateLimit(database, "view", 5)
    for number in range(20):
        limit.wait(f"10.0.0.{number}", now=2000.0 + number)
    assert limit.purge(now=2070.0) == 11, "the windows opened up to 2010 have ended at 2070"
    with database.transaction(write=False) as db:
        assert db.rows("SELECT count(*) FROM rate_limits")[0][0] == 9
    limit.wait("10.0.0.19", now=2500.0)  # a request long after: the purge runs with it
    with database.transaction(write=False) as db:
        assert db.rows("SELECT client FROM rate_limits") == [("10.0.0.19",)]


def test_shared_counters_let_requests_through_when_the_database_is_away(postgres, caplog):
    location = postgres.new_database()
    limit = SharedRateLimit(Database(location), "view", 1)
    assert limit.wait("a") == 0.0 and limit.wait("a") > 0
    away = SharedRateLimit(Database(location.rsplit("/", 1)[0] + "/no_such_database"), "view", 0)
    away.capacity = 1  # a database that cannot be opened: counted nowhere
    assert [away.wait("a") for _ in range(3)] == [0.0] * 3
    assert "rate limits not enforced" in caplog.text


def test_a_client_is_its_address_or_what_a_trusted_proxy_forwards():
    direct = PageThrottle(ServiceOptions())
    assert direct.client_of(_request("192.0.2.1", "203.0.113.9")) == "192.0.2.1", "no trusted proxy: not believed"
    assert direct.client_of(_request("2001:db8:1:2:3:4:5:6")) == direct.client_of(_request("2001:db8:1:2::9"))
    assert direct.client_of(_request("2001:db8:1:2::9")) == "2001:db8:1:2::/64"
    assert direct.client_of(_request("2001:db8:1:3::9")) != direct.client_of(_request("2001:db8:1:2::9"))

    proxied = PageThrottle(ServiceOptions(trusted_proxies=["127.0.0.1", "10.0.0.0/8"]))
    assert proxied.client_of(_request("127.0.0.1", "203.0.113.9")) == "203.0.113.9"
    # the client's own X-Forwarded-For comes first and is not believed: the last address a trusted proxy added
    assert proxied.client_of(_request("127.0.0.1", "198.51.100.1, 203.0.113.9, 10.1.2.3")) == "203.0.113.9"
    assert proxied.client_of(_request("127.0.0.1")) == "127.0.0.1"
    assert proxied.client_of(_request("192.0.2.1", "203.0.113.9")) == "192.0.2.1", "from an untrusted peer"


def test_trusted_proxies_must_be_addresses():
    with pytest.raises(ValueError, match="not an IP address"):
        ServiceOptions(trusted_proxies=["proxy.example"])
