"""Fixtures for the signing tests (a pytest plugin, named in tests/conftest.py's ``pytest_plugins``):

* ``pdfa_letters``: PDF/A-2b letters made by LibreOffice from small DOCX files (with a ``ttd`` bookmark,
  without one, and with both ``paraf`` and ``ttd``), one soffice run per session;
* ``test_pki``: the certomancer test PKI (tests/support/pki.py), served by ``certomancer animate`` on 127.0.0.1 for
  the whole session; started on first use only, so test runs that do not sign at B-T and above never pay;
* ``pki_profile``: writes and loads a signing profile that signs with a test PKI key at a given level;
* ``signed_at_each_level``: the ``with_ttd`` letter signed once per session at each PAdES level by the test PKI;
* ``demo_settings``, ``demo_profile``, ``demo_signed``: the shipped default profile with the demo key (made in a
  data folder of the test module's own) and the ``with_ttd`` letter signed with it, once per test module.
"""
from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from naskah.config import SOURCE_ROOT, load_settings
from naskah.sign import load_profile, sign_pdf

from pki import P12_PASSWORD, LocalPki

sys.path.insert(0, str(SOURCE_ROOT / "templates" / "build"))
from docx_parts import bookmark  # noqa: E402  the templates' own bookmark, exported as a named destination

P12_ENV = "NASKAH_TEST_PKI_P12_PASSWORD"
EXPORT = "pdf:writer_pdf_Export:" + json.dumps({
    "SelectPdfVersion": {"type": "long", "value": "2"},
    "ExportBookmarksToPDFDestination": {"type": "boolean", "value": "true"},
})


def _docx(path: Path, bookmarks: tuple[str, ...]) -> None:
    from docx import Document

    doc = Document()
    doc.add_paragraph("SURAT TUGAS")
    for number in range(1, 6):
        doc.add_paragraph(f"Paragraf isi nomor {number}.")
    doc.add_paragraph("Kepala Dinas Komunikasi dan Informatika,")
    place = doc.add_paragraph()
    if "ttd" in bookmarks:
        bookmark(place, "ttd", 0)
    for _ in range(7):
        doc.add_paragraph("")
    doc.add_paragraph("Drs. Hendra Wijaya, M.Si.")
    for _ in range(3):
        doc.add_paragraph("")
    if "paraf" in bookmarks:
        bookmark(doc.add_paragraph(), "paraf", 1)
    doc.save(path)


_PROFILE_NUMBERS = itertools.count()
LETTERS = {"with_ttd": ("ttd",), "without_ttd": (), "with_paraf": ("ttd", "paraf")}
LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")

#: what the demo-signed letter says: its verification URL and signer (a.n., so the title runs over two lines)
DEMO_URL = "https://naskah.example.go.id/v/01HTESTLETTER"
DEMO_SIGNER = dict(signer_name="Drs. Hendra Wijaya, M.Si.",
                   signer_title="a.n. Kepala Dinas Komunikasi dan Informatika Kepala Bidang Aplikasi Informatika")
#: what the letters signed at each level say
LEVELS_URL = "https://naskah.example.go.id/v/01HTESTLEVELS"
LEVELS_SIGNER = dict(signer_name="Drs. Hendra Wijaya, M.Si.", signer_title="Kepala Dinas Komunikasi dan Informatika")


@pytest.fixture(scope="session")
def pdfa_letters(tmp_path_factory) -> dict[str, bytes]:
    """PDF/A-2b letters from LibreOffice (one soffice run), by name: see ``LETTERS``."""
    folder = tmp_path_factory.mktemp("letters")
    for name, bookmarks in LETTERS.items():
        _docx(folder / f"{name}.docx", bookmarks)
    profile = folder / "lo-profile"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation={profile.as_uri()}", "--convert-to", EXPORT,
                    "--outdir", str(folder), *[str(folder / f"{name}.docx") for name in LETTERS]],
                   check=True, capture_output=True, timeout=180)
    return {name: (folder / f"{name}.pdf").read_bytes() for name in LETTERS}


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory):
    """The test PKI with fresh keys, its three ``certomancer animate`` servers running on 127.0.0.1."""
    pki = LocalPki(tmp_path_factory.mktemp("test-pki")).generate()
    pki.start()
    previous = os.environ.get(P12_ENV)
    os.environ[P12_ENV] = P12_PASSWORD
    try:
        yield pki
    finally:
        pki.stop()
        if previous is None:
            os.environ.pop(P12_ENV, None)
        else:
            os.environ[P12_ENV] = previous


@pytest.fixture(scope="session")
def pki_signing_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pki-signing")
    (folder / "profiles").mkdir()
    return folder


