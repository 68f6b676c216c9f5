"""A host with another payload shape (English keys, other nesting, DD/MM/YYYY dates) is supported by
mapping files alone: its payloads give the same letters as the sample host's."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from naskah.config import SOURCE_ROOT, load_settings
from naskah.errors import PayloadError
from naskah.pipeline import Naskah

from checks import flat, pdftotext
from samples import EXAMPLES, KOTAKU

PAIRS = [("surat-tugas-tim.json", "surat-tugas-tim.json"),
         ("jawaban-pelibatan-ditolak.json", "jawaban-pelibatan-ditolak.json")]


@pytest.fixture
def mappings_dir(tmp_path) -> Path:
    """The shipped mappings plus Kotaku's: what an IT team does to add a host (copy files, no code)."""
    directory = tmp_path / "mappings"
    shutil.copytree(SOURCE_ROOT / "mappings", directory)
    for mapping in (KOTAKU / "mappings").glob("*.yaml"):
        text = mapping.read_text().replace("examples: [../", f"examples: [{KOTAKU}/")
        (directory / mapping.name).write_text(text)
    return directory


@pytest.fixture
def both_hosts(mappings_dir, data_dir, tmp_path) -> Naskah:
    return Naskah(load_settings(None, mappings_dir=mappings_dir, data_dir=data_dir, store_dir=tmp_path / "store"))


@pytest.mark.parametrize("kotaku_file, eoffice_file", PAIRS)
def test_same_letter_from_either_host(both_hosts, kotaku_file, eoffice_file, tmp_path):
    kotaku = json.loads((KOTAKU / kotaku_file).read_text())
    eoffice = json.loads((EXAMPLES / eoffice_file).read_text())
    from_kotaku = both_hosts.prepare(kotaku)
    from_eoffice = both_hosts.prepare(eoffice)
    assert from_kotaku.mapping.name.startswith("kotaku_")
    assert not from_eoffice.mapping.name.startswith("kotaku_")
    assert from_kotaku.context == from_eoffice.context
    # The rendered letters read the same, word for word.
    texts = [flat(pdftotext(both_hosts.render(payload))) for payload in (kotaku, eoffice)]
    assert texts[0] == texts[1]
    assert from_kotaku.context["nomor"] in texts[0]


def test_errors_name_the_second_hosts_fields(both_hosts):
    payload = json.loads((KOTAKU / "surat-tugas-tim.json").read_text())
    payload["team"]["people"][3]["employee"]["id"] = "19920711201902200"
    payload["document"]["validUntil"] = "31-12-2023"
    del payload["document"]["number"]
    with pytest.raises(PayloadError) as caught:
        both_hosts.prepare(payload)
    message = str(caught.value)
    assert "team.people[3].employee.id: a NIP has 18 digits" in message
    assert "document.validUntil: Input should be a valid date" in message and "'31-12-2023'" in message
    assert "document.number: required, missing from the payload" in message


def test_naskah_check_passes_with_the_second_hosts_mappings(mappings_dir, data_dir, tmp_path):
    import os

    env = dict(os.environ, NASKAH_MAPPINGS_DIR=str(mappings_dir), NASKAH_DATA_DIR=str(data_dir))
    result = subprocess.run([sys.executable, "-m", "naskah.cli", "check"], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stdout
    assert "error:" not in result.stdout
