"""The cluster's real parts for the tests: a Redis server (Debian ``redis-server``) on 127.0.0.1 with no
persistence, and ``naskah worker`` processes reading the same configuration file as a ``ServiceProcess``.
Each process runs in a session of its own, so a test can SIGKILL a worker with its LibreOffice children.
Also what the cluster tests share: the people of the signature flow and the letters they issue, the signing
profiles and mappings, the rows of the shared PostgreSQL, and what the host's callback endpoint answered.
No tests here."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import datetime as dt
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import yaml
from naskah.config import SOURCE_ROOT
from samples import load_sample

#: the people of the signature flow: who drafts, the two reviewers (paraf), the official who signs
STAFF = {"user_id": "u-101", "name": "Rina Wulandari", "title": "Pengadministrasi Umum"}
KASUBAG = {"user_id": "u-102", "name": "Siti Aminah, S.Sos.", "title": "Kepala Sub Bagian Umum dan Kepegawaian"}
SEKRETARIS = {"user_id": "u-103", "name": "Ir. Bambang Santoso, M.M.", "title": "Sekretaris"}
KEPALA = {"user_id": "u-104", "name": "Dr. Agus Salim, S.T., M.T.", "title": "Kepala Dinas"}

from naskah.ports import free_loopback_port
from processes import wait_until_serving


class RedisServer:
    def __init__(self):
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(self.binary).is_file():
            raise RuntimeError("redis-server is not installed: run `sh .ci/bootstrap test`")
        self.directory = Path(tempfile.mkdtemp(prefix="naskah-test-redis-"))
        self.port = free_loopback_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> "RedisServer":
        log = open(self.directory / "redis.log", "ab")
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), "--protected-mode", "yes"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_until_serving(self.process, self._pong, name="redis-server", timeout=timeout)
        return self

    def _pong(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")

    def llen(self, key: str) -> int:
        """The length of the list ``key`` (a Celery queue)."""
        import redis

        with redis.Redis.from_url(self.url, socket_timeout=5) as client:
            return client.llen(key)

    def restart(self, while_down: Callable[[], object] = lambda: None, timeout: float = 30) -> "RedisServer":
        """Stop the server (SIGTERM, as a service manager does), call ``while_down``, and start it again on the
        same port and folder: without persistence, whatever the broker held is gone."""
        self._end()
        while_down()
        return self.start(timeout)

    def _end(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)

    def stop(self) -> None:
        try:
            self._end()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def cluster_toml(redis: RedisServer, database: str, **options) -> str:
    """A ``[cluster]`` table: ``redis`` the broker, ``database`` the shared one, the API watching its jobs every
    0.1 s, and ``options`` (``requeue_after = 5``, ...)."""
    values = {"broker_url": redis.url, "database": database, "poll_interval": 0.1} | options
    return "\n[cluster]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())


def dms_toml(options: dict) -> str:
    """A ``[dms]`` table for the configuration file from connector options (dms_support.generic_options)."""
    from dms_support import _toml_value

    return "[dms]\n" + "".join(f"{json.dumps(key)} = {_toml_value(value)}\n" for key, value in options.items())


def surat_tugas(workflow_id: str, number: int, unit: str = "35.73.401") -> dict:
    """A Surat Tugas the system seals in one call, with the host's own number."""
    payload = load_sample("surat-tugas-individu")
    payload["workflow"]["id"] = workflow_id
    payload["data"]["nomor"] = f"800.1.11.1/{number:04d}/{unit}/2023"
    return payload


def permohonan(workflow_id: str) -> dict:
    """A permohonan pelibatan as the host drafts it for the signature flow: no number (the register gives it at
    signing), its two reviewers named."""
    payload = load_sample("permohonan-pelibatan-lintas-unit")
    payload["workflow"]["id"] = workflow_id
    del payload["data"]["nomor"]
    year = dt.date.today().year + 1
    payload["data"]["durasi"] = {"mulai": f"{year}-01-04", "selesai": f"{year}-04-30"}
    payload["data"]["paraf"] = [{"nama": KASUBAG["name"]}, {"nama": SEKRETARIS["name"]}]
    return payload


def pg_rows(database: str, sql: str, parameters: tuple = ()) -> list[tuple]:
    import psycopg

    with psycopg.connect(database) as connection:
        return connection.execute(sql, parameters).fetchall()


def signing_dir(work: Path, test_pki) -> Path:
    """The repository's profiles (the demo key seals the Surat Tugas) and ``pejabat``: the official's own PKCS#12
    key, its password given when they sign (a personal key: no password_env)."""
    signing = work / "signing"
    shutil.copytree(SOURCE_ROOT / "signing" / "profiles", signing / "profiles")
    pejabat = {"key": {"source": "pkcs12", "path": str(test_pki.p12("signer"))}, "level": "B-B",
               "trust_roots": [str(test_pki.cert_path("root"))]}
    (signing / "profiles" / "pejabat.yaml").write_text(yaml.safe_dump(pejabat), encoding="utf-8")
    return signing


def mappings_dir(work: Path, edits: dict[str, list[tuple[str, str]]]) -> Path:
    """The repository's mappings, with ``edits`` (``{mapping: [(text, replacement), ...]}``), each text found
    exactly once."""
    mappings = work / "mappings"
    shutil.copytree(SOURCE_ROOT / "mappings", mappings)
    for name, replacements in edits.items():
        path = mappings / f"{name}.yaml"
        text = path.read_text(encoding="utf-8")
        for old, new in replacements:
            assert text.count(old) == 1, (name, old)
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    return mappings


