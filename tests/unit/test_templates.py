"""The shipped templates stay lean: LibreOffice reads every style and part of a DOCX on each conversion,
and python-docx's default template (which the generators start from) brings 164 styles and a copy of
them with effects, ~80 ms of LibreOffice's CPU per letter. templates/build/docx_parts.save_lean keeps
only what the letter uses."""
import re
import zipfile

import pytest

from naskah.config import SOURCE_ROOT

TEMPLATES = sorted((SOURCE_ROOT / "templates").glob("*.docx"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.stem)
def test_a_template_carries_only_the_styles_and_parts_it_uses(template):
    with zipfile.ZipFile(template) as package:
        names = set(package.namelist())
        styles = package.read("word/styles.xml").decode()
        content = "".join(package.read(name).decode() for name in names
                          if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", name))
    assert not names & {"word/stylesWithEffects.xml", "docProps/thumbnail.jpeg", "word/webSettings.xml"}
    assert not any(name.startswith("customXml/") for name in names)
    assert "w:latentStyles" not in styles
    defined = set(re.findall(r'w:styleId="([^"]+)"', styles))
    used = set(re.findall(r'<w:(?:pStyle|rStyle|tblStyle) w:val="([^"]+)"', content))
    assert used <= defined
    assert len(defined) <= 10, sorted(defined)


def test_there_are_templates():
    assert len(TEMPLATES) == 10
