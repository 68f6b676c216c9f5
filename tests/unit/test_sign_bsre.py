"""The remote signing client (BSrE Esign Client Service v1 contract) over real HTTP against the BSrE TEST DOUBLE
(tests/support/signing_bsre_double.py), which signs with the test PKI and its TSA. The passphrase is the
credential the official gives at signing; it must never show up in a message, a log or a file. (v2, seals and
the lockout: test_sign_credentials.py.)"""
from __future__ import annotations

import io
import subprocess
import traceback

import pytest
from pypdf import PdfReader

from naskah.errors import SigningError
from naskah.sign import Credential, CredentialRefused, sign_pdf
from naskah.sign.backends.bsre import BsreClient, mask_nik
from naskah.validation import verify_pdf

from pki import P12_PASSWORD, foreign_root
from signing_bsre_double import PASSWORD_ENV, BsreTestDouble, DoubleUser

URL = "https://naskah.example.go.id/v/01HTESTBSRE"
SIGNER = dict(signer_name="Drs. Hendra Wijaya, M.Si.", signer_title="Kepala Dinas Komunikasi dan Informatika")
NIK = "3573011503850002"
NIK_EXPIRED = "3573015505900001"
NIK_UNKNOWN = "3573019999999999"
PASSPHRASE = "Rahasia-Pejabat#2026"
CONNECTOR_PASSWORD = "konektor-dinas-7788"
SIGNER = dict(SIGNER, credential=Credential(passphrase=PASSPHRASE))  # given at signing, never configured


@pytest.fixture(scope="module")
def double(test_pki):
    users = {
        NIK: DoubleUser(passphrase=PASSPHRASE, p12=test_pki.p12("signer"), p12_password=P12_PASSWORD),
        NIK_EXPIRED: DoubleUser(passphrase=PASSPHRASE, p12=test_pki.p12("signer-expired"), p12_password=P12_PASSWORD,
                                status="EXPIRED"),
    }
    with BsreTestDouble(username="naskah", password=CONNECTOR_PASSWORD, users=users,
                        tsa_url=test_pki.tsa_url) as service:
        yield service


@pytest.fixture
def bsre_profile(pki_profile, double, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, CONNECTOR_PASSWORD)

    def make(level: str = "B-LTA", nik: str = NIK, **key):
        return pki_profile(level, key=double.profile_key(nik=nik, **key))

    return make


def _no_secret_anywhere(error: BaseException | None, caplog, *folders) -> None:
    shown = caplog.text
    if error is not None:
        shown += str(error) + "".join(traceback.format_exception(error))
    assert PASSPHRASE not in shown and CONNECTOR_PASSWORD not in shown
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert PASSPHRASE.encode() not in data and CONNECTOR_PASSWORD.encode() not in data, path


@pytest.mark.parametrize("level", ("B-T", "B-LTA"))
def test_a_letter_signed_by_the_remote_service_verifies(pdfa_letters, bsre_profile, double, test_pki, level,
                                                         tmp_path, caplog):
    caplog.set_level("DEBUG")
    data = sign_pdf(pdfa_letters["with_ttd"], bsre_profile(level), verification_url=URL, location="Malang",
                    reason="Surat Tugas", **SIGNER)
    assert data.startswith(pdfa_letters["with_ttd"])
    report = verify_pdf(data, trust_roots=[test_pki.cert_path("root")])
    assert report.ok, report.to_text()
    [sig] = report.signatures
    assert (sig.signer, sig.level, sig.field_name) == ("Drs. Hendra Wijaya (TEST)", level, "Signature_BSrE")
    assert sig.timestamp.ok and sig.timestamp.authority == "NASKAH TEST TSA"
    posted = [fields for method, path, fields in double.calls if method == "POST"][-1]
    assert {"nik", "passphrase", "tampilan", "image", "linkQR", "page", "xAxis", "yAxis", "width",
            "height"} <= set(posted)
    path = tmp_path / "bsre.pdf"
    path.write_bytes(data)
    _no_secret_anywhere(None, caplog, tmp_path)


