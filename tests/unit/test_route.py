"""The route stage: which mapping takes a payload. Every shipped example goes to its own mapping alone; no match,
two matches and an unknown name are refused saying what was tried; a mapping named explicitly wins."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from naskah.config import SOURCE_ROOT, load_settings
from naskah.errors import PayloadError
from naskah.mapping import Mapping, load_mappings
from naskah.pipeline import Naskah
from naskah.route import route


def _mapping(folder: Path, name: str, match: str | None) -> Mapping:
    """A mapping file of its own, with ``match`` as its rule (none when None)."""
    folder.mkdir(parents=True, exist_ok=True)
    rule = f"match: '{match}'\n" if match else ""
    path = folder / f"{name}.yaml"
    path.write_text(f"letter: surat_tugas_individu\ntemplate: surat_tugas_individu.docx\n{rule}context: {{}}\n")
    return Mapping.load(path)


# --- through Naskah.prepare, with the shipped mappings ---

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


# --- route() itself ---

def test_every_shipped_example_goes_to_its_own_mapping_alone():
    mappings = load_mappings(SOURCE_ROOT / "mappings")
    routed = 0
    for mapping in mappings.values():
        for example in mapping.examples:
            payload = json.loads(example.read_text(encoding="utf-8"))
            assert [other.name for other in mappings.values() if other.matches(payload)] == [mapping.name], example
            assert route(payload, mappings) is mapping
            routed += 1
    assert routed == len(list((SOURCE_ROOT / "mappings" / "examples").rglob("*.json")))  # every city's


def test_no_match_says_which_rules_were_tried(tmp_path):
    mappings = {"tim": _mapping(tmp_path, "tim", 'workflow.jenis == "tim"'),
                "individu": _mapping(tmp_path, "individu", 'workflow.jenis == "individu"')}
    with pytest.raises(PayloadError) as refused:
        route({"workflow": {"jenis": "surat_edaran"}}, mappings)
    [problem] = refused.value.problems
    assert problem.field == ""  # the payload as a whole, not one of its fields
    assert problem.message == ('no mapping matches this payload (rules tried: tim: workflow.jenis == "tim"; '
                               'individu: workflow.jenis == "individu"); name one with --mapping')
    # a payload without the field a rule reads is not matched by it (and is no error of the rule)
    with pytest.raises(PayloadError, match="no mapping matches"):
        route({"data": {}}, mappings)


def test_a_mapping_without_a_match_rule_is_only_used_by_name(tmp_path):
    mappings = {"manual": _mapping(tmp_path, "manual", None)}
    with pytest.raises(PayloadError, match=r"no mapping matches this payload \(rules tried: none\)"):
        route({"workflow": {"jenis": "manual"}}, mappings)
    assert route({"workflow": {"jenis": "manual"}}, mappings, "manual") is mappings["manual"]


def test_two_matches_name_both_and_are_refused(tmp_path):
    mappings = {name: _mapping(tmp_path, name, "workflow.id") for name in ("a_first", "b_second")}
    mappings["c_other"] = _mapping(tmp_path, "c_other", 'workflow.jenis == "other"')
    with pytest.raises(PayloadError) as refused:
        route({"workflow": {"id": "WF-1"}}, mappings)
    assert str(refused.value.problems[0]) == ("more than one mapping matches this payload (a_first, b_second); "
                                              "name one with --mapping or make the match rules exclusive")


def test_a_named_mapping_wins_over_the_rules_and_an_unknown_name_lists_the_known_ones(tmp_path):
    mappings = {name: _mapping(tmp_path, name, "workflow.id") for name in ("b_second", "a_first")}
    payload = {"workflow": {"id": "WF-1"}}
    assert route(payload, mappings, "b_second") is mappings["b_second"]  # although both rules match
    with pytest.raises(PayloadError) as refused:
        route(payload, mappings, "nope")
    assert str(refused.value.problems[0]) == "no mapping named 'nope'; available: a_first, b_second"
