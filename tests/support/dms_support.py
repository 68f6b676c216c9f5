"""Helpers shared by the delivery tests: distinct letters, outbox documents, configuration files, the naskah
command; and their fixtures (a pytest plugin, named in tests/conftest.py's ``pytest_plugins``): ``host``, the
tests' own host DMS on 127.0.0.1 (dms_host.py), and ``token_env``, its token in the environment."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dms_host import HostDms
from naskah.config import load_settings
from naskah.deliver import DmsDocument, idempotency_key
from naskah.pipeline import Naskah
from samples import load_sample

TOKEN_ENV = "NASKAH_TEST_DMS_TOKEN"
#: the token the host DMS accepts
TOKEN = "host-dms-secret-token"


@pytest.fixture
def host():
    dms = HostDms(token=TOKEN).start()
    yield dms
    dms.stop()


@pytest.fixture
def token_env(monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


def letter_payload(number: int, kind: str = "surat-tugas-tim") -> dict:
    """The sample payload as a letter of its own: its own workflow id and number."""
    payload = load_sample(kind)
    payload["workflow"]["id"] = f"WF-TEST-{number:06d}"
    nomor = payload["data"]["nomor"].split("/")
    nomor[1] = f"{number % 10000:04d}"
    payload["data"]["nomor"] = "/".join(nomor)
    return payload


def outbox_document(number: int, folder: Path) -> tuple[DmsDocument, Path]:
    """A small PDF-like file in ``folder`` and the outbox document that describes it, letter ``L{number}``."""
    pdf = folder / f"letter-{number}.pdf"
    pdf.write_bytes(b"%%PDF-1.7 letter %d" % number)
    sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
    document = DmsDocument(letter_id=f"L{number}", idempotency_key=idempotency_key("WF", f"L{number}"),
                           workflow_id="WF", sha256=sha, filename=f"L{number}.pdf", document_type="Surat Tugas",
                           label=f"Letter {number}", metadata={"nomor_surat": str(number)})
    return document, pdf


def generic_options(url: str, **overrides) -> dict:
    """The generic connector configured for the tests' host DMS (dms_host.py)."""
    options = {
        "kind": "generic_rest", "name": "arsip", "url": url, "upload_path": "/documents",
        "auth": {"kind": "bearer", "token_env": TOKEN_ENV},
        "fields": {"title": "{label}", "doc_type": "{document_type}", "external_id": "{idempotency_key}",
                   "checksum": "{sha256}"},
        "metadata_json_field": "metadata", "id_path": "data.id", "url_path": "data.links.self",
        "check_path": "/me",
        "find": {"url": "/documents?external_id={idempotency_key}", "results_path": "items", "url_path": "url"},
        "connect_timeout": 2, "read_timeout": 10, "retries": 2, "backoff": 0.05, "backoff_max": 0.5,
    }
    options.update(overrides)
    return options


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


def write_config(path: Path, **settings) -> Path:
    """A TOML configuration file: top-level settings, and dms as a table."""
    dms = settings.pop("dms", None)
    lines = [f"{key} = {_toml_value(value)}" for key, value in settings.items()]
    if dms:
        lines.append("[dms]")
        lines += [f"{json.dumps(key)} = {_toml_value(value)}" for key, value in dms.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def naskah_for(data_dir, tmp_path, dms: dict) -> Naskah:
    return Naskah(load_settings(None, data_dir=data_dir, store_dir=tmp_path / "store", dms=dms,
                                verification_base_url="https://naskah.example.go.id/v"))


def config_for(tmp_path, data_dir, dms: dict):
    return write_config(tmp_path / "naskah.toml", data_dir=str(data_dir), store_dir=str(tmp_path / "store"),
                        verification_base_url="https://naskah.example.go.id/v", dms=dms)


def naskah_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "naskah.cli", *args]


def run_naskah(*args: str, token: str | None, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(naskah_command(*args), capture_output=True, text=True, env=naskah_env(token),
                          timeout=timeout)


def naskah_env(token: str | None) -> dict:
    # the installation is the configuration file's alone, but for the language the tests read (tests/conftest.py)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("NASKAH_") or key == "NASKAH_LANGUAGE"}
    if token is not None:
        env[TOKEN_ENV] = token
    return env
