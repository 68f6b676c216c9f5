"""The kop's emblem (naskah.render): a plain PNG name in the templates' lambang/ folder becomes a picture 2.5 cm
high; a transparent PNG is flattened onto white (nothing transparent reaches the PDF/A); a missing file or one
that is not a PNG is the installation's error; a name that is a path is refused with the payload's problems."""
from __future__ import annotations

import copy
import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from naskah.config import SOURCE_ROOT
from naskah.errors import ConfigError, PayloadError
from naskah.letters.common import Kop
from naskah.mapping import load_mappings
from naskah.render import render_docx
from naskah.validate import validate

from samples import load_sample

KOP = {"pemerintah": "Pemerintah Kota Malang", "nama": "Dinas Komunikasi dan Informatika", "alamat": "Jalan Tugu 1"}


@pytest.fixture
def templates(tmp_path) -> Path:
    """A templates folder: one template printing the emblem, and a lambang/ folder."""
    from docx import Document

    document = Document()
    document.add_paragraph("{% if kop.lambang %}{{ kop.lambang }}{% endif %}{{ kop.nama }}")
    document.save(tmp_path / "t.docx")
    (tmp_path / "lambang").mkdir()
    return tmp_path


def _render(templates: Path, name: str | None) -> bytes:
    kop = Kop(**KOP, lambang=name).to_context()
    return render_docx(templates / "t.docx", {"kop": kop, "footer": ""})


def _media(docx: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        return {name: package.read(name) for name in package.namelist() if name.startswith("word/media/")}


def test_a_plain_png_goes_in_as_it_is_25_mm_high(templates):
    Image.new("RGB", (240, 300), (30, 60, 100)).save(templates / "lambang" / "kota.png")
    docx = _render(templates, "kota.png")
    assert list(_media(docx).values()) == [(templates / "lambang" / "kota.png").read_bytes()]
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        document = package.read("word/document.xml").decode()
    assert 'cy="900000"' in document  # 25 mm in EMU
    assert "DINAS KOMUNIKASI DAN INFORMATIKA" in document


def test_a_transparent_png_is_flattened_onto_white(templates):
    image = Image.new("RGBA", (100, 120), (0, 0, 0, 0))
    image.paste((200, 0, 0, 255), (25, 25, 75, 95))
    image.save(templates / "lambang" / "alpha.png")
    [data] = _media(_render(templates, "alpha.png")).values()
    flat = Image.open(io.BytesIO(data))
    assert flat.mode == "RGB" and flat.size == (100, 120)
    assert flat.getpixel((0, 0)) == (255, 255, 255) and flat.getpixel((50, 50)) == (200, 0, 0)


def test_a_wide_emblem_is_as_wide_as_its_column(templates):
    Image.new("RGB", (600, 200), "navy").save(templates / "lambang" / "wide.png")
    with zipfile.ZipFile(io.BytesIO(_render(templates, "wide.png"))) as package:
        document = package.read("word/document.xml").decode()
    assert 'cx="900000"' in document and 'cy="300000"' in document


def test_no_emblem_no_picture(templates):
    assert _media(_render(templates, None)) == {}


def test_a_missing_or_broken_emblem_is_the_installations_error(templates):
    with pytest.raises(ConfigError, match="missing.png"):
        _render(templates, "missing.png")
    (templates / "lambang" / "fake.png").write_bytes(b"GIF89a not a png")
    with pytest.raises(ConfigError, match="not a PNG"):
        _render(templates, "fake.png")


@pytest.mark.parametrize("name", ["../t.docx", "/etc/passwd", "lambang/kota.png", "kota.svg", ".hidden.png"])
def test_the_emblem_is_a_plain_png_name_never_a_path(name):
    mapping = load_mappings(SOURCE_ROOT / "mappings")["surat_tugas_individu"]
    mapped = mapping.apply(load_sample("surat-tugas-individu"))
    mapped.fields["kop"] = dict(copy.deepcopy(mapped.fields["kop"]), lambang=name)
    with pytest.raises(PayloadError) as refused:
        validate("surat_tugas_individu", mapped)
    assert [problem.field for problem in refused.value.problems] == ["(letter) kop.lambang"]