def test_the_remote_stamp_sits_at_the_ttd_bookmark_with_the_qr_code(pdfa_letters, bsre_profile, tmp_path):
    import zxingcpp
    from PIL import Image

    profile = bsre_profile("B-T")
    path = tmp_path / "bsre.pdf"
    path.write_bytes(sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER))
    dest = PdfReader(io.BytesIO(pdfa_letters["with_ttd"])).named_destinations["/ttd"]
    widget = next(a.get_object() for a in PdfReader(path).pages[0]["/Annots"]
                  if a.get_object().get("/T") == "Signature_BSrE")
    rect = [float(v) for v in widget["/Rect"]]
    assert rect == pytest.approx([float(dest.left), float(dest.top) - profile.stamp.height,
                                  float(dest.left) + profile.stamp.width, float(dest.top)], abs=1)
    subprocess.run(["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", str(path), str(tmp_path / "page")],
                   check=True)
    assert [b.text for b in zxingcpp.read_barcodes(Image.open(next(tmp_path.glob("page*.png"))))] == [URL]


def test_a_wrong_passphrase_is_error_2031_without_the_passphrase(pdfa_letters, bsre_profile, caplog):
    caplog.set_level("DEBUG")
    profile = bsre_profile("B-T")
    wrong = dict(SIGNER, credential=Credential(passphrase="tebakan-Salah-123"))
    with pytest.raises(CredentialRefused) as refused:
        sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **wrong)
    assert refused.value.code == 2031 and refused.value.explanation == "wrong passphrase"
    message = str(refused.value)
    assert "wrong passphrase" in message and "status_code 2031" in message, message
    assert mask_nik(NIK) in message and NIK not in message
    shown = message + "".join(traceback.format_exception(refused.value)) + caplog.text
    assert "tebakan-Salah-123" not in shown
    _no_secret_anywhere(refused.value, caplog)


def test_an_unregistered_signer_is_refused(pdfa_letters, bsre_profile, double):
    before = len(double.calls)
    with pytest.raises(SigningError, match="no certificate status for NIK 357301"):
        sign_pdf(pdfa_letters["with_ttd"], bsre_profile("B-T", nik=NIK_UNKNOWN), verification_url=URL, **SIGNER)
    assert [method for method, _, _ in double.calls[before:]] == ["GET"], "nothing was uploaded"
    client = BsreClient(double.url, username="naskah", password=CONNECTOR_PASSWORD, timeout=10)
    with pytest.raises(SigningError, match="the signer is not registered with BSrE.*status_code 2011"):
        client.sign_pdf(b"%PDF-1.7 whatever", nik=NIK_UNKNOWN, passphrase=PASSPHRASE, page=0, box=(0, 0, 10, 10),
                        link_qr=None)


def test_only_status_issue_may_sign(pdfa_letters, bsre_profile, double):
    before = len(double.calls)
    with pytest.raises(SigningError, match="has status EXPIRED: only a certificate with status ISSUE may sign"):
        sign_pdf(pdfa_letters["with_ttd"], bsre_profile("B-T", nik=NIK_EXPIRED), verification_url=URL, **SIGNER)
    assert [method for method, _, _ in double.calls[before:]] == ["GET"], "nothing was uploaded"


def test_wrong_connector_credentials_are_reported(pdfa_letters, bsre_profile, monkeypatch, caplog):
    profile = bsre_profile("B-T")
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    with pytest.raises(SigningError, match="HTTP 401: the connector refused its basic-auth credentials"):
        sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER)


def test_an_unreachable_service_is_a_clear_error(pdfa_letters, pki_profile, caplog):
    from naskah.ports import free_loopback_port

    profile = pki_profile("B-T", key={"source": "bsre", "url": f"http://127.0.0.1:{free_loopback_port()}", "nik": NIK,
                                      "timeout": 5})
    with pytest.raises(SigningError, match="the BSrE service at http://127.0.0.1:\\d+ cannot be reached") as refused:
        sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER)
    _no_secret_anywhere(refused.value, caplog)


def test_a_b_lt_profile_refuses_a_service_signature_it_cannot_trust(pdfa_letters, bsre_profile, tmp_path):
    profile = bsre_profile("B-LT")
    profile = profile.model_copy(update={"trust_roots": [foreign_root(tmp_path)]})
    with pytest.raises(SigningError, match="does not chain to the trust roots"):
        sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER)
