#!/usr/bin/env python3
"""Cluster mode: one worker pinned to one core against two workers pinned to one core each, issuing the same
kind of letters (team Surat Tugas) in one run: letters per second of each and their ratio (target >= 1.8x).

    .venv/bin/python bench/bench_cluster.py                 # 2 rounds of 60 letters each way
    .venv/bin/python bench/bench_cluster.py -n 100 --rounds 3 --concurrency 2

The real parts of the cluster tests, started here on 127.0.0.1 (tests/support): Redis as the broker,
PostgreSQL for the jobs, the replay memory and the store's index, SeaweedFS as the bucket, one ``naskah serve``
in cluster mode as the API, and ``naskah worker`` processes (each with its own warm LibreOffice pool of
``pool_size = 1``), each pinned with ``taskset`` to a core of its own, its LibreOffice processes with it. The
letters are posted asynchronously through the API (``mode=async``), from the first request until the jobs
table says the last one is done; each worker first issues a few letters that are not counted. One worker and two
workers are measured in turn, ``--rounds`` times, and the ratio is of the median rates: a virtual machine's
speed drifts between one minute and the next (a worker's CPU per letter was 250 ms in one measure and 300 ms
in the next), and alternating keeps that drift out of the ratio.

Two workers can only be twice one worker when each has a core to itself: on a 2-core machine the API, Redis,
PostgreSQL, SeaweedFS and this script share the workers' two cores (with one worker they have the other core
to themselves), so the ratio measured here is a floor; it needs two otherwise idle cores to show the scaling.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from support import (Run, machine_busy_seconds, machine_line, others_line, payloads, ratio_line,  # noqa: E402
                     tree_cpu_seconds)

import psutil  # noqa: E402
import psycopg  # noqa: E402
from cluster_support import RedisServer, WorkerProcess  # noqa: E402
from dms_postgres import PostgresServer  # noqa: E402
from s3_seaweedfs import SeaweedServer  # noqa: E402
from service_support import ServiceProcess  # noqa: E402

TARGET = 1.8
BUCKET = "naskah-bench"


def pin(pid: int, core: int) -> None:
    """Pin every thread of process ``pid`` to ``core`` (threads and children made later inherit it)."""
    subprocess.run(["taskset", "-a", "-p", "-c", str(core), str(pid)], check=True, capture_output=True)


def start_worker(service: ServiceProcess, name: str, core: int, concurrency: int) -> WorkerProcess:
    worker = WorkerProcess(service, name, concurrency=concurrency).start()
    pin(worker.process.pid, core)  # before its interpreter has even imported naskah: all it starts inherits it
    return worker


def pinned_tree(worker: WorkerProcess, core: int) -> int:
    """Pin the worker's process tree again (nothing may escape its core) and count its processes."""
    tree = [psutil.Process(worker.process.pid), *psutil.Process(worker.process.pid).children(recursive=True)]
    for process in tree:
        pin(process.pid, core)
        if process.cpu_affinity() != [core]:
            raise SystemExit(f"worker {worker.name}: process {process.pid} is not pinned to core {core}")
    return len(tree)


def wait_done(database: str, job_ids: list[str], timeout: float = 1800) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(database, autocommit=True) as connection:
        while time.monotonic() < deadline:
            rows = connection.execute("SELECT state, count(*) FROM jobs WHERE job_id = ANY(%s) AND state IN "
                                      "('done', 'failed') GROUP BY state", (job_ids,)).fetchall()
            finished = dict(rows)
            if finished.get("failed"):
                raise SystemExit(f"{finished['failed']} letters failed; see the workers' logs")
            if finished.get("done", 0) == len(job_ids):
                issued = connection.execute("SELECT count(*) FROM jobs WHERE job_id = ANY(%s) AND http_status = 201",
                                            (job_ids,)).fetchone()[0]
                if issued != len(job_ids):  # 200: a letter already in the store, returned without work
                    raise SystemExit(f"only {issued} of {len(job_ids)} letters were issued anew")
                return
            time.sleep(0.1)
    raise SystemExit(f"the letters were not all issued within {timeout} s")


