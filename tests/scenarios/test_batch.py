"""Batch issuing: in parallel on warm LibreOffice, past bad payloads, every failure reported with its fields."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from checks import pdfsig
from samples import EXAMPLES


def _team_payload(number: int) -> dict:
    payload = json.loads((EXAMPLES / "surat-tugas-tim.json").read_text())
    payload["workflow"]["id"] = f"WF-BATCH-{number:03d}"
    payload["data"]["nomor"] = f"800.1.11.1/{number:04d}/35.73.401/2023"
    return payload


def test_batch_from_jsonl_issues_the_good_and_reports_the_bad(tmp_path, data_dir):
    lines = [json.dumps(_team_payload(n)) for n in range(1, 6)]
    bad_nip = _team_payload(6)
    bad_nip["data"]["tim"]["anggota"][4]["nip"] = "19870130201403300"
    lines.insert(2, json.dumps(bad_nip))
    lines.insert(4, '{"workflow": ')
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(lines) + "\n")
    env = dict(os.environ, NASKAH_DATA_DIR=str(data_dir), NASKAH_STORE_DIR=str(tmp_path / "store"),
               NASKAH_POOL_SIZE="2")
    result = subprocess.run([sys.executable, "-m", "naskah.cli", "issue", "--batch", str(batch)],
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 1
    issued = [line for line in result.stdout.splitlines() if line.startswith("issued surat_tugas_tim")]
    assert len(issued) == 5
    assert f"{batch}:3 refused" in result.stderr
    assert "data.tim.anggota[4].nip: a NIP has 18 digits" in result.stderr
    assert f"{batch}:5 refused" in result.stderr and "malformed JSON" in result.stderr
    assert "5 issued, 2 refused" in result.stderr
    for line in issued:
        path = line.split(" -> ")[1]
        assert "Signature is Valid." in pdfsig(path)


def test_batch_from_python_keeps_input_order(settings):
    from naskah.batch import issue_batch, iter_payload_lines
    from naskah.convert import LibreOfficePool
    from naskah.pipeline import Naskah

    with LibreOfficePool(data_dir=settings.data_dir, size=2) as pool:
        result = issue_batch(Naskah(settings, pool=pool), iter_payload_lines(_team_payload(n) for n in range(10, 14)),
                             workers=3)
    assert result.ok
    assert [letter.metadata["nomor"] for letter in result.issued] == [
        f"800.1.11.1/{n:04d}/35.73.401/2023" for n in range(10, 14)]
