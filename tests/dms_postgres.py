"""A real PostgreSQL (Debian's ``postgresql`` package) for the outbox tests, on 127.0.0.1: a throwaway
cluster made with initdb in a temporary folder (as the ``postgres`` user when the tests run as root,
since PostgreSQL refuses to run as root), trust authentication, stopped at the end."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path


def binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    def __init__(self, directory: Path):
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed: run `sh .ci/bootstrap test`")
        self.directory = directory
        self.data = directory / "data"
        self.port = _free_port()
        self.user = "naskah"
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        command = list(args)
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, **kwargs)

    def start(self) -> "PostgresServer":
        self.directory.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            postgres = pwd.getpwnam("postgres")
            for path in (self.directory, *self.directory.parents):
                if str(path) in ("/", "/tmp"):
                    break
                os.chmod(path, os.stat(path).st_mode | 0o011)  # let postgres reach its folder
            shutil.chown(self.directory, postgres.pw_uid, postgres.pw_gid)
        result = self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", self.user,
                           "-E", "UTF8", "--no-sync", timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr[-1500:]}")
        result = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.directory / "postgres.log"),
                           "-w", "-t", "60", "-o", f"-h 127.0.0.1 -p {self.port} -k {self.directory} -F", "start",
                           timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr[-1500:]}")
        return self

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)

    def new_database(self) -> str:
        """A fresh database; returns its URL."""
        import psycopg

        name = "outbox_" + uuid.uuid4().hex[:10]
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"


def wait_for(predicate, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False
