"""A real PostgreSQL (Debian's ``postgresql`` package) for the outbox tests, on 127.0.0.1: a throwaway
cluster made with initdb in a temporary folder (as the ``postgres`` user when the tests run as root,
since PostgreSQL refuses to run as root), trust authentication, stopped and deleted at the end.

The folder is a ``tempfile`` folder of its own, not under pytest's: pytest makes its base folder private
(0700) again whenever another session starts, which would lock the ``postgres`` user out of its data."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from naskah.ports import free_loopback_port


def binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class PostgresServer:
    def __init__(self):
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed: run `sh .ci/bootstrap test`")
        self.directory = Path(tempfile.mkdtemp(prefix="naskah-test-postgres-"))
        self.data = self.directory / "data"
        self.port = free_loopback_port()
        self.user = "naskah"
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        command = list(args)
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, **kwargs)

    def start(self) -> "PostgresServer":
        if self._as_postgres:
            postgres = pwd.getpwnam("postgres")
            shutil.chown(self.directory, postgres.pw_uid, postgres.pw_gid)
        result = self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", self.user,
                           "-E", "UTF8", "--no-sync", timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr[-1500:]}")
        self.resume()
        return self

    def halt(self) -> None:
        """Stop the server, keeping its data (``resume`` starts it again on the same port)."""
        result = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not stop: {result.stderr[-1500:]}")

    def resume(self) -> None:
        """Start the server on its data folder (at ``start``, or again after ``halt``)."""
        result = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.directory / "postgres.log"),
                           "-w", "-t", "60", "-o", f"-h 127.0.0.1 -p {self.port} -k {self.directory} -F", "start",
                           timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr[-1500:]}")

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)
            pid_file = self.data / "postmaster.pid"
            if pid_file.exists():  # pg_ctl could not stop it: end the postmaster we started, by its pid
                pid = int(pid_file.read_text().split()[0])
                os.kill(pid, signal.SIGQUIT)
                wait_for(lambda: not _running(pid), 20)
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def new_database(self) -> str:
        """A fresh database; returns its URL."""
        import psycopg

        name = "outbox_" + uuid.uuid4().hex[:10]
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(predicate, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False