def signature_holds(secret: str, call: dict) -> bool:
    """Whether a call the callback receiver recorded is signed with the host's HMAC ``secret``."""
    timestamp = call["headers"]["X-Naskah-Timestamp"]
    message = f"{timestamp}\nPOST\n{call['path']}\n".encode() + call["body"]
    expected = "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, call["headers"]["X-Naskah-Signature"])


class Answers:
    """What a ``CallbackReceiver`` answered each call (503 to the first ``failures_first``, then 200), with its
    refusals switched on and off by the test: it answers one call at a time, so that each answer is known."""

    def __init__(self, receiver):
        self.receiver = receiver
        self.lock = threading.Lock()
        self.statuses: list[int] = []
        answers = self

        class OneAtATime(receiver.server.RequestHandlerClass):
            def do_POST(self):  # noqa: N802
                with answers.lock:
                    super().do_POST()
                    refused = len(receiver.calls) <= receiver.failures_first
                    answers.statuses.append(503 if refused else 200)

        receiver.server.RequestHandlerClass = OneAtATime

    def refuse(self, calls: int = 10 ** 9) -> None:
        """Refuse the next ``calls`` calls (by default every one: the endpoint is down)."""
        with self.lock:
            self.receiver.failures_first = len(self.receiver.calls) + calls

    def accept(self) -> None:
        self.refuse(0)

    def calls(self) -> list[tuple[dict, int]]:
        """Every call with the status it was answered."""
        with self.lock:
            return list(zip(self.receiver.calls, self.statuses))

    def accepted(self, header: str) -> Counter:
        """How many calls were accepted, by the value of their ``header`` (X-Naskah-Job, X-Naskah-Delivery)."""
        return Counter(call["headers"].get(header) for call, status in self.calls() if status == 200)


class WorkerProcess:
    """``naskah --config FILE worker --name NAME`` with the environment of ``service`` (a ServiceProcess);
    ``beat=True``: ``naskah beat`` instead."""

    def __init__(self, service, name: str, concurrency: int = 1, beat: bool = False):
        self.service = service
        self.name = name
        self.log_path = service.workdir / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self.command = (["beat", "--schedule", str(service.workdir / f"{name}-schedule")] if beat else
                        ["worker", "--name", f"{name}@test", "--concurrency", str(concurrency)])

    def start(self) -> "WorkerProcess":
        log = open(self.log_path, "ab")
        self._log_start = log.tell()  # the log is appended to: wait_ready reads this start's part only
        self.process = subprocess.Popen(
            [sys.executable, "-m", "naskah.cli", "--config", str(self.service.config), "-v", *self.command],
            stdout=log, stderr=subprocess.STDOUT, env=self.service.env, start_new_session=True)
        log.close()
        return self

    def supervised(self) -> "WorkerProcess":
        """Started again whenever it exits unasked, as deploy/systemd's ``Restart=always`` does.

        kombu's Redis transport can end a worker with an unrecoverable error while the broker is away (an
        AttributeError in ``restore_unacked`` when it closes the lost channel, celery/kombu#970 and #582); in
        production the service manager starts it again and nothing is lost (late acknowledgement, the job's lock,
        beat's re-queue), and this does the same here."""
        self._stopping = False

        def watch() -> None:
            while not self._stopping:
                if self.process is not None and self.process.poll() is not None and not self._stopping:
                    with open(self.log_path, "a") as log:
                        log.write(f"[test] {self.name} exited with {self.process.returncode}: started again\n")
                    self.start()
                time.sleep(0.5)

        threading.Thread(target=watch, name=f"supervise-{self.name}", daemon=True).start()
        return self

    def wait_ready(self, timeout: float = 120) -> "WorkerProcess":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited with {self.process.returncode}:\n{self.log}")
            if " ready." in self.log_since_start:
                return self
            time.sleep(0.2)
        raise RuntimeError(f"worker {self.name} was not ready within {timeout} s:\n{self.log}")

    def kill(self) -> None:
        """SIGKILL the worker and its LibreOffice processes at once: no chance to finish or acknowledge."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.kill_orphans()

    def kill_orphans(self) -> None:
        """The worker's warm LibreOffice processes (sessions of their own, found by their profile folder)."""
        import psutil

        profile = f"libreoffice-pool/{self.name}_test"
        for process in psutil.process_iter(["pid", "cmdline"]):
            if any(profile in part for part in process.info["cmdline"] or ()):
                try:
                    process.kill()
                except psutil.NoSuchProcess:
                    pass

    def stop(self) -> int | None:
        self._stopping = True
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)  # Celery's warm shutdown: finish the letter in hand
        try:
            return self.process.wait(90)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.process.returncode

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def log_since_start(self) -> str:
        """What the process started last has logged (a worker started again under its name appends)."""
        with open(self.log_path, "rb") as log:
            log.seek(self._log_start)
            return log.read().decode(errors="replace")


def stop_all(workers: list[WorkerProcess], apis: list = ()) -> None:
    """Stop the workers (their LibreOffice processes too), then the API instances."""
    for worker in workers:
        worker.stop()
        worker.kill_orphans()
    for api in apis:
        api.stop()


@contextmanager
def started_workers(service) -> Iterator[Callable[..., WorkerProcess]]:
    """``start(name, beat=False)``: a worker (or beat) of ``service``'s installation, stopped when the block ends."""
    started: list[WorkerProcess] = []

    def start(name: str, beat: bool = False) -> WorkerProcess:
        worker = WorkerProcess(service, name, beat=beat).start()
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        stop_all(started)
