"""``naskah renew``: a fresh document timestamp on the stored B-LTA letters, from the test PKI's TSA, after
the validation data of the previous one; the renewed letter verifies offline and replaces the stored one."""
from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from naskah.cli import main
from naskah.sign import sign_pdf
from naskah.validation.levels import find_level, missing_revocation_data, read_dss
from naskah.store import LocalStore
from naskah.validation import verify_pdf

URL = "https://naskah.example.go.id/v/01HTESTRENEW"
SIGNER = dict(signer_name="Drs. Hendra Wijaya, M.Si.", signer_title="Kepala Dinas Komunikasi dan Informatika")


@pytest.fixture
def store(pdfa_letters, pki_profile, pki_signing_dir, tmp_path, monkeypatch):
    """A store with a B-LTA letter ("lta") and a B-B letter ("bb"); the CLI finds the test profiles."""
    monkeypatch.setenv("NASKAH_SIGNING_DIR", str(pki_signing_dir))
    monkeypatch.setenv("NASKAH_DATA_DIR", str(tmp_path / "data"))
    local = LocalStore(tmp_path / "store")
    for letter_id, level in (("lta", "B-LTA"), ("bb", "B-B")):
        pdf = sign_pdf(pdfa_letters["with_ttd"], pki_profile(level), verification_url=URL, **SIGNER)
        local.put(letter_id=letter_id, mapping="surat_tugas_tim", letter_kind="surat_tugas_tim",
                  workflow_id=f"wf-{letter_id}", content_hash=f"hash-{letter_id}", pdf=pdf,
                  metadata={"nomor": f"800/{letter_id}/2026"})
    return local


def test_renew_adds_a_verified_document_timestamp_and_updates_the_store(store, pki_profile, test_pki, capsys):
    profile = pki_profile("B-LTA")
    old, untouched = store.get("lta"), store.get("bb")
    old_pdf = old.pdf_path.read_bytes()
    assert main(["renew", "--store", str(store.directory), "--profile", profile.name]) == 0
    out = capsys.readouterr().out
    assert "renewed lta: timestamp of" in out and "skipped bb: not PAdES B-LTA" in out

    new = store.get("lta")
    assert new.pdf_path != old.pdf_path and not old.pdf_path.exists() and new.sha256 != old.sha256
    renewed = new.pdf_path.read_bytes()
    assert renewed.startswith(old_pdf), "renewal only appends incremental updates"
    reader = PdfFileReader(io.BytesIO(renewed), strict=False)
    first, second = reader.embedded_timestamp_signatures
    assert second.signed_revision > first.signed_revision
    # the new timestamp covers the validation data of the previous one's TSA
    tsa = first.signer_cert
    assert missing_revocation_data(tsa, list(first.other_embedded_certs), read_dss(reader, second.signed_revision)) \
        == []
    assert find_level(reader, reader.embedded_regular_signatures[0]).level == "B-LTA"
    with test_pki.stopped():
        report = verify_pdf(renewed, trust_roots=[test_pki.cert_path("root")])
    assert report.ok and len(report.timestamps) == 2, report.to_text()
    assert store.get("bb") == untouched


def test_recent_timestamps_are_left_alone_and_dry_run_changes_nothing(store, pki_profile, capsys):
    profile = pki_profile("B-LTA")
    before = store.get("lta")
    assert main(["renew", "--store", str(store.directory), "--profile", profile.name, "--older-than", "30"]) == 0
    assert "skipped lta: document timestamp of" in capsys.readouterr().out
    assert main(["renew", "--store", str(store.directory), "--profile", profile.name, "--dry-run"]) == 0
    assert "skipped lta: would renew the timestamp of" in capsys.readouterr().out
    assert store.get("lta") == before and before.pdf_path.exists()


def test_renew_with_the_tsa_down_fails_and_keeps_the_stored_letter(store, pki_profile, test_pki, capsys):
    profile = pki_profile("B-LTA")
    before = store.get("lta")
    with test_pki.stopped("tsa"):
        assert main(["renew", "--store", str(store.directory), "--profile", profile.name]) == 1
    out = capsys.readouterr().out
    assert "failed lta: cannot renew the archival timestamp: the time-stamping authority" in out, out
    assert store.get("lta") == before and before.pdf_path.read_bytes()
    assert len(list(before.pdf_path.parent.glob("*.pdf"))) == 2, "no half-renewed file is left behind"
