"""The cluster's real parts for the tests: a Redis server (Debian ``redis-server``) on 127.0.0.1 with no
persistence, and ``naskah worker`` processes reading the same configuration file as a ``ServiceProcess``.
Each process runs in a session of its own, so a test can SIGKILL a worker with its LibreOffice children.
No tests here."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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

    def stop(self) -> None:
        try:
            if self.process is not None and self.process.poll() is None:
                self.process.terminate()
                self.process.wait(20)
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


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
        self.process = subprocess.Popen(
            [sys.executable, "-m", "naskah.cli", "--config", str(self.service.config), "-v", *self.command],
            stdout=log, stderr=subprocess.STDOUT, env=self.service.env, start_new_session=True)
        log.close()
        return self

    def wait_ready(self, timeout: float = 120) -> "WorkerProcess":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited with {self.process.returncode}:\n{self.log}")
            if " ready." in self.log:
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
