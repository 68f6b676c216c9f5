"""Shared fixtures: a private naskah installation per test session (its own data folder, demo key and
store), the sample payloads, and the independent checkers (poppler's pdftotext and pdfsig)."""
from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from naskah.config import SOURCE_ROOT, load_settings
from naskah.pipeline import Naskah

# the signing tests' fixtures: PDF/A letters, the certomancer test PKI served on 127.0.0.1
pytest_plugins = ("pki_fixtures",)

EXAMPLES = SOURCE_ROOT / "mappings" / "examples" / "host-eoffice"


def pytest_sessionstart(session):
    for tool in ("soffice", "pdftotext", "pdfsig", "pdftoppm"):
        if shutil.which(tool) is None:
            raise pytest.UsageError(f"{tool} is not installed: run `sh .ci/bootstrap test`")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """One data folder per session: the demo key and LibreOffice profiles are made once."""
    return tmp_path_factory.mktemp("naskah-data")


@pytest.fixture
def settings(data_dir, tmp_path):
    """Settings with a fresh, empty store for each test."""
    return load_settings(None, data_dir=data_dir, store_dir=tmp_path / "store",
                         verification_base_url="https://naskah.example.go.id/v")


@pytest.fixture
def naskah(settings) -> Naskah:
    return Naskah(settings)


@pytest.fixture
def sample():
    """A fresh copy of a sample payload by name, e.g. sample("surat-tugas-tim")."""
    def load(name: str) -> dict:
        return copy.deepcopy(json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8")))
    return load


def pdftotext(pdf: Path | bytes, layout: bool = False) -> str:
    """The letter's text as poppler reads it: in reading order (table cells one by one), or with
    ``layout`` as it stands on the page."""
    args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else [])
    if isinstance(pdf, bytes):
        return subprocess.run(args + ["-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return subprocess.run(args + [str(pdf), "-"], capture_output=True, check=True).stdout.decode()


def pdftotext_pages(pdf: Path, layout: bool = False) -> list[str]:
    return pdftotext(pdf, layout).split("\f")[:-1]


def flat(text: str) -> str:
    """Runs of white space as one space, so that a phrase wrapped over lines still matches."""
    return " ".join(text.split())


def pdfsig(pdf: Path) -> str:
    """pdfsig's report; it exits 0 even for a broken signature, so callers read the text."""
    result = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True)
    return result.stdout + result.stderr
