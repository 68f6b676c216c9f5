"""What the benchmarks share: the sample letter (team Surat Tugas, 2 pages, 5 members) as N distinct payloads, the
tests' real servers (tests/support: ``naskah serve``, workers, Redis, PostgreSQL, SeaweedFS, the test PKI) on the
import path, how busy the machine already is, and how a measured line and a ratio are printed.

Every benchmark measures its baseline in the same run, on the same machine, right before or after the thing
compared with it, so that the ratio holds even when the machine's speed does not.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

sys.stdout.reconfigure(line_buffering=True)  # each line as soon as it is measured, also into a file

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugin"))
sys.path.insert(0, str(ROOT / "tests" / "support"))

SAMPLE = ROOT / "mappings" / "examples" / "host-eoffice" / "surat-tugas-tim.json"


def payloads(count: int, prefix: str) -> list[dict]:
    """``count`` payloads of the team Surat Tugas, each a letter of its own (workflow id and number)."""
    base = json.loads(SAMPLE.read_text(encoding="utf-8"))
    result = []
    for number in range(count):
        payload = json.loads(json.dumps(base))
        payload["workflow"]["id"] = f"BENCH-{prefix}-{number}"
        payload["data"]["nomor"] = f"800.1.11.1/{number:04d}/35.73.401/{prefix}"
        result.append(payload)
    return result


def tree_cpu_seconds(process: psutil.Process) -> float:
    """CPU seconds (user + system) of ``process`` and its living descendants, and of the children it has reaped
    (PostgreSQL's server processes of connections that ended, say)."""
    total = 0.0
    for proc in [process, *process.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.NoSuchProcess:
            pass
    return total


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since it started (all cores, all processes)."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0)


def others_line(machine_busy: float, own: float, seconds: float) -> str:
    """How many cores processes other than the benchmark's kept busy during a measure of ``seconds``, from the
    machine's busy CPU seconds and the benchmark's own over that time."""
    return f"other processes kept {max(0.0, machine_busy - own) / seconds:.2f} cores busy meanwhile"


def busy_cores(seconds: float = 2.0) -> float:
    """How many cores other processes keep busy while this benchmark does nothing (other test runs on a shared
    machine): measured over ``seconds``."""
    before = psutil.cpu_times()
    time.sleep(seconds)
    after = psutil.cpu_times()
    idle = (after.idle + getattr(after, "iowait", 0)) - (before.idle + getattr(before, "iowait", 0))
    total = sum(after) - sum(before)
    return (os.cpu_count() or 1) * max(0.0, 1 - idle / total) if total > 0 else 0.0


def machine_line() -> str:
    return (f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
            f"other processes kept {busy_cores():.2f} cores busy just before the run")


@dataclass
class Run:
    """One measured way of issuing ``letters`` letters: its wall time and, when known, each letter's latency."""

    label: str
    letters: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def rate(self) -> float:
        return self.letters / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        text = f"{self.label:<44} {self.letters:4d} letters in {self.seconds:6.1f} s = {self.rate:6.2f} letters/s"
        if self.latencies:
            ordered = sorted(self.latencies)
            p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
            text += f"  (p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms)"
        return text + (self.note if self.note.startswith("\n") else f"  {self.note}" if self.note else "")


def ratio_line(name: str, ratio: float, target: float, unit: str = "") -> str:
    verdict = "met" if ratio >= target else "NOT met"
    shown = f"{ratio:.2f}{unit}" if unit else f"{ratio * 100:.0f}%"
    wanted = f"{target:.2f}{unit}" if unit else f"{target * 100:.0f}%"
    return f"{name}: {shown} (target >= {wanted}: {verdict})"


def quiet_environment(**extra: str) -> dict:
    """This process's environment without NASKAH_* settings (each benchmark names its own), messages in English."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("NASKAH_")}
    env.update(NASKAH_LANGUAGE="en", **extra)
    return env