def make_pki_profile(test_pki: LocalPki, signing_dir: Path, level: str = "B-LTA", signer: str = "signer", **fields):
    """Write a signing profile for the test PKI key ``signer`` at ``level`` into ``signing_dir`` and load it."""
    raw = {
        "key": {"source": "pkcs12", "path": str(test_pki.p12(signer)), "password_env": P12_ENV},
        "level": level,
        "trust_roots": [str(test_pki.cert_path("root"))],
    }
    if level != "B-B":
        raw["tsa"] = {"url": test_pki.tsa_url, "timeout": 10}
    raw.update(fields)
    name = f"p{next(_PROFILE_NUMBERS)}-{level}-{signer}"
    (signing_dir / "profiles").mkdir(parents=True, exist_ok=True)
    (signing_dir / "profiles" / f"{name}.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    settings = load_settings(None, signing_dir=signing_dir, data_dir=signing_dir / "data")
    return load_profile(name, settings)


@pytest.fixture
def pki_profile(test_pki, pki_signing_dir):
    """``pki_profile(level, signer="signer", **fields)``: a loaded profile signing with a test PKI key."""
    def make(level: str = "B-LTA", signer: str = "signer", **fields):
        return make_pki_profile(test_pki, pki_signing_dir, level, signer, **fields)

    return make


SOFTHSM_MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
HSM_PIN_ENV = "NASKAH_TEST_HSM_PIN"


@pytest.fixture(scope="session")
def softhsm(test_pki, tmp_path_factory):
    """Two SoftHSM2 tokens (``naskah-test`` and ``naskah-other``) holding the test PKI signer's key, its
    certificate and the intermediate CA's certificate; the user PIN is in ``$NASKAH_TEST_HSM_PIN``.

    SoftHSM2 reads ``SOFTHSM2_CONF`` when the module is first loaded in this process, so the variable is set
    here and kept for the session.
    """
    import secrets

    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    if not SOFTHSM_MODULE.is_file():
        pytest.fail("SoftHSM2 is not installed: run `sh .ci/bootstrap test` (Debian package softhsm2)")
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    pin, so_pin = secrets.token_hex(8), secrets.token_hex(8)
    key_file = folder / "signer.key.pem"
    key_file.write_bytes(test_pki.key_pem("signer"))
    labels = ("naskah-test", "naskah-other")
    for label in labels:
        for args in (["--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", so_pin],
                     ["--import", str(key_file), "--token", label, "--label", "signer", "--id", "01", "--pin", pin]):
            subprocess.run(["softhsm2-util", *args], check=True, capture_output=True, env=os.environ)
    key_file.unlink()
    library = pkcs11.lib(str(SOFTHSM_MODULE))
    for label in labels:
        with library.get_token(token_label=label).open(rw=True, user_pin=pin) as session:
            for cert_label, cert_id in (("signer", b"\x01"), ("interm", b"\x02")):
                cert = test_pki.cert(cert_label)
                session.create_object({
                    Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True, Attribute.LABEL: cert_label, Attribute.ID: cert_id,
                    Attribute.SUBJECT: cert.subject.dump(), Attribute.VALUE: cert.dump()})
    os.environ[HSM_PIN_ENV] = pin
    return {"module": SOFTHSM_MODULE, "tokens": labels, "pin": pin, "pin_env": HSM_PIN_ENV}


@pytest.fixture(scope="session")
def signed_at_each_level(pdfa_letters, test_pki, pki_signing_dir, tmp_path_factory) -> dict[str, Path]:
    """The letter signed once at each level by the test PKI's signer."""
    folder = tmp_path_factory.mktemp("levels")
    paths = {}
    for level in LEVELS:
        data = sign_pdf(pdfa_letters["with_ttd"], make_pki_profile(test_pki, pki_signing_dir, level),
                        verification_url=LEVELS_URL, location="Malang", reason="Surat Tugas", **LEVELS_SIGNER)
        paths[level] = folder / f"{level}.pdf"
        paths[level].write_bytes(data)
    return paths


@pytest.fixture(scope="module")
def demo_settings(tmp_path_factory):
    """Shipped profiles, a private data folder: the demo key is made here."""
    return load_settings(None, data_dir=tmp_path_factory.mktemp("sign-data"))


@pytest.fixture(scope="module")
def demo_profile(demo_settings):
    return load_profile("default", demo_settings)


@pytest.fixture(scope="module")
def demo_signed(pdfa_letters, demo_profile, tmp_path_factory) -> Path:
    """The ``with_ttd`` letter signed with the demo key (PAdES B-B)."""
    data = sign_pdf(pdfa_letters["with_ttd"], demo_profile, verification_url=DEMO_URL, location="Malang",
                    reason="Surat Tugas", **DEMO_SIGNER)
    path = tmp_path_factory.mktemp("signed") / "signed.pdf"
    path.write_bytes(data)
    return path
