"""Who works on something right now, in a cluster: a lock per job (held by the worker process that runs it), per
callback a job still owes, and per flow event still to post (held by whoever posts it), for as long as it does,
and let go by the database itself when that process dies, however it dies.

Why: the broker may hand a job to a worker more than once (a message given back after its worker vanished, a
job handed over again after Redis lost its queue, the copy of a message whose acknowledgement was lost). A
worker runs a job only while it holds the job's lock, and looks at the job again once it holds it; so two
copies never run at once, and a copy that comes after the job finished does nothing. The same lock tells a
job that is ``running`` in the table but that nobody runs any more (its worker died, and the broker lost the
message that would have given it to another): its lock is free (:meth:`.worker.Worker.queue_orphans`). A
callback or a flow event is posted the same way, by one poster at a time, which looks again at whether it is
still owed once it holds its lock: two copies of its task, or an API instance starting while another posts it,
never post it twice.

On PostgreSQL the lock is a session advisory lock (``pg_try_advisory_lock``) on a connection the process's pool
lends for the run: the server releases it when the connection ends. On SQLite (every process on one machine) it
is an ``flock`` on a file per lock beside the database, released by the kernel when the process ends.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..database import pooled

log = logging.getLogger("naskah.cluster")


#: what can be claimed: a job (run by one worker), the callback a job owes, a flow event (posted by one poster)
JOB, CALLBACK, EVENT = "job", "callback", "event"


def _lock_key(kind: str, item_id: str) -> int:
    """The advisory lock number: 64 bits of a hash of what is claimed, as PostgreSQL's signed bigint."""
    digest = hashlib.sha256(f"naskah {kind} {item_id}".encode("ascii")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Claims:
    """The locks of one ``kind`` (:data:`JOB`, :data:`CALLBACK`, :data:`EVENT`) in the ``database`` that holds what
    they guard (a ``postgresql://`` URL, or the path of a SQLite file)."""

    def __init__(self, location: str, kind: str = JOB):
        self.location = str(location)
        self.kind = kind
        self.postgresql = self.location.startswith(("postgresql://", "postgres://"))
        if not self.postgresql:
            self.folder = Path(self.location.removeprefix("sqlite://")).absolute().parent / f"{kind}-locks"

    @contextmanager
    def hold(self, item_id: str) -> Iterator[bool]:
        """``True`` inside the block when this process now holds the lock of ``item_id`` (released when the block
        ends), ``False`` when another process (or thread) holds it."""
        holder = self._postgresql if self.postgresql else self._flock
        with holder(item_id) as held:
            yield held

    @contextmanager
    def _postgresql(self, item_id: str) -> Iterator[bool]:
        """A session lock on a connection borrowed from the process's pool of lock connections for as long as the
        block lasts. A connection is given back only once its lock is let go: one whose unlock failed, or that
        was interrupted, is closed (its end releases the lock), never lent again still holding it (a session
        may take its own advisory lock again: its next borrower would be told it holds the lock)."""
        import psycopg

        key = _lock_key(self.kind, item_id)
        with pooled(self.location, locks=True).connection() as connection:
            connection.autocommit = True
            let_go = False
            try:
                held = connection.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
                try:
                    yield held
                finally:
                    try:
                        if held:
                            connection.execute("SELECT pg_advisory_unlock(%s)", (key,))
                        let_go = True
                    except psycopg.Error:  # the connection broke, or is closed below: its end lets go
                        log.debug("%s %s: its lock goes with its connection", self.kind, item_id)
            finally:
                if let_go and not connection.closed:
                    connection.autocommit = False
                elif not connection.closed:
                    connection.close()

    @contextmanager
    def _flock(self, item_id: str) -> Iterator[bool]:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(self.folder / f"{item_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            os.close(descriptor)

    def forget(self, item_id: str) -> None:
        """Remove the lock file of something done with (SQLite); whoever still opens it finds it done."""
        if not self.postgresql:
            (self.folder / f"{item_id}.lock").unlink(missing_ok=True)


#: the jobs' locks (what a worker holds while it runs a job)
JobClaims = Claims
