"""The language naskah speaks to people: Indonesian by default, English when the installation (``language =
"en"``) or an HTTP request (``Accept-Language``) asks. Operators' logs stay English.

Messages are written in English in the code, with named placeholders (``_("... {nip} ...").format(nip=...)``),
and translated through the gettext catalog ``locale/id/LC_MESSAGES/naskah.po`` kept with Babel (English is the
source language: it needs no catalog). The language of the moment is a context variable: the CLI sets it from
the settings, the service for each request; work handed to another thread takes it along
(``contextvars.copy_context``). Without one, messages are Indonesian.

A catalog is compiled when it is first needed: from ``naskah.mo`` when a build compiled it (``pybabel compile
-D naskah -d plugin/naskah/locale``) and it is not older than the ``.po``, else from the ``.po`` itself, in
memory with Babel. So a checkout installed with ``pip install -e .`` needs no build step, and a stale ``.mo``
is never used. After changing a message (``tests/unit/test_i18n.py`` fails until every one is translated)::

    pybabel extract -F babel.cfg -o /tmp/naskah.pot plugin/naskah
    pybabel update -i /tmp/naskah.pot -D naskah -d plugin/naskah/locale -l id --no-fuzzy-matching
    # then write the Indonesian of each new entry (msgstr "") in plugin/naskah/locale/id/LC_MESSAGES/naskah.po
"""
from __future__ import annotations

import contextvars
import functools
import gettext as _gettext
import io
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

DOMAIN = "naskah"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: the languages naskah speaks; the first is the default
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
#: the language of the messages in the code
SOURCE_LANGUAGE = "en"

_language: contextvars.ContextVar[str | None] = contextvars.ContextVar("naskah_language", default=None)


def current_language() -> str:
    """The language of the moment: the context's, else Indonesian."""
    return _language.get() or DEFAULT_LANGUAGE


def set_language(language: str) -> contextvars.Token:
    """Speak ``language`` in this context from now on (``reset_language(token)`` undoes it)."""
    if language not in LANGUAGES:
        raise ValueError(f"naskah speaks {' and '.join(LANGUAGES)}, not {language!r}")
    return _language.set(language)


def reset_language(token: contextvars.Token) -> None:
    _language.reset(token)


@contextmanager
def language(name: str) -> Iterator[None]:
    """``with language("en"): ...`` speaks English inside the block."""
    token = set_language(name)
    try:
        yield
    finally:
        reset_language(token)


_RANGE = re.compile(r"^\s*([A-Za-z]{1,8}|\*)(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]{1,5}))?\s*$")


def negotiate(accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The language an ``Accept-Language`` header prefers among naskah's (``in`` is Indonesian's old code), or
    ``default`` when it names none of them (or is absent, or malformed)."""
    choices: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")[:20]):
        match = _RANGE.match(item)
        if not match:
            continue
        try:
            weight = float(match.group(2)) if match.group(2) is not None else 1.0
        except ValueError:
            continue
        primary = match.group(1).lower()
        name = default if primary == "*" else {"in": "id"}.get(primary, primary)
        if weight > 0 and name in LANGUAGES:
            choices.append((-weight, position, name))
    return min(choices)[2] if choices else default


@functools.lru_cache(maxsize=None)
def _translations(language: str) -> _gettext.NullTranslations:
    if language == SOURCE_LANGUAGE:
        return _gettext.NullTranslations()
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as compiled:
            return _gettext.GNUTranslations(compiled)
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def gettext(message: str) -> str:
    """``message`` (English, as written in the code) in the language of the moment."""
    return _translations(current_language()).gettext(message)


_ = gettext


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a message for ``count`` things, in the language of the moment."""
    return _translations(current_language()).ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    """A short word that means different things in different places (``pgettext("state", "signed")``)."""
    return _translations(current_language()).pgettext(context, message)


def N_(message: str) -> str:
    """Marks a message for the catalog where it is written (a module constant); it is translated where it is
    said, with ``_(CONSTANT)``."""
    return message


class Text(str):
    """A message kept in English that can be said again in another language: ``Text(N_("... {x}"), x=1)`` reads
    as the English text (what is stored, compared and logged), and :func:`say` gives it in the language of the
    moment. For findings kept and shown later, such as a verification report."""

    template: str
    params: dict

    def __new__(cls, template: str, **params) -> "Text":
        text = super().__new__(cls, template.format(**params) if params else template)
        text.template, text.params = template, params
        return text

    def __reduce__(self):
        return _text, (self.template, self.params)


def _text(template: str, params: dict) -> Text:
    return Text(template, **params)


def say(text: str) -> str:
    """``text`` in the language of the moment when it is a :class:`Text`; any other string as it is."""
    if not isinstance(text, Text):
        return text
    params = {name: say(value) if isinstance(value, str) else value for name, value in text.params.items()}
    return gettext(text.template).format(**params) if params else gettext(text.template)


def date_text(day) -> str:
    """A date in a message: "14 Maret 1985" in Indonesian, as letters write it; ISO (1985-03-14) in English."""
    if current_language() == SOURCE_LANGUAGE:
        return day.isoformat()
    from babel.dates import format_date

    return format_date(day, format="d MMMM y", locale=current_language())
