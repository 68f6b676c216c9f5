"""A real Mayan EDMS 4.x (``mayan-edms`` from PyPI) for the delivery tests, on 127.0.0.1.

Mayan pins its own versions of Django, requests, pypdf and more, so it lives in a venv of its own,
``.venv-mayan`` beside ``.venv`` (``sh .ci/bootstrap test`` makes it; so does the first test session that
needs it). ``common_initial_setup`` migrates a database once into a template (``.venv-mayan/naskah-template``,
about a minute); each test session copies the template after deleting the ``config.yml`` files it wrote
(they pin absolute paths) and starts gunicorn on it with ``tests/support/dms_mayan_settings.py`` (tasks run
eagerly). OCR, parsing and file-metadata extraction are switched off: the letters need none of them.

Run as a script to prepare the venv and the template ahead of time: ``python tests/support/dms_mayan.py prepare``.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from naskah.ports import free_loopback_port
from processes import wait_until_serving

ROOT = Path(__file__).resolve().parents[2]  # the checkout: tests/support/ is two folders down
TESTS = Path(__file__).resolve().parent
VENV = Path(os.environ.get("NASKAH_TEST_MAYAN_VENV") or ROOT / ".venv-mayan")
MAYAN_VERSION = "4.12.2"
TEMPLATE = VENV / "naskah-template"
ADMIN = "admin"
ADMIN_PASSWORD = "naskah-test-admin"  # a throwaway instance on 127.0.0.1, made and deleted by the tests

_QUIET = {
    "MAYAN_OCR_AUTO_OCR": "false",
    "MAYAN_DOCUMENT_PARSING_AUTO_PARSING": "false",
    "MAYAN_FILE_METADATA_AUTO_PROCESS": "false",
    "MAYAN_AUTOADMIN_USERNAME": ADMIN,
    "MAYAN_AUTOADMIN_PASSWORD": ADMIN_PASSWORD,
    "PYTHONWARNINGS": "ignore",
}


def _env(media: Path, **extra) -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("MAYAN_", "DJANGO_", "NASKAH_", "VIRTUAL_ENV"))}
    env.update(_QUIET, MAYAN_MEDIA_ROOT=str(media), **extra)
    return env


def ensure_venv() -> Path:
    """The Mayan venv, made with Debian's python3 and pip when missing."""
    python = VENV / "bin" / "python"
    if (VENV / "bin" / "mayan-edms.py").exists():
        return python
    subprocess.run(["/usr/bin/python3", "-m", "venv", str(VENV)], check=True)
    result = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                             f"mayan-edms=={MAYAN_VERSION}"], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"pip install mayan-edms=={MAYAN_VERSION} failed (run `sh .ci/bootstrap test` for the "
                           f"Debian build dependencies):\n{result.stderr[-2000:]}")
    return python


def ensure_template() -> Path:
    """A migrated Mayan media folder with an administrator, made once per venv."""
    ensure_venv()
    if (TEMPLATE / "db.sqlite3").exists():
        return TEMPLATE
    building = VENV / f"naskah-template.{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    result = subprocess.run([str(VENV / "bin" / "mayan-edms.py"), "common_initial_setup", "--no-dependencies"],
                            env=_env(building), capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"Mayan's initial setup failed:\n{result.stdout[-1500:]}\n{result.stderr[-1500:]}")
    try:
        building.rename(TEMPLATE)
    except OSError:  # another session made it meanwhile
        shutil.rmtree(building, ignore_errors=True)
    return TEMPLATE


class MayanServer:
    """One Mayan instance: its own copy of the template, gunicorn on 127.0.0.1:port."""

    def __init__(self, directory: Path, port: int | None = None):
        self.directory = directory
        self.media = directory / "media"
        self.port = port or free_loopback_port()
        self.process: subprocess.Popen | None = None
        self.token: str | None = None
        self.log = directory / "mayan.log"
        if not self.media.exists():
            shutil.copytree(ensure_template(), self.media)
            for config in self.media.rglob("config*.yml"):
                config.unlink()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> "MayanServer":
        log = open(self.log, "ab")
        # Mayan's file locks live in one file in its temporary folder, named after the secret key that every
        # copy of the template shares: a folder of its own keeps two test sessions on one machine apart.
        temporary = self.directory / "tmp"
        temporary.mkdir(exist_ok=True)
        # One request at a time: on SQLite, Mayan's eager tasks of two concurrent uploads fight over the
        # database and search-index locks and leave stubs (a production Mayan has PostgreSQL and workers).
        self.process = subprocess.Popen(
            [str(VENV / "bin" / "gunicorn"), "--no-control-socket", "-b", f"127.0.0.1:{self.port}", "-w", "1",
             "--threads", "1", "--timeout", "300", "mayan.wsgi"],
            env=_env(self.media, DJANGO_SETTINGS_MODULE="dms_mayan_settings", PYTHONPATH=str(TESTS),
                     MAYAN_STORAGE_TEMPORARY_DIRECTORY=str(temporary)),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_until_serving(self.process, lambda: self.call("GET", "/api/v4/", auth=False, timeout=10),
                           name="Mayan", timeout=timeout, log=lambda: Path(self.log).read_text(errors="replace"),
                           stop=self.stop)
        if self.token is None:
            self.token = self.call("POST", "/api/v4/auth/token/obtain/", auth=False,
                                   data={"username": ADMIN, "password": ADMIN_PASSWORD})["token"]
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None

    # -- the API, for the tests' own checks (independent of the connector under test)
    def call(self, method: str, path: str, *, auth: bool = True, data: dict | None = None, params: dict | None = None,
             timeout: float = 60):
        url = self.url + path + (("?" + urllib.parse.urlencode(params)) if params else "")
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        for attempt in range(20):  # Mayan throttles API users (20 requests a second by default)
            request = urllib.request.Request(url, data=body, method=method, headers={"Accept": "application/json"})
            if auth:
                request.add_header("Authorization", f"Token {self.token}")
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    return json.loads(response.read() or b"null")
            except urllib.error.HTTPError as error:
                if error.code != 429 or attempt == 19:
                    raise
                time.sleep(min(float(error.headers.get("Retry-After") or 1), 2))

    def all(self, path: str, **params) -> list[dict]:
        items, page = [], 1
        while page < 100:
            body = self.call("GET", path, params={"page_size": 100, "page": page, **params})
            items += body["results"]
            if not body.get("next"):
                return items
            page += 1
        return items

    def documents(self) -> list[dict]:
        return self.all("/api/v4/documents/")

    def copies_of(self, sha256: str) -> list[dict]:
        """Every document holding exactly these bytes, read from the document list (not through search);
        a document whose latest file is something else or missing has its files read one by one."""
        copies = []
        for doc in self.documents():
            latest = (doc.get("file_latest") or {}).get("checksum")
            if latest == sha256 or (latest != sha256 and any(
                    file["checksum"] == sha256 for file in self.all(f"/api/v4/documents/{doc['id']}/files/"))):
                copies.append(doc)
        return copies

    def metadata(self, document_id) -> dict[str, str]:
        return {item["metadata_type"]["name"]: item["value"]
                for item in self.all(f"/api/v4/documents/{document_id}/metadata/")}


if __name__ == "__main__":
    if sys.argv[1:] != ["prepare"]:
        sys.exit("usage: python tests/support/dms_mayan.py prepare")
    print(f"Mayan EDMS template ready: {ensure_template()}")
