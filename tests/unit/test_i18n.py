"""naskah speaks Indonesian by default and English on request: the catalog holds an Indonesian text for every
message the code says (extracted with Babel, as ``pybabel extract`` does), the language comes from the setting
or the request, and an English message is exactly the text written in the code."""
from __future__ import annotations

import contextvars
import pickle
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import naskah
from naskah import i18n
from naskah.config import SOURCE_ROOT, load_settings
from naskah.errors import ConfigError
from naskah.i18n import N_, Text, gettext, language, negotiate, ngettext, pgettext, say

PACKAGE = Path(naskah.__file__).parent
CATALOG = PACKAGE / "locale" / "id" / "LC_MESSAGES" / "naskah.po"


def _extracted() -> dict[tuple[str | None, str], tuple[str, list[str]]]:
    """Every message of the code, by (context, msgid): the plural form, if any, and where it is said."""
    with open(SOURCE_ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[tuple[str | None, str], tuple[str, list[str]]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(str(PACKAGE), method_map, options_map):
        singular, plural = (message, "") if isinstance(message, str) else message[:2]
        found.setdefault((context, singular), (plural, []))[1].append(f"{filename}:{lineno}")
    return found


def _catalog():
    with open(CATALOG, "rb") as po:
        return read_po(po, locale="id", domain="naskah")


def _names(template: str) -> set[str]:
    return {name for _text, name, _spec, _conversion in string.Formatter().parse(template) if name}


def test_every_message_of_the_code_has_its_indonesian_text():
    catalog = _catalog()
    untranslated = []
    for (context, msgid), (plural, where) in sorted(_extracted().items(), key=lambda item: item[1][1]):
        entry = catalog.get(msgid, context=context)
        texts = [] if entry is None else list(entry.string) if isinstance(entry.string, tuple) else [entry.string]
        if entry is None or entry.fuzzy or not all(text.strip() for text in texts) or not texts:
            untranslated.append(f"{where[0]}: {msgid!r}" + (f" (context {context})" if context else ""))
    assert not untranslated, ("messages without an Indonesian text in plugin/naskah/locale/id/LC_MESSAGES/naskah.po "
                              "(see plugin/naskah/i18n.py):\n" + "\n".join(untranslated))


def test_the_catalog_holds_no_message_the_code_no_longer_says():
    extracted = _extracted()
    stale = [entry.id for entry in _catalog() if entry.id and (entry.context, entry.id if isinstance(entry.id, str)
                                                               else entry.id[0]) not in extracted]
    assert not stale


def test_translations_keep_to_the_placeholders_of_their_message():
    """A translation may leave a placeholder out, never bring one the code does not give (str.format would fail)."""
    wrong = []
    for entry in _catalog():
        if not entry.id:
            continue
        ids = [entry.id] if isinstance(entry.id, str) else list(entry.id)
        texts = [entry.string] if isinstance(entry.string, str) else list(entry.string)
        given = set().union(*(_names(msgid) for msgid in ids))
        wrong += [f"{ids[0]!r} -> {text!r}" for text in texts if not _names(text) <= given]
    assert not wrong


def test_indonesian_is_the_default_and_english_is_the_code_itself():
    message = "a team has exactly one Ketua; found {count}: {found}"
    assert contextvars.Context().run(gettext, message) == ("tim kerja harus memiliki tepat satu Ketua Tim; "
                                                            "ditemukan {count}: {found}")
    with language("en"):
        assert gettext(message) == message
    with language("id"):
        assert ngettext("payload refused, {count} problem", "payload refused, {count} problems", 2) == \
            "payload ditolak, {count} masalah"
        assert pgettext("state", "awaiting_signature") == "menunggu tanda tangan"
        assert gettext("a message the catalog does not know") == "a message the catalog does not know"


@pytest.mark.parametrize("header, chosen", [
    (None, "id"), ("", "id"), ("en", "en"), ("en-US,en;q=0.9", "en"), ("id-ID,id;q=0.9,en;q=0.8", "id"),
    ("fr-FR, en;q=0.5", "en"), ("fr, de", "id"), ("en;q=0.2, id;q=0.9", "id"), ("in", "id"), ("*", "id"),
    ("en;q=0, id", "id"), ("en;q=abc, id", "id"), ("garbage;;;", "id"),
])
def test_accept_language_chooses_among_the_languages_naskah_speaks(header, chosen):
    assert negotiate(header, "id") == chosen


def test_accept_language_without_a_language_of_naskah_keeps_the_installations():
    assert negotiate("fr, de;q=0.8", "en") == "en" and negotiate("*", "en") == "en"


def test_the_setting_is_indonesian_unless_told(monkeypatch, tmp_path):
    monkeypatch.delenv("NASKAH_LANGUAGE", raising=False)
    assert load_settings(None).language == "id"
    monkeypatch.setenv("NASKAH_LANGUAGE", "en")
    assert load_settings(None).language == "en"
    monkeypatch.delenv("NASKAH_LANGUAGE")
    config = tmp_path / "naskah.toml"
    config.write_text('language = "id"\n')
    assert load_settings(config).language == "id"
    config.write_text('language = "jv"\n')
    with pytest.raises(ConfigError, match="language"):
        load_settings(config)
    with pytest.raises(ValueError):
        i18n.set_language("jv")


def test_a_kept_text_is_english_and_said_in_the_language_of_the_moment():
    found = Text(N_("validation failed: {error}"), error="ValueError: x")
    assert found == "validation failed: ValueError: x" and isinstance(found, str)
    with language("id"):
        assert say(found) == "validasi gagal: ValueError: x"
        assert say("plain text stays as it is") == "plain text stays as it is"
    copy = pickle.loads(pickle.dumps(found))
    assert copy == found and copy.template == found.template and copy.params == found.params


def test_dates_in_messages():
    import datetime as dt
    with language("id"):
        assert i18n.date_text(dt.date(2023, 6, 27)) == "27 Juni 2023"
    with language("en"):
        assert i18n.date_text(dt.date(2023, 6, 27)) == "2023-06-27"


def test_the_catalog_ships_with_the_package():
    """setup.cfg puts the catalogs into the package; no compiled catalog is needed: the .po is compiled when
    first used."""
    setup = (SOURCE_ROOT / "setup.cfg").read_text(encoding="utf-8")
    assert re.search(r"^naskah = .*locale/\*/LC_MESSAGES/\*\.po", setup, re.MULTILINE)
    assert CATALOG.is_file()
