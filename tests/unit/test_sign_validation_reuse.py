"""Validation data fetched once per signing profile and reused while valid (naskah.sign.validation_data): the
test PKI's OCSP responder, CRL repository and TSA each behind a relay on 127.0.0.1 that counts the requests, so
the tests see what every letter really asked for, and every letter is checked by pdfsig and by naskah's own
AdES validation (with the data in the file only)."""
from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from naskah.sign import sign_pdf
from naskah.sign.pades import kept_validation_data
from naskah.sign.validation_data import LONGEST_REUSE
from naskah.validation import verify_pdf
from naskah.validation.levels import read_dss

from checks import pdfsig
from http_relay import relayed_pki
from pki_fixtures import LEVELS_SIGNER as SIGNER, LEVELS_URL as URL, P12_ENV, make_pki_profile
from pki import P12_PASSWORD

OCSP, CRL, TSA = ("POST", "/naskah/ocsp/interm"), ("GET", "/naskah/crls/root/latest.crl"), ("POST", "/naskah/tsa/tsa")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A test PKI of this module's own: its certificates name the relays' addresses."""
    previous = os.environ.get(P12_ENV)
    os.environ[P12_ENV] = P12_PASSWORD
    with relayed_pki(tmp_path_factory.mktemp("relayed-pki")) as relayed:
        yield relayed
    if previous is None:
        os.environ.pop(P12_ENV, None)
    else:
        os.environ[P12_ENV] = previous


@pytest.fixture
def profile(pki, tmp_path):
    """A fresh B-LTA profile (nothing kept yet) whose TSA is reached through its relay too."""
    return make_pki_profile(pki.pki, tmp_path / "signing", "B-LTA", tsa={"url": pki.tsa_url, "timeout": 10})


def _asked(pki, letter: bytes, profile, tmp_path, name: str):
    """Sign ``letter`` and check it as a user would: the requests it made, by server and kind."""
    pki.reset()
    signed = sign_pdf(letter, profile, verification_url=URL, **SIGNER)
    asked = pki.counts()
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(signed)
    assert "Signature is Valid." in pdfsig(path), pdfsig(path)
    report = verify_pdf(signed, trust_roots=[pki.pki.cert_path("root")])
    assert report.ok and report.signatures[0].level == "B-LTA", report.to_text()
    dss = read_dss(PdfFileReader(io.BytesIO(signed), strict=False))
    assert dss.ocsps and dss.crls, "the letter carries its own validation data, reused or not"
    return asked


def test_the_second_letter_fetches_no_validation_data_and_stays_b_lta(pki, profile, pdfa_letters, tmp_path):
    first = _asked(pki, pdfa_letters["with_ttd"], profile, tmp_path, "first")
    assert first[OCSP] == 1 and first[CRL] == 1, first
    second = _asked(pki, pdfa_letters["with_ttd"], profile, tmp_path, "second")
    assert second[OCSP] == 0 and second[CRL] == 0, second
    # a timestamp per signature: the signature's and the document's; the TSA's certificates are not asked again
    assert second[TSA] == 2 and sum(second.values()) == 2, second


def test_letters_signed_at_the_same_moment_fetch_the_data_once(pki, profile, pdfa_letters, tmp_path):
    """A batch signs several letters at once, each thread in its own event loop: the first asks, the others
    wait for its answer."""
    from concurrent.futures import ThreadPoolExecutor

    pki.reset()
    for relay in pki.relays.values():
        relay.delay = 0.3  # every letter asks while the first one's requests are still on their way
    try:
        with ThreadPoolExecutor(3) as pool:
            signed = list(pool.map(lambda _: sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL,
                                                      **SIGNER), range(3)))
    finally:
        for relay in pki.relays.values():
            relay.delay = 0.0
    asked = pki.counts()
    assert asked[OCSP] == 1 and asked[CRL] == 1, asked
    for number, letter in enumerate(signed):
        report = verify_pdf(letter, trust_roots=[pki.pki.cert_path("root")])
        assert report.ok and report.signatures[0].level == "B-LTA", report.to_text()
        (tmp_path / f"{number}.pdf").write_bytes(letter)
        assert "Signature is Valid." in pdfsig(tmp_path / f"{number}.pdf")


def test_kept_data_signs_while_the_ocsp_responder_and_crl_repository_are_down(pki, profile, pdfa_letters, tmp_path):
    _asked(pki, pdfa_letters["with_ttd"], profile, tmp_path, "before")
    with pki.pki.stopped("ocsp", "repo"):
        during = _asked(pki, pdfa_letters["with_ttd"], profile, tmp_path, "during")
    assert during[OCSP] == 0 and during[CRL] == 0, during


def test_an_ocsp_response_is_fetched_again_after_its_next_update_and_a_crl_after_the_longest_reuse(
        pki, profile, pdfa_letters, tmp_path):
    """certomancer's OCSP responses are valid for 10 minutes, its CRLs for 7 and 30 days."""
    _asked(pki, pdfa_letters["with_ttd"], profile, tmp_path, "now")
    kept = kept_validation_data(profile)
    start = dt.datetime.now(dt.timezone.utc)
    kept.clock = lambda: start + dt.timedelta(minutes=10)
    later = _asked(pki, pdfa_letters["with_ttd"], profile, tmp_path, "ten-minutes-later")
    assert later[OCSP] == 1 and later[CRL] == 0, later
    kept.clock = lambda: start + LONGEST_REUSE
    much_later = _asked(pki, pdfa_letters["with_ttd"], profile, tmp_path, "an-hour-later")
    assert much_later[OCSP] == 1 and much_later[CRL] == 1, much_later


def test_a_failed_fetch_is_not_kept(pki, profile, pdfa_letters, tmp_path):
    from naskah.errors import SigningError

    with pki.pki.stopped("ocsp"):
        with pytest.raises(SigningError, match="OCSP"):
            sign_pdf(pdfa_letters["with_ttd"], profile, verification_url=URL, **SIGNER)
    again = _asked(pki, pdfa_letters["with_ttd"], profile, tmp_path, "after-the-outage")
    assert again[OCSP] == 1, again
