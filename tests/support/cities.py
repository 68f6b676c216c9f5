"""What the per-city tests share (tests/scenarios/test_city_*.py): a city's sample payloads issued from the command
line with the demo key, the checks a secretariat and an auditor make on each signed PDF, and a payload's refusal
as the host sees it (field -> problem)."""
from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from naskah.config import SOURCE_ROOT
from naskah.errors import PayloadError, Problem
from naskah.mapping import load_mappings
from naskah.route import route
from naskah.validate import validate

from checks import assert_pdfa_2b, flat, pdfsig, pdftotext_pages

MAPPINGS_DIR = SOURCE_ROOT / "mappings"
#: the footer of every page (the signing profile's words)
FOOTER = re.compile(r"Dokumen ini telah ditandatangani secara elektronik[^.]*\.")


def city_sample(city: str, name: str) -> dict:
    """A fresh copy of one of a city's sample payloads (mappings/examples/<city>/<name>.json)."""
    return copy.deepcopy(json.loads((MAPPINGS_DIR / "examples" / city / f"{name}.json").read_text(encoding="utf-8")))


def issue(city: str, samples: dict[str, str], data_dir: Path, store: Path) -> dict[str, Path]:
    """``samples`` (letter kind -> sample name) issued, signed, by ``naskah issue`` in one run."""
    env = dict(os.environ, NASKAH_DATA_DIR=str(data_dir), NASKAH_STORE_DIR=str(store))
    paths = [str(MAPPINGS_DIR / "examples" / city / f"{name}.json") for name in samples.values()]
    result = subprocess.run([sys.executable, "-m", "naskah.cli", "issue", *paths], capture_output=True, text=True,
                            env=env)
    assert result.returncode == 0, f"naskah issue:\n{result.stdout}\n{result.stderr}"
    issued = dict(re.findall(r"^issued (\w+) .+ -> (.+\.pdf)$", result.stdout, re.MULTILINE))
    assert set(issued) == set(samples), result.stdout
    return {kind: Path(path) for kind, path in issued.items()}


def text(pdf: Path) -> str:
    """The letter's text on one line, without the footers between its pages."""
    return flat(" ".join(FOOTER.sub(" ", page) for page in pdftotext_pages(pdf))).replace("\u00a0", " ")


def assert_signed_archival_with_one_emblem(pdf: Path, emblem: bool = True) -> None:
    """pdfsig finds the signature valid, the PDF is still PDF/A-2b, and the emblem is on page 1 only (a letter
    without a kop, ``emblem=False``, has no picture at all)."""
    report = pdfsig(pdf)
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Total document signed" in report, report
    assert_pdfa_2b(pdf)
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    images = [line.split() for line in listing]
    emblems = [row for row in images if row[2] == "image" and row[5] == "rgb"]
    assert [row[0] for row in emblems] == (["1"] if emblem else []), listing
    assert not [row for row in images if row[2] == "smask"], "no transparency in the emblem"


_MAPPINGS = {}


def mappings() -> dict:
    if not _MAPPINGS:
        _MAPPINGS.update(load_mappings(MAPPINGS_DIR))
    return _MAPPINGS


def problems(payload: dict) -> dict[str, Problem]:
    """The payload's refusal as the host sees it, by payload field ({} when the letter is accepted); the payload is
    routed by the shipped mappings' match rules, so its city chooses the regulation."""
    mapping = route(payload, mappings())
    try:
        validate(mapping.letter, mapping.apply(payload), "test")
    except PayloadError as exc:
        return {problem.field: problem for problem in exc.problems}
    return {}


def assert_refused(payload: dict, field: str, citation: str) -> Problem:
    """Refused naming ``field``, citing ``citation`` in the message and as the problem's citation."""
    found = problems(payload)
    assert field in found, found
    assert found[field].citation == citation, found[field]
    assert citation in found[field].message, found[field]
    return found[field]


def common_tests(city: str, samples: dict[str, str], without_kop: set[str]):
    """What every city's module asks of each of its letters: the module-scoped ``issued`` fixture (every sample
    issued once), signed and archival with the emblem on page 1 only, and a kop in the words of Permendagri
    1/2023 (the Cilegon and Tangerang Perwal have no letter format of their own) naming the city, not Malang."""

    @pytest.fixture(scope="module")
    def issued(tmp_path_factory, data_dir):
        return issue(city, samples, data_dir, tmp_path_factory.mktemp("store"))

    @pytest.mark.parametrize("kind", samples)
    def test_signed_valid_archival_with_the_emblem_on_page_one(issued, kind):
        assert_signed_archival_with_one_emblem(issued[kind], emblem=kind not in without_kop)

    @pytest.mark.parametrize("kind", sorted(set(samples) - without_kop))
    def test_the_kop_is_the_citys(issued, kind):
        letter = text(issued[kind])
        for part in (f"PEMERINTAH KOTA {city.upper()}", "Laman:", "Pos-el:"):
            assert part in letter, part
        assert "Website:" not in letter and "e-mail:" not in letter and "Malang" not in letter

    return issued, test_signed_valid_archival_with_the_emblem_on_page_one, test_the_kop_is_the_citys
