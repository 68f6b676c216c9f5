"""The PKCS#11 key source against a real token: SoftHSM2 (Debian's softhsm2), holding the test PKI signer's
key; the PIN comes from the environment variable the profile names and never shows up anywhere."""
from __future__ import annotations

import traceback

import pytest

from naskah.errors import SigningError
from naskah.sign import sign_pdf
from naskah.validation import verify_pdf

from checks import pdfsig

URL = "https://naskah.example.go.id/v/01HTESTPKCS11"
SIGNER = dict(signer_name="Drs. Hendra Wijaya, M.Si.", signer_title="Kepala Dinas Komunikasi dan Informatika")


def _key(softhsm, token: str, **overrides) -> dict:
    return {"source": "pkcs11", "module": str(softhsm["module"]), "token_label": token, "key_label": "signer",
            "pin_env": softhsm["pin_env"], **overrides}


def test_a_letter_signed_on_the_token_at_b_lta_verifies(pdfa_letters, pki_profile, softhsm, test_pki, tmp_path):
    profile = pki_profile("B-LTA", key=_key(softhsm, "naskah-test"))
    data = sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER)
    report = verify_pdf(data, trust_roots=[test_pki.cert_path("root")])
    assert report.ok, report.to_text()
    [sig] = report.signatures
    assert sig.signer == "Drs. Hendra Wijaya (TEST)" and sig.level == "B-LTA"
    path = tmp_path / "pkcs11.pdf"
    path.write_bytes(data)
    assert "Signature Validation: Signature is Valid." in pdfsig(path)
    # the token's key is opened once: a second letter reuses the logged-in session
    again = sign_pdf(pdfa_letters["with_ttd"], pki_profile("B-B", key=_key(softhsm, "naskah-test")),
                     verification_url=URL, **SIGNER)
    assert verify_pdf(again, trust_roots=[test_pki.cert_path("root")]).ok


def test_the_intermediate_on_the_token_goes_into_a_b_b_signature(pdfa_letters, pki_profile, softhsm):
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    data = sign_pdf(pdfa_letters["with_ttd"], pki_profile("B-B", key=_key(softhsm, "naskah-test")),
                    verification_url=URL, **SIGNER)
    [embedded] = PdfFileReader(BytesIO(data)).embedded_signatures
    names = {cert.subject.native["common_name"] for cert in embedded.other_embedded_certs}
    assert "NASKAH TEST INTERMEDIATE CA" in names


def test_a_wrong_pin_is_a_signing_error_that_names_the_variable_not_the_pin(pdfa_letters, pki_profile, softhsm,
                                                                           monkeypatch, caplog):
    monkeypatch.setenv("NASKAH_TEST_WRONG_PIN", "0000-salah-9999")
    profile = pki_profile("B-B", key=_key(softhsm, "naskah-other", pin_env="NASKAH_TEST_WRONG_PIN"))
    with pytest.raises(SigningError) as refused:
        sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER)
    message = str(refused.value)
    assert "NASKAH_TEST_WRONG_PIN" in message and "PinIncorrect" in message, message
    shown = "".join(traceback.format_exception(refused.value)) + caplog.text
    assert "0000-salah-9999" not in shown and softhsm["pin"] not in shown


def test_an_unknown_key_label_is_a_clear_error(pdfa_letters, pki_profile, softhsm):
    profile = pki_profile("B-B", key=_key(softhsm, "naskah-other", key_label="nobody"))
    with pytest.raises(SigningError, match="no usable key/certificate labelled 'nobody'"):
        sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER)
