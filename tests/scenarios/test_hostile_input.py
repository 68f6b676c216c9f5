"""Hostile or awkward values go through the whole pipeline as data: printed as written, never evaluated,
and a refused payload leaves nothing behind in the store."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from naskah.errors import PayloadError
from naskah.store import LocalStore

from checks import flat, pdftotext


def test_xml_special_characters_print_as_written(naskah, sample):
    payload = sample("surat-tugas-individu")
    payload["data"]["pegawai"]["nama"] = "Dra. R.A. \"Sri\" O'Neil & <Partners>"
    payload["data"]["untuk"] = ["Menyusun kajian <b>tebal</b> & ringkas ]]> 'kutip'"]
    payload["data"]["perangkat_daerah"]["nama"] = "Badan A & B"
    issued = naskah.issue(payload)
    text = flat(pdftotext(issued.pdf_path))
    assert "Dra. R.A. \"Sri\" O'Neil & <Partners>" in text
    assert "Menyusun kajian <b>tebal</b> & ringkas ]]> 'kutip'" in text
    assert "BADAN A & B" in text


def test_template_syntax_in_a_payload_is_printed_not_evaluated(naskah, sample):
    payload = sample("surat-tugas-individu")
    payload["data"]["pegawai"]["nama"] = "{{ 7*7 }} {% for x in range(3) %}X{% endfor %}"
    payload["data"]["untuk"] = ["{{ config }} {{ ''.__class__.__mro__ }}"]
    issued = naskah.issue(payload)
    text = flat(pdftotext(issued.pdf_path))
    assert "{{ 7*7 }} {% for x in range(3) %}X{% endfor %}" in text
    assert "{{ config }} {{ ''.__class__.__mro__ }}" in text
    assert "XXX" not in text  # the loop did not run


def test_a_refused_payload_writes_nothing_to_the_store(naskah, sample, settings):
    payload = sample("surat-tugas-tim")
    payload["data"]["tim"]["anggota"][1]["peran"] = "ketua"
    with pytest.raises(PayloadError):
        naskah.issue(payload)
    assert LocalStore(settings.store_path).all() == []
    assert list((settings.store_path / "letters").iterdir()) == []


def test_cli_refuses_malformed_json_naming_the_place_and_exits_non_zero(tmp_path, data_dir, sample):
    broken = tmp_path / "broken.json"
    broken.write_text('{"workflow": {"jenis": "surat_tugas_tim"}, "data": {"nomor": }')
    env = dict(os.environ, NASKAH_DATA_DIR=str(data_dir), NASKAH_STORE_DIR=str(tmp_path / "store"))
    result = subprocess.run([sys.executable, "-m", "naskah.cli", "issue", str(broken)],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert f"payload {broken} refused" in result.stderr
    assert "malformed JSON at line 1 column 62" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_same_workflow_and_number_with_other_content_is_a_conflict(naskah, sample):
    from naskah.errors import StoreConflictError

    first = naskah.issue(sample("surat-tugas-individu"))
    changed = sample("surat-tugas-individu")
    changed["data"]["untuk"] = ["Tugas yang lain"]
    with pytest.raises(StoreConflictError, match="already issued .* with different content"):
        naskah.issue(changed)
    assert [letter.letter_id for letter in LocalStore(naskah.settings.store_path).all()] == [first.letter_id]
