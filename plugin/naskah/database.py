"""Our plain-SQL state on SQLite (the embedded default) or PostgreSQL (several instances), by location.

A location is a file path, ``sqlite:///path``, or ``postgresql://...``. The callers write one dialect: plain
types (TEXT, INTEGER, DOUBLE PRECISION), ``INSERT ... ON CONFLICT``, ``?`` markers (translated to psycopg's
``%s``), times computed in Python. A ``Database`` is safe to share between threads: on SQLite each transaction
opens its own connection (cheap: a file); on PostgreSQL it borrows one from the process's pool for that server
(:func:`pooled`), because a new PostgreSQL connection costs a server process and its start-up, about as much CPU
as the statements of a whole letter. A SQLite file is made 0600 in a folder made 0700, whatever the umask (the WAL and
shared-memory files follow the database file's mode), and runs in WAL mode with ``secure_delete`` on, so
deleted rows do not linger in freed pages.
"""
from __future__ import annotations

import atexit
import datetime as dt
import os
import re
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence
from urllib.parse import urlsplit, urlunsplit

from .errors import ConfigError
from .files import private_file

SQLITE, POSTGRESQL = "sqlite", "postgresql"
#: the object a schema statement makes, when it is a plain CREATE ... IF NOT EXISTS
_CREATED = re.compile(r"CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX)\s+IF\s+NOT\s+EXISTS\s+(\w+)", re.IGNORECASE)
BUSY_SECONDS = 60
_SCHEMA_LOCK = 0x6E61736B6168  # "naskah": serialises CREATE TABLE IF NOT EXISTS across PostgreSQL clients
_open = threading.local()  # the transaction each thread has open, per database: a nested one joins it
#: the most connections one process keeps to one PostgreSQL server for its transactions, and for the locks a
#: worker holds while it runs a job or posts a callback (one a run; size max_connections to processes x both in use)
POOL_MAX_CONNECTIONS = 20
POOL_MAX_LOCKS = 100
POOL_WAIT_SECONDS = 30  # how long a transaction waits for a free connection before it fails
_pools: dict[tuple[int, str, bool], Any] = {}
_pools_lock = threading.Lock()


def now_text(timespec: str = "milliseconds") -> str:
    """The current time in UTC as ISO 8601 text, the form every table stores (the outbox's to the second)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec=timespec)


def redacted(location: str) -> str:
    """A location fit for logs and messages: a PostgreSQL URL's password is replaced by ``***``."""
    parts = urlsplit(location)
    if parts.scheme.startswith("postgres") and parts.password:
        netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return location


