#!/usr/bin/env python3
"""Issue N letters two ways in one run and compare: the straightforward way (template loaded, soffice
started and signing key loaded for every letter, one letter after another) against naskah's (templates
and keys loaded once, warm LibreOffice pool, letters in parallel).

    .venv/bin/python bench/bench_issue.py -n 200          # the issue's batch target
    .venv/bin/python bench/bench_issue.py -n 20 --baseline 5

Prints per-stage times, throughput, the ratio, single-letter warm latency, peak memory and the CPU
time per letter of conversion and signing (the floor a batch can approach on this machine).
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import psutil

from support import payloads, tree_cpu_seconds  # noqa: E402  (sets sys.path)

from naskah import render as render_module  # noqa: E402
from naskah.batch import issue_batch  # noqa: E402
from naskah.config import load_settings  # noqa: E402
from naskah.convert import LibreOfficePool  # noqa: E402
from naskah.pipeline import Naskah  # noqa: E402


def forget_loaded_keys() -> None:
    """Empty the signing stage's in-process key cache, so the next letter loads its key again."""
    import importlib

    keys = importlib.import_module("naskah.sign.backends.keys")
    keys._signers.clear()


STAGES = ("render", "convert", "sign", "store")


def straightforward(settings, letters: list[dict]) -> tuple[float, Naskah]:
    naskah = Naskah(settings)
    started = time.perf_counter()
    for payload in letters:
        render_module._template_bytes.cache_clear()  # template read and parsed again
        forget_loaded_keys()  # key loaded again
        naskah.issue(payload)  # soffice started for the conversion
    return time.perf_counter() - started, naskah


def print_stages(title: str, naskah: Naskah, letters: int, wall: float) -> None:
    timings = naskah.timings
    cells = "  ".join(f"{stage} {1000 * timings.seconds.get(stage, 0) / max(1, letters):7.1f}" for stage in STAGES)
    print(f"{title:<26} {cells}  | {wall / letters * 1000:7.1f} ms/letter wall, {letters / wall:6.2f} letters/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="letters in the batch (default 20)")
    parser.add_argument("--baseline", type=int, default=None, help="letters done the straightforward way "
                        "(default: min(n, 10); its throughput is per letter, so fewer suffice)")
    parser.add_argument("--single", type=int, default=15, help="letters issued one at a time, warm")
    parser.add_argument("--pool", type=int, default=os.cpu_count(), help="warm LibreOffice processes")
    args = parser.parse_args()
    baseline_count = args.baseline or min(args.n, 10)
    me = psutil.Process()

    with tempfile.TemporaryDirectory(prefix="naskah-bench-") as work:
        work = Path(work)
        settings = load_settings(None, data_dir=work / "data", store_dir=work / "store-base")
        Naskah(settings).issue(payloads(1, "warmup")[0])  # demo key, LibreOffice profile: not measured

        base_wall, base = straightforward(settings, payloads(baseline_count, "base"))

        with LibreOfficePool(data_dir=settings.data_dir, size=args.pool) as pool:
            warm = Naskah(settings.model_copy(update={"store_dir": work / "store-single"}), pool=pool)
            latencies = []
            for payload in payloads(args.single, "single"):
                started = time.perf_counter()
                warm.issue(payload)
                latencies.append(time.perf_counter() - started)

            batch = Naskah(settings.model_copy(update={"store_dir": work / "store-batch"}), pool=pool)
            cpu_start = tree_cpu_seconds(me)
            items = [(f"letter {i}", p) for i, p in enumerate(payloads(args.n, "batch"))]
            result = issue_batch(batch, items, workers=args.pool + 1)
            cpu_batch = tree_cpu_seconds(me) - cpu_start
            assert result.ok, [str(f) for f in result.failures]

        peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    print(f"naskah benchmark: team Surat Tugas (2 pages, 5 members), {os.cpu_count()} cores, pool {args.pool}")
    print(f"{'':26} {'per-stage ms/letter (summed over threads)':<60}")
    print_stages(f"straightforward x{baseline_count}", base, baseline_count, base_wall)
    print_stages(f"naskah one at a time x{args.single}", warm, args.single, sum(latencies))
    print_stages(f"naskah batch x{args.n}", batch, args.n, result.seconds)
    print(f"single letter warm, end to end: median {statistics.median(latencies) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms")
    ratio = (args.n / result.seconds) / (baseline_count / base_wall)
    print(f"batch throughput ratio naskah / straightforward: {ratio:.1f}x")
    cpu_per_letter = cpu_batch / args.n
    floor = cpu_per_letter / (os.cpu_count() or 1)
    print(f"CPU per letter in the batch (convert + sign + the rest): {cpu_per_letter * 1000:.0f} ms; with "
          f"{os.cpu_count()} cores the floor is {floor * 1000:.0f} ms/letter wall, the batch took "
          f"{result.seconds / args.n * 1000:.0f} ms/letter ({floor / (result.seconds / args.n) * 100:.0f}% of the floor)")
    print(f"peak memory: naskah process {peak_self:.0f} MiB, largest child process {peak_children:.0f} MiB")


if __name__ == "__main__":
    main()
