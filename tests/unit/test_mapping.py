"""Mappings: routing a payload, sandboxed expressions, and errors that point at the host's own fields."""
from __future__ import annotations

import shutil
import textwrap

import pytest

from naskah.config import SOURCE_ROOT, load_settings
from naskah.errors import ConfigError, PayloadError
from naskah.mapping import Mapping
from naskah.payload import parse_payload
from naskah.pipeline import Naskah


def test_payload_is_routed_by_match_rule(naskah, sample):
    assert naskah.prepare(sample("surat-tugas-tim")).mapping.name == "surat_tugas_tim"
    assert naskah.prepare(sample("surat-tugas-individu")).mapping.name == "surat_tugas_individu"


def test_no_matching_mapping_is_a_clear_error(naskah, sample):
    payload = sample("surat-tugas-tim")
    payload["workflow"]["jenis"] = "surat_edaran"
    with pytest.raises(PayloadError, match="no mapping matches this payload"):
        naskah.prepare(payload)


def test_unknown_mapping_name_is_a_clear_error(naskah, sample):
    with pytest.raises(PayloadError, match="no mapping named 'nope'"):
        naskah.prepare(sample("surat-tugas-tim"), mapping="nope")


def test_mapping_named_explicitly_wins_over_match(naskah, sample):
    payload = sample("surat-tugas-tim")
    payload["workflow"]["jenis"] = "something-else"
    assert naskah.prepare(payload, mapping="surat_tugas_tim").mapping.name == "surat_tugas_tim"


def test_two_matching_mappings_are_a_clear_error(tmp_path, data_dir, sample):
    mappings = tmp_path / "mappings"
    shutil.copytree(SOURCE_ROOT / "mappings", mappings)
    shutil.copy(mappings / "surat_tugas_tim.yaml", mappings / "surat_tugas_tim_copy.yaml")
    naskah = Naskah(load_settings(None, mappings_dir=mappings, data_dir=data_dir, store_dir=tmp_path / "s"))
    with pytest.raises(PayloadError, match=r"more than one mapping matches.*surat_tugas_tim, surat_tugas_tim_copy"):
        naskah.prepare(sample("surat-tugas-tim"))


@pytest.mark.parametrize("text, message", [
    ('{"workflow": {"jenis": "surat_tugas_tim"', "malformed JSON at line 1 column"),
    ("[1, 2]", "payload must be a JSON object, got list"),
    (b"\xff\xfe{}", "not UTF-8"),
    ("", "malformed JSON at line 1 column 1"),
])
def test_malformed_json_is_refused(text, message):
    with pytest.raises(PayloadError, match=message):
        parse_payload(text, "payload.json")


def test_expressions_run_in_a_sandbox(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text(textwrap.dedent("""
        letter: surat_tugas_individu
        template: surat_tugas_individu.docx
        match: 'true'
        context:
          nomor: "data.__class__.__mro__[1].__subclasses__()"
    """))
    mapped = Mapping.load(path).apply({"data": {}})
    assert mapped.problems and "cannot be computed" in mapped.problems[0][1]


def test_bad_mapping_file_is_a_config_error(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("letter: surat_tugas_tim\ntemplate: x.docx\ncontext:\n  nomor: 'data.nomor +'\n")
    with pytest.raises(ConfigError, match=r"broken.yaml: context.nomor: invalid expression"):
        Mapping.load(path)
    path.write_text("letter: surat_kuasa\ntemplate: x.docx\ncontext: {}\n")
    with pytest.raises(ConfigError, match="unknown letter kind 'surat_kuasa'"):
        Mapping.load(path)


def test_errors_name_the_fields_of_another_hosts_payload_shape(tmp_path):
    """A host with English keys and nested lists: the error names *its* field, through for_each."""
    path = tmp_path / "other_host.yaml"
    path.write_text(textwrap.dedent("""
        letter: surat_tugas_tim
        template: surat_tugas_tim.docx
        match: 'request.type == "assignment-team"'
        identity: request.ref
        context:
          nomor: request.letter.number
          tim:
            nama: request.team.title
            anggota:
              for_each: request.team.people
              as: person
              item:
                nip: person.employee.id
                nama: person.employee.full_name
                jabatan: person.position
                peran: '"ketua" if person.lead else "anggota"'
          berlaku_sampai: request.valid_until | parse_date("%d/%m/%Y")
    """))
    payload = {"request": {"type": "assignment-team", "ref": "R-1", "letter": {"number": "1/2/3"},
                           "valid_until": "31/12/2023",
                           "team": {"title": "Tim A", "people": [
                               {"employee": {"id": "198503142010011002", "full_name": "A"}, "position": "P", "lead": True},
                               {"employee": {"id": "123", "full_name": "B"}, "position": "P", "lead": False}]}}}
    mapping = Mapping.load(path)
    assert mapping.matches(payload)
    mapped = mapping.apply(payload)
    assert mapped.fields["berlaku_sampai"].isoformat() == "2023-12-31"
    assert mapped.payload_field(("tim", "anggota", 1, "nip")) == "request.team.people[1].employee.id"
    assert mapped.payload_field(("tim", "anggota", 0, "peran")) == "(letter) tim.anggota[0].peran"
    assert mapped.payload_field(("nomor",)) == "request.letter.number"