def issue(service: ServiceProcess, database: str, letters: list[dict], label: str) -> Run:
    """Post the letters asynchronously (4 hosts at once) and wait until the jobs table says all are done."""
    def post(payload: dict) -> str:
        answer = service.issue(payload, mode="async")
        if answer.status_code != 202:
            raise SystemExit(f"the API refused a letter: {answer.status_code} {answer.text[:300]}")
        return answer.json()["job_id"]

    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        job_ids = list(pool.map(post, letters))
    wait_done(database, job_ids)
    return Run(label, len(letters), time.perf_counter() - started)


def measure(service: ServiceProcess, database: str, postgres: PostgresServer, cores: list[int], letters: int,
            concurrency: int, round_: int) -> Run:
    workers = [start_worker(service, f"bench{len(cores)}-{core}", core, concurrency) for core in cores]
    try:
        processes = 0
        for worker, core in zip(workers, cores):
            worker.wait_ready()
            processes += pinned_tree(worker, core)
        issue(service, database, payloads(3 * len(cores), f"warm{len(cores)}r{round_}"), "warm-up")
        trees = [psutil.Process(worker.process.pid) for worker in workers]
        # this script's tree holds the API, the workers, Redis and SeaweedFS; pg_ctl's PostgreSQL is a daemon
        own = [psutil.Process(), psutil.Process(int((postgres.data / "postmaster.pid").read_text().split()[0]))]
        before = (sum(map(tree_cpu_seconds, trees)), sum(map(tree_cpu_seconds, own)), machine_busy_seconds())
        run = issue(service, database, payloads(letters, f"w{len(cores)}r{round_}"),
                    f"{len(cores)} worker{'s' if len(cores) > 1 else ''} on core{'s' if len(cores) > 1 else ''} "
                    f"{', '.join(map(str, cores))}")
        used_workers = sum(map(tree_cpu_seconds, trees)) - before[0]
        used_own = sum(map(tree_cpu_seconds, own)) - before[1]
        rest = 1000 * (used_own - used_workers) / letters
        run.note = (f"[{processes} processes pinned]\n    [CPU ms/letter: workers {1000 * used_workers / letters:.0f}, "
                    f"the API, Redis, PostgreSQL, SeaweedFS and the clients {rest:.0f}; "
                    f"{others_line(machine_busy_seconds() - before[2], used_own, run.seconds)}]")
        return run
    finally:
        for worker in workers:
            worker.stop()
            worker.kill_orphans()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=60, help="letters per measure (default 60)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of both, alternating; the ratio is of the "
                        "median rates (default 2)")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="letters each worker issues at once (default 1, its pool size)")
    args = parser.parse_args()
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("this benchmark needs at least 2 cores")

    print(f"naskah benchmark: cluster mode, 1 worker on 1 core against 2 workers on 1 core each, "
          f"team Surat Tugas x{args.n}, {args.rounds} rounds")
    print(machine_line())
    redis, postgres, seaweed = RedisServer(), PostgresServer(), SeaweedServer()
    try:
        redis.start(), postgres.start(), seaweed.start()
        database = postgres.new_database()
        cluster = f'[cluster]\nbroker_url = "{redis.url}"\ndatabase = "{database}"\npoll_interval = 0.1\n'
        with tempfile.TemporaryDirectory(prefix="naskah-bench-cluster-") as work:
            service = ServiceProcess(Path(work) / "api", Path(work) / "data", pool_size=1,
                                     extra_toml=seaweed.store_toml(BUCKET, index=database) + cluster,
                                     extra_env=seaweed.environment()).start()
            ones, twos = [], []
            try:
                for round_ in range(args.rounds):  # every letter of every measure a new one (never reused)
                    ones.append(measure(service, database, postgres, [0], args.n, args.concurrency, round_))
                    print(ones[-1].line(), flush=True)
                    twos.append(measure(service, database, postgres, [0, 1], args.n, args.concurrency, round_))
                    print(twos[-1].line(), flush=True)
            finally:
                service.stop()
    finally:
        seaweed.stop(), postgres.stop(), redis.stop()
    ratio = statistics.median(run.rate for run in twos) / statistics.median(run.rate for run in ones)
    print(ratio_line("2 workers / 1 worker, median letters per second", ratio, TARGET, unit="x"))
    print("On this machine the API, Redis, PostgreSQL, SeaweedFS and this script share the two cores with the two "
          "workers; with one worker they have a core of their own. The ratio needs two otherwise idle cores.")


if __name__ == "__main__":
    main()
