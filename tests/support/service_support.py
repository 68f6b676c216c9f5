"""A real ``naskah serve`` for the service tests: a uvicorn subprocess on a free 127.0.0.1 port with its own
configuration file, store and host secrets (made for each run), and a client that signs requests like a host.

No tests here; tests/scenarios/test_service*.py import from it.
"""
from __future__ import annotations

import copy
import hashlib
import hmac
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from naskah.ports import free_loopback_port
from processes import wait_until_serving

HOST = "eoffice"


def hmac_headers(secret: str, method: str, path: str, body: bytes = b"", *, host: str = HOST,
                 timestamp: int | None = None) -> dict:
    """The headers of a signed request, computed here independently of naskah.service.auth."""
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    message = f"{timestamp}\n{method}\n{path}\n".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return {"X-Naskah-Host": host, "X-Naskah-Timestamp": timestamp, "X-Naskah-Signature": f"sha256={digest}"}


class ServiceProcess:
    """``python -m naskah.cli --config FILE serve --port PORT``, stopped with SIGTERM like a service manager.
    ``language``: the installation's (English for the tests that read its messages in English); ``extra_toml``:
    more tables for the configuration file (``[store]``, ``[cluster]``); ``top_toml``: more top-level settings
    (``state = ...``, ``mappings_dir = ...``)."""

    def __init__(self, workdir: Path, data_dir: Path, *, pool_size: int | None = 1, service_toml: str = "",
                 callback_prefix: str | None = None, signing_dir: Path | None = None, extra_env: dict | None = None,
                 language: str = "en", extra_toml: str = "", top_toml: str = ""):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_loopback_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_urlsafe(24)
        self.secret = secrets.token_urlsafe(32)
        self.store = self.workdir / "store"
        prefixes = f'callback_prefixes = ["{callback_prefix}"]' if callback_prefix else ""
        lines = [f'data_dir = "{data_dir}"', f'store_dir = "{self.store}"',
                 f'verification_base_url = "{self.base}/v"', f'language = "{language}"']
        if pool_size:
            lines.append(f"pool_size = {pool_size}")
        if signing_dir:
            lines.append(f'signing_dir = "{signing_dir}"')
        self.config = self.workdir / "naskah.toml"
        self.config.write_text("\n".join(lines) + f"""
{top_toml}
[service]
callback_backoff = 0.2
{service_toml}

[[service.hosts]]
name = "{HOST}"
token_env = "TEST_EOFFICE_TOKEN"
hmac_secret_env = "TEST_EOFFICE_HMAC"
{prefixes}

{extra_toml}
""")
        self.env = dict(os.environ, TEST_EOFFICE_TOKEN=self.token, TEST_EOFFICE_HMAC=self.secret, **(extra_env or {}))
        for name in list(self.env):
            if name.startswith("NASKAH_"):
                del self.env[name]
        self.log_path = self.workdir / "service.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> "ServiceProcess":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "naskah.cli", "--config", str(self.config), "serve", "--port", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True)
        log.close()
        wait_until_serving(self.process, lambda: requests.get(self.url("/health"), timeout=2).status_code == 200,
                           name="naskah serve", timeout=timeout, log=lambda: self.log, stop=self.stop)
        return self

    def instance(self, name: str) -> "ServiceProcess":
        """Another API instance of this installation (cluster mode): the same configuration file, secrets and
        environment, on a port of its own, logging to ``NAME.log``; not started."""
        other = copy.copy(self)
        other.port = free_loopback_port()
        other.base = f"http://127.0.0.1:{other.port}"
        other.log_path = self.workdir / f"{name}.log"
        other.process = None
        return other

    def stop(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def url(self, path: str) -> str:
        return self.base + path

    def bearer(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("headers", self.bearer())
        return requests.get(self.url(path), timeout=kwargs.pop("timeout", 120), **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("headers", self.bearer())
        return requests.post(self.url(path), timeout=kwargs.pop("timeout", 300), **kwargs)

    def issue(self, payload: dict, **params) -> requests.Response:
        return self.post("/api/v1/letters", json=payload, params=params)
