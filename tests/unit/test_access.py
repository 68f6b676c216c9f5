"""Which stored letters a host may read (naskah.service.access): its own; another host's only when configuration
shares them (read_letters_of); letters that record no host only for the one configured host, or a host told to
(read_unrecorded)."""
from __future__ import annotations

from pathlib import Path

from naskah.config import ServiceOptions
from naskah.service.access import LetterAccess
from naskah.store import StoredLetter


def _letter(host: str | None) -> StoredLetter:
    return StoredLetter(letter_id="0" * 32, mapping="m", letter_kind="surat_tugas_tim", workflow_id="WF-1",
                        nomor=None, tanggal=None, hal=None, penandatangan=None, sha256="0" * 64, content_hash="c",
                        pdf_path=Path("x.pdf"), metadata={}, issued_at="2023-01-01T00:00:00+00:00", host=host)


def test_a_host_reads_its_own_letters_and_those_shared_with_it():
    access = LetterAccess(ServiceOptions(hosts=[{"name": "eoffice"}, {"name": "other"},
                                                {"name": "auditor", "read_letters_of": ["eoffice"]}]))
    assert access.may_read("eoffice", _letter("eoffice"))
    assert not access.may_read("other", _letter("eoffice"))
    assert access.may_read("auditor", _letter("eoffice")) and not access.may_read("auditor", _letter("other"))
    assert not access.may_read("eoffice", _letter("auditor")), "sharing goes one way"
    assert not any(access.may_read(host, _letter(None)) for host in ("eoffice", "other", "auditor"))
    assert not access.may_read("unknown", _letter("eoffice"))


def test_letters_without_a_host_are_read_by_the_only_host_or_a_host_told_to():
    assert LetterAccess(ServiceOptions()).may_read("default", _letter(None)), "one host: it issued them all"
    assert not LetterAccess(ServiceOptions(hosts=[{"name": "eoffice", "read_unrecorded": False}])).may_read(
        "eoffice", _letter(None))
    access = LetterAccess(ServiceOptions(hosts=[{"name": "eoffice", "read_unrecorded": True}, {"name": "other"}]))
    assert access.may_read("eoffice", _letter(None)) and not access.may_read("other", _letter(None))
