"""The command line as staff and the IT team use it: help, drafts, and exit codes."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from checks import flat, pdfsig, pdftotext
from samples import EXAMPLES


def naskah(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "naskah.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd)


@pytest.mark.parametrize("command", [[], ["issue"], ["render"], ["verify"], ["check"], ["list"]])
def test_every_command_has_help(command):
    result = naskah(*command, "--help")
    assert result.returncode == 0
    assert "usage: naskah" in result.stdout


@pytest.fixture
def env(tmp_path, data_dir):
    return dict(os.environ, NASKAH_DATA_DIR=str(data_dir), NASKAH_STORE_DIR=str(tmp_path / "store"))


def test_render_makes_an_unsigned_pdf_marked_draft_and_stores_nothing(env, tmp_path):
    result = naskah("render", str(EXAMPLES / "surat-tugas-individu.json"), "-o", str(tmp_path / "draft.pdf"), env=env)
    assert result.returncode == 0, result.stderr
    text = flat(pdftotext(tmp_path / "draft.pdf"))
    assert "DRAFT - belum ditandatangani" in text
    assert "Maria Ulfa, S.E., M.Ec.Dev." in text
    assert "does not contain any signatures" in pdfsig(tmp_path / "draft.pdf")
    assert not (tmp_path / "store" / "index.sqlite").exists() or naskah("list", env=env).stdout == ""


def test_render_docx_for_editing(env, tmp_path):
    result = naskah("render", str(EXAMPLES / "surat-tugas-tim.json"), "--format", "docx", "-o",
                    str(tmp_path / "draft.docx"), env=env)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "draft.docx") as docx:
        body = docx.read("word/document.xml").decode()
        footers = " ".join(docx.read(name).decode() for name in docx.namelist() if name.startswith("word/footer"))
    assert "Ahmad Fauzi" in body and "{{" not in body
    assert "DRAFT" in footers


def test_issue_exits_non_zero_when_any_payload_is_refused_but_issues_the_rest(env, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text((EXAMPLES / "surat-tugas-individu.json").read_text().replace("199305212018012001", "123"))
    result = naskah("issue", str(bad), str(EXAMPLES / "surat-tugas-tim.json"), env=env)
    assert result.returncode == 1
    assert "data.pegawai.nip: a NIP has 18 digits" in result.stderr
    assert result.stdout.startswith("issued surat_tugas_tim")


def test_verify_of_an_unsigned_or_missing_file_fails(env, tmp_path):
    naskah("render", str(EXAMPLES / "surat-tugas-individu.json"), "-o", str(tmp_path / "draft.pdf"), env=env)
    assert naskah("verify", str(tmp_path / "draft.pdf"), env=env).returncode == 1
    missing = naskah("verify", str(tmp_path / "nope.pdf"), env=env)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
