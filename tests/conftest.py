"""Shared fixtures: a private naskah installation per test session (its own data folder, demo key and
store), the sample payloads, and a real PostgreSQL beside SQLite for the SQL the outbox, the numbering
register and the lifecycle share; a real S3 server (SeaweedFS) for the store's bucket.

The helpers that are not tests live in tests/support, put on ``sys.path`` here so that they import by plain
name (``from checks import pdfsig``); the fixture plugins among them are named in ``pytest_plugins``. Tests are
in tests/unit (one module per package module) and tests/scenarios (end to end); pytest imports each test module
by its file name, so no two test files may share one."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

from naskah.config import load_settings  # noqa: E402
from naskah.i18n import language, set_language  # noqa: E402
from naskah.pipeline import Naskah  # noqa: E402

from samples import load_sample  # noqa: E402

# the signing tests' fixtures (PDF/A letters, the certomancer test PKI served on 127.0.0.1, demo-signed
# letters) and the delivery tests' (the host DMS on 127.0.0.1)
pytest_plugins = ("pki_fixtures", "dms_support")


# The tests written before naskah spoke Indonesian read its messages in English: the installation's language
# (settings, the CLI and service processes the tests start) and the language of the moment. Tests of the
# Indonesian messages ask for them (tests/unit/test_i18n.py, tests/unit/test_messages.py).
os.environ["NASKAH_LANGUAGE"] = "en"
set_language("en")


@pytest.fixture(autouse=True)
def english_by_default():
    """Each test starts in English, whatever the one before it set."""
    with language("en"):
        yield


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
    return load_sample


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster on 127.0.0.1 for the whole session; each test takes a fresh database."""
    from dms_postgres import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seaweed():
    """A real S3 server (SeaweedFS) on 127.0.0.1 for the whole session; each test uses a bucket or prefix of its own."""
    from s3_seaweedfs import SeaweedServer

    server = SeaweedServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path) -> str:
    """Where a test keeps its state: a SQLite file, and the same code on a fresh database of a real PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "state" / "naskah.sqlite")
    from naskah.database import close_pool

    database = request.getfixturevalue("postgres").new_database()
    request.addfinalizer(lambda: close_pool(database))  # this process's connections to it, kept by its pool
    return database
