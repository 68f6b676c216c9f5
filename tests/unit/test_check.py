"""`naskah check` lints mappings and templates; it runs here over the shipped ones and over broken ones."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from naskah.check import check
from naskah.config import SOURCE_ROOT, load_settings


def run_check(**dirs) -> subprocess.CompletedProcess:
    env = dict(os.environ, **{f"NASKAH_{key.upper()}": str(value) for key, value in dirs.items()})
    return subprocess.run([sys.executable, "-m", "naskah.cli", "check"], capture_output=True, text=True, env=env)


def test_shipped_mappings_and_templates_pass(data_dir):
    result = run_check(data_dir=data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error:" not in result.stdout
    assert f"{len(list((SOURCE_ROOT / 'mappings').glob('*.yaml')))} mappings checked, 0 errors" in result.stdout


@pytest.fixture
def workspace(tmp_path, data_dir):
    """A copy of the shipped configuration to break."""
    shutil.copytree(SOURCE_ROOT / "mappings", tmp_path / "mappings")
    shutil.copytree(SOURCE_ROOT / "templates", tmp_path / "templates", ignore=shutil.ignore_patterns("build"))
    return load_settings(None, mappings_dir=tmp_path / "mappings", templates_dir=tmp_path / "templates",
                         data_dir=data_dir)


def _edit_docx(path, old: str, new: str) -> None:
    """Change the template's document text, as a careless edit in Word would."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                text = data.decode("utf-8")
                assert old in text, old
                data = text.replace(old, new, 1).encode("utf-8")
            target.writestr(item, data)
    path.write_bytes(buffer.getvalue())


def test_template_syntax_error_is_reported_with_its_place(workspace):
    _edit_docx(workspace.templates_dir / "surat_tugas_individu.docx", "{{ melapor_kepada }}", "{{ melapor_kepada }")
    report = check(workspace)
    assert not report.ok
    error = next(e for e in report.errors if "surat_tugas_individu.docx" in e)
    assert "template syntax error" in error and "melapor_kepada" in error


def test_variable_the_mapping_never_provides_is_an_error(workspace):
    _edit_docx(workspace.templates_dir / "surat_tugas_individu.docx", "{{ melapor_kepada }}", "{{ pimpinan_unit }}")
    report = check(workspace)
    assert any("uses {{ pimpinan_unit }}, which mapping surat_tugas_individu.yaml never provides" in e
               for e in report.errors), report.errors


def test_field_the_template_never_prints_is_a_warning(workspace):
    path = workspace.mappings_dir / "surat_tugas_individu.yaml"
    path.write_text(path.read_text().replace("  melapor_kepada: data.melapor_kepada\n",
                                             "  melapor_kepada: data.melapor_kepada\n  catatan: data.nomor\n"))
    # `catatan` is not a field of the letter either: that is an error of the mapping's example
    report = check(workspace)
    assert any("builds 'catatan', which surat_tugas_individu.docx never prints" in w for w in report.warnings)
    assert any("mapping field catatan: not a field of this letter" in e for e in report.errors)


def test_example_payload_failing_validation_is_an_error(workspace, tmp_path):
    bad = tmp_path / "bad.json"
    payload = (SOURCE_ROOT / "mappings/examples/host-eoffice/surat-tugas-tim.json").read_text()
    bad.write_text(payload.replace('"peran": "anggota"', '"peran": "ketua"', 1))
    path = workspace.mappings_dir / "surat_tugas_tim.yaml"
    path.write_text(path.read_text().replace("examples: [examples/host-eoffice/surat-tugas-tim.json]",
                                             f"examples: [{bad}]"))
    report = check(workspace)
    assert any("example bad.json" in e and "exactly one Ketua; found 2" in e for e in report.errors), report.errors
    result = run_check(mappings_dir=workspace.mappings_dir, templates_dir=workspace.templates_dir,
                       data_dir=workspace.data_dir)
    assert result.returncode == 1
