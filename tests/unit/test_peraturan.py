"""A mapping names the regulation it follows (naskah.letters.peraturan); that choice selects the template set and
the rules, each of which cites its article in that regulation (naskah.letters.citations) or is not enforced where
the regulation does not state it."""
from __future__ import annotations

import importlib.util
import json
import sys
import textwrap

import pytest

from naskah.config import SOURCE_ROOT
from naskah.errors import ConfigError
from naskah.letters import LETTER_KINDS
from naskah.letters.citations import (EKSPEKTASI_KINERJA, FORMAT_SURAT_TUGAS, KETUA_TIM, PERSETUJUAN_ATASAN,
                                      STRUKTUR_NIP, URAIAN_TUGAS, Rule, cite, citation_of, current, under)
from naskah.letters.peraturan import CILEGON, DEFAULT, MALANG, REGULATIONS, TANGERANG
from naskah.mapping import Mapping, load_mappings
from naskah.route import route

from samples import load_sample

TEMPLATES = SOURCE_ROOT / "templates"


def _sets():
    """templates/build/sets.py, the generators' own list of the sets (it imports nothing of naskah)."""
    spec = importlib.util.spec_from_file_location("template_sets", TEMPLATES / "build" / "sets.py")
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SETS


def test_three_regulations_each_with_its_name_city_and_template_set():
    assert DEFAULT == MALANG
    assert {key: (r.nama, r.kota, r.template_set) for key, r in REGULATIONS.items()} == {
        MALANG: ("Perwal Kota Malang 16/2023", "Malang", ""),
        CILEGON: ("Perwal Kota Cilegon 17/2023", "Cilegon", "cilegon"),
        TANGERANG: ("Perwal Kota Tangerang 12/2023", "Tangerang", "tangerang")}
    assert REGULATIONS[MALANG].provides("surat_tugas_tim") and REGULATIONS[MALANG].jenis is None
    assert not REGULATIONS[CILEGON].provides("surat_perintah")  # Cilegon Pasal 9: teams by Keputusan
    assert not REGULATIONS[TANGERANG].provides("surat_tugas_tim")  # Tangerang Pasal 22: teams by Surat Perintah


@pytest.mark.parametrize("key", [CILEGON, TANGERANG])
def test_each_citys_set_has_a_template_for_every_kind_its_regulation_provides(key):
    regulation = REGULATIONS[key]
    assert regulation.jenis <= set(LETTER_KINDS)
    folder = TEMPLATES / regulation.template_set
    assert {path.stem for path in folder.glob("*.docx")} == regulation.jenis
    assert (folder / "lambang" / "lambang-daerah.png").is_file()  # the one placeholder serves every city
    generated = _sets()[regulation.template_set]
    assert generated.folder == regulation.template_set and generated.letters == regulation.jenis


def test_a_rule_cites_its_article_in_the_letters_regulation():
    assert KETUA_TIM.citation(MALANG) == "Perwal Kota Malang 16/2023 Pasal 9 ayat (3)"
    assert KETUA_TIM.citation(CILEGON) == "Perwal Kota Cilegon 17/2023 Lampiran huruf C angka 1 huruf c"
    assert KETUA_TIM.citation(TANGERANG) == "Perwal Kota Tangerang 12/2023 Pasal 22 ayat (1)"
    assert current() == MALANG and str(KETUA_TIM) == KETUA_TIM.citation(MALANG)
    with under(TANGERANG):
        assert current() == TANGERANG
        refusal = cite("two Ketua", KETUA_TIM)
        assert citation_of(refusal) == "Perwal Kota Tangerang 12/2023 Pasal 22 ayat (1)" and refusal == "two Ketua"
    assert current() == MALANG


