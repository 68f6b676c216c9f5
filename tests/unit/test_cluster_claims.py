"""A job's lock in cluster mode (naskah.cluster.claims), on SQLite and a real PostgreSQL: one holder at a time,
let go when the holder's block ends or its process is SIGKILLed; and the worker's use of it: a job left running
by a dead worker is queued again, one a live worker runs is not."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from naskah.cluster.claims import JobClaims
from naskah.config import load_settings
from naskah.service.jobs import JobStore


def test_one_holder_at_a_time_until_its_block_ends(location):
    claims, other = JobClaims(location), JobClaims(location)  # two processes' view of the same database
    with claims.hold("job-a") as first:
        with other.hold("job-a") as second, other.hold("job-b") as unrelated:
            assert (first, second, unrelated) == (True, False, True)
    with other.hold("job-a") as again:
        assert again


def test_a_killed_holder_lets_go(location):
    script = ("import sys, time; from naskah.cluster.claims import JobClaims\n"
              "with JobClaims(sys.argv[1]).hold('job-k') as held:\n"
              "    print(held, flush=True); time.sleep(600)\n")
    holder = subprocess.Popen([sys.executable, "-c", script, location], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "True"
        with JobClaims(location).hold("job-k") as held:
            assert not held, "the other process holds it"
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    deadline = time.monotonic() + 10
    while True:  # PostgreSQL ends the dead client's session as soon as it sees the connection closed
        with JobClaims(location).hold("job-k") as held:
            if held or time.monotonic() > deadline:
                break
        time.sleep(0.05)
    assert held


def test_a_job_left_running_by_a_dead_worker_is_queued_again(location, tmp_path, data_dir):
    from naskah.cluster.worker import Worker

    settings = load_settings(None, data_dir=data_dir, store_dir=tmp_path / "store",
                             cluster={"broker_url": "redis://127.0.0.1:9/0", "database": location})
    worker = Worker(settings, "w-test")
    jobs = JobStore(location)
    orphan, busy, waiting = (jobs.create("eoffice", {"n": n}, None, None).job_id for n in range(3))
    jobs.set_running(orphan)
    jobs.set_running(busy)
    with JobClaims(location).hold(busy) as held:  # a live worker runs this one
        assert held
        assert worker.queue_orphans() == [orphan]
    assert [jobs.get(job).state for job in (orphan, busy, waiting)] == ["queued", "running", "queued"]
    assert jobs.due_for_queue(older_than=3600) == [orphan], "handed to the broker at the next round"


def test_a_pooled_lock_is_let_go_however_its_block_ends(postgres):
    """The lock's connection goes back to the process's pool: it must not still hold the lock there (a session may
    take its own lock again, so its next borrower would think it holds a lock another worker holds)."""
    import psycopg

    from naskah.cluster.claims import _lock_key
    from naskah.database import close_pool

    location = postgres.new_database()
    claims = JobClaims(location)
    try:
        with claims.hold("job-ok") as held:
            assert held
        with pytest.raises(RuntimeError):
            with claims.hold("job-raises") as held:
                assert held
                raise RuntimeError("the letter failed")
        with psycopg.connect(location, autocommit=True) as other:  # another session: another worker
            for item in ("job-ok", "job-raises"):
                key = _lock_key("job", item)
                assert other.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0], item
                other.execute("SELECT pg_advisory_unlock(%s)", (key,))
            with claims.hold("job-held") as held:  # and one the pool's connection holds is seen as held
                assert held
                key = _lock_key("job", "job-held")
                assert not other.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
    finally:
        close_pool(location)
