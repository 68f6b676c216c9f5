"""naskah.database on a real PostgreSQL: each process keeps its connections in a pool (a new PostgreSQL connection
costs a server process), notices a server that restarted, and gives up within the time asked when the server is
away, so that a readiness probe or a rate limit answers at once instead of hanging."""
from __future__ import annotations

import threading
import time

import psycopg
import pytest

from naskah.database import Database, close_pool


def _backend(database: Database) -> int:
    with database.transaction(write=False) as db:
        return db.rows("SELECT pg_backend_pid()")[0][0]


def test_transactions_borrow_the_same_connection_one_after_another(postgres):
    location = postgres.new_database()
    try:
        database = Database(location, "test")
        first = _backend(database)
        assert all(_backend(database) == first for _ in range(5))
        with database.transaction() as outer:  # a transaction opened inside another joins it
            assert outer.rows("SELECT pg_backend_pid()")[0][0] == _backend(database)
    finally:
        close_pool(location)


def test_transactions_at_once_get_connections_of_their_own(postgres):
    location = postgres.new_database()
    database, seen, both_open = Database(location, "test"), [], threading.Barrier(2, timeout=20)

    def hold() -> None:
        with database.transaction(write=False) as db:
            seen.append(db.rows("SELECT pg_backend_pid()")[0][0])
            both_open.wait()

    try:
        threads = [threading.Thread(target=hold) for _ in range(2)]
        [thread.start() for thread in threads]
        [thread.join(30) for thread in threads]
        assert len(set(seen)) == 2
    finally:
        close_pool(location)


def test_a_server_away_fails_within_the_wait_and_a_restarted_one_is_used_again():
    from dms_postgres import PostgresServer

    server = PostgresServer().start()
    try:
        location = server.new_database()
        database = Database(location, "test")
        before = _backend(database)
        server.halt()
        for _ in range(6):  # away for a while: the pool keeps trying to connect, backing off
            started = time.monotonic()
            with pytest.raises(psycopg.OperationalError):
                with database.transaction(wait=2) as db:
                    db.rows("SELECT 1")
            assert time.monotonic() - started < 15
        server.resume()
        resumed = time.monotonic()
        after = _backend(database)  # the pooled connection of before is found broken and replaced
        assert after != before
        assert time.monotonic() - resumed < 15, "a server back is used again within the pool's retry of 10 s"
        with database.transaction() as db:
            db.execute("CREATE TABLE IF NOT EXISTS kept (value TEXT)")
            db.execute("INSERT INTO kept (value) VALUES (?)", ("still here",))
        with database.transaction(write=False) as db:
            assert db.rows("SELECT value FROM kept") == [("still here",)]
        close_pool(location)
    finally:
        server.stop()
