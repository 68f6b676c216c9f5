"""The render stage: a DOCX template and a letter's fields make the letter as DOCX. Values are data: XML special
characters are escaped and print as written, template syntax in a value is printed, never run; a name the
letter lacks is an error, not a blank; a preview says DRAFT on every page (converted by real LibreOffice)."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from naskah.errors import ConfigError
from naskah.render import DRAFT_FOOTER, load_template, render_docx, template_variables

from checks import flat, pdftotext_pages

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HOSTILE = "Dra. R.A. \"Sri\" O'Neil & <Partners> ]]> <w:t>"
TEMPLATE_SYNTAX = "{{ 7*7 }} {% for x in range(3) %}X{% endfor %} {{ ''.__class__.__mro__ }}"


def _template(folder: Path, *paragraphs: str, footer: str = "{{ footer }}") -> Path:
    """A DOCX template of our own (python-docx), one run per paragraph so that each tag stays whole."""
    from docx import Document

    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.sections[0].footer.paragraphs[0].text = footer
    path = folder / "t.docx"
    document.save(path)
    return path


def _parts(docx: bytes) -> dict[str, str]:
    """Each document part's XML text, checked to be well-formed, by name (document, footer1...)."""
    parts = {}
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        for name in package.namelist():
            if name.startswith("word/") and name.endswith(".xml") and ("document" in name or "footer" in name):
                xml = package.read(name)
                etree.fromstring(xml)  # raises when a value broke the XML
                parts[name.removeprefix("word/").removesuffix(".xml")] = xml.decode("utf-8")
    return parts


def _text(xml: str) -> str:
    """The text of a part as Word shows it: the runs of each paragraph joined, paragraphs one per line."""
    root = etree.fromstring(xml.encode("utf-8"))
    return "\n".join("".join(t.text or "" for t in p.iter(f"{W}t")) for p in root.iter(f"{W}p"))


def test_xml_special_characters_are_escaped_and_print_as_written(tmp_path):
    docx = render_docx(_template(tmp_path, "Nama: {{ nama }}"), {"nama": HOSTILE, "footer": "kaki & <surat>"})
    parts = _parts(docx)
    assert f"Nama: {HOSTILE}" in _text(parts["document"]).splitlines()
    assert "&amp; &lt;Partners&gt; ]]&gt; &lt;w:t&gt;" in parts["document"]  # escaped, not markup
    assert _text(parts["footer1"]) == "kaki & <surat>"


def test_template_syntax_in_a_value_is_printed_not_run(tmp_path):
    docx = render_docx(_template(tmp_path, "{{ hal }}", "{{ untuk }}"),
                       {"hal": TEMPLATE_SYNTAX, "untuk": "{{ config }}", "footer": ""})
    lines = _text(_parts(docx)["document"]).splitlines()
    assert TEMPLATE_SYNTAX in lines and "{{ config }}" in lines
    assert not any(marker in "\n".join(lines) for marker in ("49", "XXX", "<class"))


def test_a_name_the_letter_does_not_have_is_an_error_not_a_blank(tmp_path):
    template = _template(tmp_path, "Nama: {{ nama }}", "NIP: {{ nip }}")
    with pytest.raises(ConfigError, match=r"^template t\.docx: 'nip' is undefined$"):
        render_docx(template, {"nama": "Maria", "footer": ""})
    assert template_variables(load_template(template)) == {"nama", "nip", "footer"}
    with pytest.raises(ConfigError, match=r"cannot read template .*missing\.docx"):
        render_docx(tmp_path / "missing.docx", {})


def test_the_shipped_template_escapes_a_hostile_name(naskah, sample, settings):
    payload = sample("surat-tugas-individu")
    payload["data"]["pegawai"]["nama"] = HOSTILE
    payload["data"]["untuk"] = [TEMPLATE_SYNTAX]
    prepared = naskah.prepare(payload)
    docx = render_docx(settings.templates_dir / prepared.mapping.template, prepared.context | {"footer": "x"})
    text = _text(_parts(docx)["document"])
    assert HOSTILE in text and TEMPLATE_SYNTAX in text


def test_a_preview_says_draft_in_the_footer_of_every_page(naskah, sample, tmp_path):
    payload = sample("surat-tugas-tim")  # the letter and its lampiran: more than one page
    footers = {name: _text(xml) for name, xml in _parts(naskah.render(payload, pdf=False)).items()
               if name.startswith("footer")}
    assert footers and all(text == DRAFT_FOOTER for text in footers.values())
    pdf = tmp_path / "draft.pdf"
    pdf.write_bytes(naskah.render(payload))  # converted by LibreOffice
    pages = pdftotext_pages(pdf)
    assert len(pages) >= 2
    assert all(DRAFT_FOOTER in flat(page) for page in pages)
    assert not any("ditandatangani secara elektronik" in flat(page) for page in pages)
