#!/usr/bin/env python3
"""The service with its defaults against the CLI batch, issuing the same N letters (team Surat Tugas) on the
same machine in one run: letters per second of each and their ratio (target: the service >= 90% of the batch).

    .venv/bin/python bench/bench_service.py                 # 2 rounds of 120 letters each way, 6 clients
    .venv/bin/python bench/bench_service.py -n 60 --clients 4 --rounds 3

The batch is ``naskah issue --batch FOLDER`` as a user runs it (its own count of seconds, from its first letter
to its last: its warm LibreOffice processes are started before). The service is ``naskah serve`` with nothing
but a host and the folders configured (a warm pool sized to the cores, its default worker threads), once
``/ready`` says its pool is up; ``--clients`` hosts post the letters at the same time, each waiting for its
letter (``POST /api/v1/letters``) before sending the next, from the first request to the last answer.
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from support import Run, machine_line, payloads, quiet_environment, ratio_line  # noqa: E402  (sets sys.path)

import requests  # noqa: E402
from service_support import ServiceProcess  # noqa: E402

TARGET = 0.90
BATCH_SUMMARY = re.compile(r"(\d+) issued, (\d+) refused, in ([\d.]+) s")


def cli_batch(work: Path, data_dir: Path, letters: list[dict], label: str) -> Run:
    """``naskah issue --batch`` over a folder of the payloads; its own measure of the batch."""
    import json

    folder = work / f"batch-{label}"
    folder.mkdir()
    for number, payload in enumerate(letters):
        (folder / f"{number:05d}.json").write_text(json.dumps(payload), encoding="utf-8")
    config = work / f"batch-{label}.toml"
    config.write_text(f'data_dir = "{data_dir}"\nstore_dir = "{work / f"store-{label}"}"\n', encoding="utf-8")
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "naskah.cli", "--config", str(config), "issue", "--batch",
                             str(folder)], capture_output=True, text=True, env=quiet_environment())
    wall = time.perf_counter() - started
    summary = BATCH_SUMMARY.search(result.stderr)
    if result.returncode != 0 or summary is None or int(summary.group(1)) != len(letters):
        raise SystemExit(f"the CLI batch failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return Run("CLI batch (naskah issue --batch)", len(letters), float(summary.group(3)),
               note=f"[whole command {wall:.1f} s, with its start and its pool's]")


def wait_ready(service: ServiceProcess, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.get("/ready", timeout=10).status_code == 200:
            return
        time.sleep(0.2)
    raise SystemExit(f"naskah serve was not ready within {timeout} s:\n{service.log[-3000:]}")


def post_all(service: ServiceProcess, letters: list[dict], clients: int) -> Run:
    """``clients`` hosts posting at once, each waiting for its letter before the next."""
    queue = iter(letters)
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[str] = []

    def client() -> None:
        session = requests.Session()
        session.headers.update(service.bearer())
        while True:
            with lock:
                payload = next(queue, None)
            if payload is None:
                return
            sent = time.perf_counter()
            answer = session.post(service.url("/api/v1/letters"), json=payload, timeout=600)
            with lock:
                latencies.append(time.perf_counter() - sent)
                if answer.status_code != 201:
                    failures.append(f"{answer.status_code}: {answer.text[:300]}")

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    seconds = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} letters failed, e.g. {failures[0]}\n{service.log[-3000:]}")
    return Run(f"naskah serve, defaults, {clients} clients", len(letters), seconds, latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=120, help="letters each way (default 120)")
    parser.add_argument("--clients", type=int, default=6, help="hosts posting at once (default 6)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of both, alternating; the ratio is of the "
                        "median rates (default 2)")
    args = parser.parse_args()

    print(f"naskah benchmark: the service with its defaults against the CLI batch, team Surat Tugas x{args.n}")
    print(machine_line())
    with tempfile.TemporaryDirectory(prefix="naskah-bench-service-") as work:
        work = Path(work)
        # each its own data folder: their warm LibreOffice processes would otherwise share profile folders
        data_dir = work / "data-cli"
        cli_batch(work, data_dir, payloads(2, "warmup"), "warmup")  # the demo key, LibreOffice's profiles
        service = ServiceProcess(work / "service", work / "data-service", pool_size=None).start()
        batches, served = [], []
        try:
            wait_ready(service)
            for round_ in range(args.rounds):
                batches.append(cli_batch(work, data_dir, payloads(args.n, f"cli{round_}"), f"cli{round_}"))
                print(batches[-1].line(), flush=True)
                served.append(post_all(service, payloads(args.n, f"serve{round_}"), args.clients))
                print(served[-1].line(), flush=True)
        finally:
            service.stop()
    ratio = statistics.median(run.rate for run in served) / statistics.median(run.rate for run in batches)
    print(ratio_line("service / CLI batch, letters per second", ratio, TARGET))
    print("The batch and the service run one after the other; each starts its warm LibreOffice processes before "
          "its clock starts (the service's before /ready).")


if __name__ == "__main__":
    main()