class Database:
    """One database by location; ``purpose`` names it in errors (``"an outbox"``, ``"the numbering register"``)."""

    def __init__(self, location: str | os.PathLike, purpose: str = "naskah's state"):
        location = str(location)
        if location.startswith(("postgresql://", "postgres://")):
            try:
                import psycopg  # noqa: F401
                import psycopg_pool  # noqa: F401
            except ImportError:
                raise ConfigError(f"{purpose} on PostgreSQL needs psycopg and psycopg_pool: "
                                  "pip install -e '.[postgres]'") from None
            self.kind, self._dsn, self.path = POSTGRESQL, location, None
            self._key: tuple = (POSTGRESQL, location)
        else:
            self.kind, self._dsn = SQLITE, None
            self.path = Path(location.removeprefix("sqlite://")).absolute()
            self._key = (SQLITE, str(self.path))
        self.location = redacted(location)
        self._wal_checked = False

    def create(self, *statements: str) -> None:
        """Run schema statements (``CREATE ... IF NOT EXISTS``) once, safely when several processes start at once.

        On SQLite a schema that is all there already is only read: opening a database never waits for another
        process's write lock (a letter being stored, say)."""
        names = [match.group(1) for statement in statements if (match := _CREATED.match(statement.strip()))]
        if self.kind == SQLITE and len(names) == len(statements):
            with self.transaction(write=False) as db:
                marks = ", ".join("?" * len(names))
                present = {row[0] for row in db.rows(f"SELECT name FROM sqlite_master WHERE name IN ({marks})",
                                                     tuple(names))}
            if present == set(names):
                return
        with self.transaction() as db:
            if self.kind == POSTGRESQL:
                db.execute("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))
            for statement in statements:
                db.execute(statement)

    @contextmanager
    def transaction(self, *, write: bool = True, wait: float = POOL_WAIT_SECONDS) -> Iterator["Cursor"]:
        """A transaction that commits when the block ends and rolls back when it raises; on PostgreSQL it waits
        at most ``wait`` seconds for a connection (all lent, or the server away), then raises.

        On SQLite a writing transaction takes the database's write lock at once (``BEGIN IMMEDIATE``), so
        what it reads stays true until it commits; on PostgreSQL lock rows with ``SELECT ... FOR UPDATE``.
        A transaction opened in the same thread on the same database while this one is open joins it (one
        commit, at the end of the outer one): two stores kept in one SQLite file cannot lock each other out."""
        cursors = _open.__dict__.setdefault("cursors", {})
        if self._key in cursors:
            yield cursors[self._key]
            return
        opener = self._sqlite(write) if self.kind == SQLITE else self._postgresql(wait)
        with opener as cursor:
            cursors[self._key] = cursor
            try:
                yield cursor
            finally:
                del cursors[self._key]

    @contextmanager
    def _sqlite(self, write: bool) -> Iterator["Cursor"]:
        private_file(self.path)
        connection = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            connection.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
            connection.execute("PRAGMA secure_delete = ON")
            if not self._wal_checked:  # the journal mode is kept in the file: set it once
                connection.execute("PRAGMA journal_mode = WAL")
                self._wal_checked = True
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield Cursor(connection.cursor(), self)
            except BaseException:
                if connection.in_transaction:  # SQLite may have rolled back already (a full disk, say)
                    connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()

    @contextmanager
    def _postgresql(self, wait: float) -> Iterator["Cursor"]:
        with pooled(self._dsn).connection(timeout=wait) as connection:  # commits on success, rolls back on error
            with connection.cursor() as cursor:
                yield Cursor(cursor, self)


def pooled(dsn: str, *, locks: bool = False):
    """This process's pool of connections to the PostgreSQL server at ``dsn`` (psycopg_pool), made at first use;
    ``locks=True``: the pool of the connections that hold a lock for a whole run (:mod:`naskah.cluster.claims`),
    kept apart so that the runs holding them never leave their own transactions without a connection.

    A connection is checked before it is lent (a server restarted since is noticed, and another connection
    made), and one that broke while lent is dropped; a server that went away is tried again for 10 s at a time,
    so that the first request after it is back gets a connection; TCP keepalives and a send timeout end a
    connection to a server that vanished from the network instead of waiting on it for minutes. No statement
    is prepared on the server (a new version's ALTER TABLE would break an older instance's prepared ones).
    A process made by ``fork`` gets pools of its own."""
    key = (os.getpid(), dsn, locks)
    pool = _pools.get(key)
    if pool is not None:
        return pool
    try:
        from psycopg_pool import ConnectionPool
    except ImportError:
        raise ConfigError("naskah's state on PostgreSQL needs psycopg_pool: pip install -e '.[postgres]'") from None
    name = "naskah-locks" if locks else "naskah"  # also the application_name operators see in pg_stat_activity
    with _pools_lock:
        if key not in _pools:
            if not _pools:
                atexit.register(_close_pools)
            _pools[key] = ConnectionPool(
                dsn, min_size=0, max_size=POOL_MAX_LOCKS if locks else POOL_MAX_CONNECTIONS,
                timeout=POOL_WAIT_SECONDS, reconnect_timeout=10, num_workers=1, name=name,
                check=ConnectionPool.check_connection, open=True,
                kwargs={"connect_timeout": 10, "application_name": name, "prepare_threshold": None,
                        "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3,
                        "tcp_user_timeout": 30_000})
        return _pools[key]


def close_pool(location: str) -> None:
    """Close this process's connections to the PostgreSQL database at ``location`` (one no longer used)."""
    with _pools_lock:
        pools = [_pools.pop(key) for key in list(_pools) if key[:2] == (os.getpid(), str(location))]
    for pool in pools:
        pool.close(timeout=2)


def _close_pools() -> None:
    for dsn in {key[1] for key in _pools if key[0] == os.getpid()}:
        close_pool(dsn)
    _pools.clear()


def _forked() -> None:
    """In a child made by ``fork``: a lock held by another thread of the parent at that moment is never let go."""
    global _pools_lock
    _pools_lock = threading.Lock()


os.register_at_fork(after_in_child=_forked)


class Cursor:
    """A DB-API cursor speaking the one dialect: ``?`` markers, rows as tuples or as dicts by column name."""

    def __init__(self, cursor, database: Database):
        self._cursor = cursor
        self.kind = database.kind

    def _run(self, sql: str, parameters: Sequence[Any]) -> None:
        if self.kind == POSTGRESQL:
            sql = sql.replace("%", "%%").replace("?", "%s")
        self._cursor.execute(sql, tuple(parameters))

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""
        self._run(sql, parameters)
        return self._cursor.rowcount

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple]:
        self._run(sql, parameters)
        return list(self._cursor.fetchall())

    def records(self, sql: str, parameters: Sequence[Any] = ()) -> list[dict[str, Any]]:
        self._run(sql, parameters)
        names = [column[0] for column in self._cursor.description]
        return [dict(zip(names, row)) for row in self._cursor.fetchall()]