def test_a_rule_a_regulation_does_not_state_is_not_enforced_there_or_cites_its_source():
    assert PERSETUJUAN_ATASAN.applies(MALANG) and not PERSETUJUAN_ATASAN.applies(CILEGON)
    assert PERSETUJUAN_ATASAN.citation(TANGERANG) is None
    assert URAIAN_TUGAS.applies(TANGERANG) and not URAIAN_TUGAS.applies(MALANG)
    assert EKSPEKTASI_KINERJA.applies(CILEGON) and not EKSPEKTASI_KINERJA.applies(TANGERANG)
    assert FORMAT_SURAT_TUGAS.citation(MALANG) == "Perwal Kota Malang 16/2023 Lampiran huruf C"
    assert FORMAT_SURAT_TUGAS.citation(CILEGON).startswith("Permendagri 1/2023")
    assert all(STRUKTUR_NIP.citation(key) == "aturan naskah (struktur NIP)" for key in REGULATIONS)
    assert Rule("Pasal 1").applies(MALANG) and not Rule("Pasal 1").applies(CILEGON)


def _mapping(tmp_path, text: str) -> Mapping:
    path = tmp_path / "m.yaml"
    path.write_text(textwrap.dedent(text))
    return Mapping.load(path)


def test_a_mapping_without_peraturan_follows_malang_and_its_templates(tmp_path):
    mapping = _mapping(tmp_path, """
        letter: surat_tugas_individu
        template: surat_tugas_individu.docx
        context: {nomor: data.nomor}
    """)
    assert mapping.peraturan == MALANG and mapping.template == "surat_tugas_individu.docx"


def test_the_regulation_chooses_the_template_set_and_is_the_mappings_not_the_payloads(tmp_path):
    mapping = _mapping(tmp_path, """
        peraturan: perwal_tangerang_12_2023
        letter: surat_perintah
        template: surat_perintah.docx
        context: {nomor: data.nomor}
    """)
    assert mapping.template == "tangerang/surat_perintah.docx"
    assert (TEMPLATES / mapping.template).is_file()
    mapped = mapping.apply({"peraturan": MALANG, "data": {"nomor": "1", "peraturan": MALANG}})
    assert mapped.fields["peraturan"] == TANGERANG


@pytest.mark.parametrize("text, error", [
    ("peraturan: perwal_bogor_1_2024\nletter: surat_tugas_individu\ntemplate: x.docx\ncontext: {}\n",
     r"peraturan: unknown regulation 'perwal_bogor_1_2024'"),
    ("peraturan: perwal_cilegon_17_2023\nletter: surat_perintah\ntemplate: surat_perintah.docx\ncontext: {}\n",
     r"Perwal Kota Cilegon 17/2023 provides no letter of kind 'surat_perintah'"),
    ("letter: surat_perintah\ntemplate: surat_perintah.docx\ncontext: {peraturan: '\"perwal_malang_16_2023\"'}\n",
     r"context.peraturan: the regulation is the mapping's own top-level"),
    ("letter: surat_perintah\ntemplate: ../surat_perintah.docx\ncontext: {}\n",
     r"template: a file name in the regulation's template set"),
])
def test_a_wrong_regulation_is_a_config_error_naming_the_key(tmp_path, text, error):
    path = tmp_path / "m.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=error):
        Mapping.load(path)


def test_every_shipped_example_goes_to_exactly_one_mapping_of_its_citys_regulation():
    mappings = load_mappings(SOURCE_ROOT / "mappings")
    by_code = {"35.73": MALANG, "36.72": CILEGON, "36.71": TANGERANG}
    seen = set()
    for mapping in mappings.values():
        for example in mapping.examples:
            payload = json.loads(example.read_text(encoding="utf-8"))
            assert route(payload, mappings) is mapping, example  # route refuses two matches
            assert mapping.peraturan == by_code[payload["data"]["instansi"]["kode_wilayah"]], example
            seen.add(mapping.peraturan)
    assert seen == set(REGULATIONS)


def test_a_payload_of_another_city_keeps_going_to_the_malang_mappings():
    """A host that sends no kode_wilayah, or another city's, keeps the Malang set it had before there was a
    choice; Cilegon's (36.72) and Tangerang's (36.71) go to their own."""
    mappings = load_mappings(SOURCE_ROOT / "mappings")
    payload = load_sample("surat-tugas-individu")
    del payload["data"]["instansi"]["kode_wilayah"]
    assert route(payload, mappings).peraturan == MALANG
    payload["data"]["instansi"]["kode_wilayah"] = "36.71"
    assert route(payload, mappings).peraturan == TANGERANG
