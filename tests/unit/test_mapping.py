"""Mappings: sandboxed expressions, and errors that point at the host's own fields (which mapping takes a
payload is tested in test_route.py)."""
from __future__ import annotations

import textwrap

import pytest

from naskah.errors import ConfigError
from naskah.mapping import Mapping


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
