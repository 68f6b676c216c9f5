"""The bounds on checking a PDF anyone may upload (naskah.validation.bounds): a genuine letter with 300 extra
signature fields pointing to its signature value, which costs seconds checked in full, is refused at once; so is
a file with too many objects; a check that runs out of time is stopped between two steps; and pyHanko's log
about such a file is one line, not thousands, while its records outside a bounded check pass as before."""
from __future__ import annotations

import logging
import time

import pytest

from naskah.validation import VerificationLimits, VerificationRefused, verify_pdf

from forged_pdf import with_extra_signature_fields


@pytest.fixture(scope="module")
def letter(demo_signed) -> bytes:
    return demo_signed.read_bytes()


@pytest.fixture(scope="module")
def many_fields(letter) -> bytes:
    return with_extra_signature_fields(letter, 300)


def test_a_genuine_letter_is_checked_as_before_within_the_limits(letter):
    bounded = verify_pdf(letter, limits=VerificationLimits())
    assert bounded.ok and len(bounded.signatures) == 1
    assert bounded.to_text() == verify_pdf(letter).to_text()


def test_three_hundred_extra_signature_fields_are_refused_before_any_is_checked(letter, many_fields):
    started = time.monotonic()
    with pytest.raises(VerificationRefused, match="more than 10 signature fields"):
        verify_pdf(many_fields, limits=VerificationLimits())
    assert time.monotonic() - started < 0.5
    with pytest.raises(VerificationRefused, match="more than 3 signature fields"):
        verify_pdf(with_extra_signature_fields(letter, 3), limits=VerificationLimits(max_signatures=3))


def test_without_limits_every_field_is_checked(letter):
    report = verify_pdf(with_extra_signature_fields(letter, 20))  # naskah verify: the operator's own files
    assert len(report.signatures) == 21 and not report.ok


def test_a_file_with_too_many_objects_is_refused_unread(letter):
    padded = with_extra_signature_fields(letter, 0, padding_objects=3000)
    started = time.monotonic()
    with pytest.raises(VerificationRefused, match="more than 1000 objects"):
        verify_pdf(padded, limits=VerificationLimits(max_objects=1000))
    assert time.monotonic() - started < 0.5
    assert verify_pdf(padded, limits=VerificationLimits(max_objects=5000)).signatures, "within the limit: checked"


def test_a_check_that_runs_out_of_time_is_stopped_between_two_steps(letter):
    slow = with_extra_signature_fields(letter, 9, padding_objects=4000)
    started = time.monotonic()
    unbounded = verify_pdf(slow)
    full = time.monotonic() - started
    assert len(unbounded.signatures) == 10
    started = time.monotonic()
    with pytest.raises(VerificationRefused, match="took longer than"):
        verify_pdf(slow, limits=VerificationLimits(seconds=full / 5))
    assert time.monotonic() - started < full * 0.8


def test_pyhanko_s_log_about_an_uploaded_file_is_one_line(letter, many_fields, caplog, monkeypatch):
    # `naskah` run in this process before (cli.main) quiets pyHanko's loggers; the service does not
    for name in ("pyhanko", "pyhanko_certvalidator"):
        monkeypatch.setattr(logging.getLogger(name), "level", logging.NOTSET)
    forged = with_extra_signature_fields(letter, 9)
    with caplog.at_level(logging.DEBUG):
        verify_pdf(forged)  # unbounded: pyHanko's records pass as before
    unbounded = [record for record in caplog.records if record.name.startswith("pyhanko")]
    assert len(unbounded) >= 9
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        report = verify_pdf(forged, limits=VerificationLimits())
        with pytest.raises(VerificationRefused):
            verify_pdf(many_fields, limits=VerificationLimits())
    assert len(report.signatures) == 10
    assert not [record for record in caplog.records if record.name.startswith("pyhanko")]
    lines = [record.getMessage() for record in caplog.records if record.name != "asyncio"]
    assert len(lines) == 2, lines
    assert lines[0].startswith("checking an uploaded PDF: pyHanko reported ") and "problems (the first: " in lines[0]
    assert lines[1].startswith("checking an uploaded PDF: refused after ")
