"""The numbering register: letter numbers taken at signing, gap-free, one sequence per key (unit and year).

A mapping's ``numbering`` names the number's form over the letter's fields, with ``urut`` the sequence::

    numbering:
      format: "{klasifikasi}/{urut:04d}/{kode_unit}/{tahun}"    # 800.1.11.1/0123/35.73.401/2023
      key: "{kode_unit}/{tahun}"                                # one sequence per unit and year (the default)

A number is taken inside the signing's transaction and kept only if the signature succeeds::

    with register.assign(numbering, fields, letter_id=...) as number:
        ...render and sign with ``number``...       # an exception here gives the number back

The transaction holds the sequence's lock until it ends (SQLite: ``BEGIN IMMEDIATE``, the whole file, so keep
the register in a file of its own or share one Database with the lifecycle; PostgreSQL: ``SELECT ... FOR
UPDATE`` on the key's counter row), so concurrent signers in several processes get consecutive numbers.
A number the host supplies is checked against every number used and recorded the same way (``supplied``).
"""
from __future__ import annotations

import os
import string
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from .database import POSTGRESQL, Cursor, Database, now_text
from .errors import ConfigError, NaskahError
from .i18n import N_, _

SEQUENCE = "urut"
DEFAULT_KEY = "{kode_unit}/{tahun}"

# messages a secretariat user may see, each written once (for the gettext catalogs)
MISSING_FIELD = N_("the letter number needs {field}, which this letter does not give")
NUMBER_TAKEN = N_("the number {number} is used already by another letter")
NUMBER_EMPTY = N_("the letter number is empty")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS naskah_number_counters (key TEXT PRIMARY KEY, last INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS naskah_numbers_used (
        number     TEXT PRIMARY KEY,
        key        TEXT,
        sequence   INTEGER,
        letter_id  TEXT,
        source     TEXT NOT NULL,
        at         TEXT NOT NULL
    )""",
)


class NumberingError(NaskahError):
    """A letter number could not be given: a field it needs is missing, or the number is taken (the message in the
    language of the moment)."""

    def __init__(self, template: str, **facts):
        self.template, self.facts = template, facts
        super().__init__(_(template).format(**facts))


class NumberTaken(NumberingError):
    def __init__(self, number: str):
        self.number = number
        super().__init__(NUMBER_TAKEN, number=number)


class Numbering(BaseModel):
    """A mapping's numbering: the number's format and the key of its sequence, over the letter's fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: str
    key: str = DEFAULT_KEY

    @field_validator("format", "key")
    @classmethod
    def _plain_fields(cls, value: str) -> str:
        _field_names(value)
        return value

    @model_validator(mode="after")
    def _sequence_in_format_only(self) -> "Numbering":
        if SEQUENCE not in _field_names(self.format):
            raise ValueError(f"the number format needs the sequence {{{SEQUENCE}}}, e.g. {{{SEQUENCE}:04d}}")
        if SEQUENCE in _field_names(self.key):
            raise ValueError(f"the sequence key cannot contain {{{SEQUENCE}}}: it names the sequence")
        return self

    def key_for(self, fields: Mapping[str, Any]) -> str:
        return _format(self.key, fields)

    def number_for(self, fields: Mapping[str, Any], sequence: int) -> str:
        return _format(self.format, {**fields, SEQUENCE: sequence})


class NumberRegister:
    """Counters per key and every number used, at a location (path, ``postgresql://...``, or a Database)."""

    def __init__(self, location: str | os.PathLike | Database):
        self.db = location if isinstance(location, Database) else Database(location, "the numbering register")
        self.db.create(*_SCHEMA)

    @contextmanager
    def assign(self, numbering: Numbering, fields: Mapping[str, Any], *, letter_id: str | None = None
               ) -> Iterator[str]:
        """The next number of the key's sequence; used when the block ends, given back if it raises."""
        key = numbering.key_for(fields)
        with self.db.transaction() as db:
            db.execute("INSERT INTO naskah_number_counters (key, last) VALUES (?, 0) ON CONFLICT (key) DO NOTHING",
                       (key,))
            lock = " FOR UPDATE" if db.kind == POSTGRESQL else ""
            sequence = db.rows(f"SELECT last FROM naskah_number_counters WHERE key = ?{lock}", (key,))[0][0]
            while True:  # a number the host supplied earlier is not given again: the sequence moves past it
                sequence += 1
                number = numbering.number_for(fields, sequence)
                if _use(db, number, key, sequence, letter_id, "register"):
                    break
            db.execute("UPDATE naskah_number_counters SET last = ? WHERE key = ?", (sequence, key))
            yield number

    @contextmanager
    def supplied(self, number: str, *, letter_id: str | None = None) -> Iterator[str]:
        """A number the host gives: refused (:class:`NumberTaken`) if used already; used when the block ends."""
        number = number.strip()
        if not number:
            raise NumberingError(NUMBER_EMPTY)
        with self.db.transaction() as db:
            if not _use(db, number, None, None, letter_id, "host"):
                raise NumberTaken(number)
            yield number

    def is_used(self, number: str) -> bool:
        with self.db.transaction(write=False) as db:
            return bool(db.rows("SELECT 1 FROM naskah_numbers_used WHERE number = ?", (number.strip(),)))

    def last(self, key: str) -> int:
        """The last sequence number used for ``key`` (0 before the first)."""
        with self.db.transaction(write=False) as db:
            rows = db.rows("SELECT last FROM naskah_number_counters WHERE key = ?", (key,))
        return rows[0][0] if rows else 0


def _use(db: Cursor, number: str, key: str | None, sequence: int | None, letter_id: str | None, source: str) -> bool:
    """Record a number as used; False when it was already (the UNIQUE number decides, also between processes)."""
    return db.execute(
        "INSERT INTO naskah_numbers_used (number, key, sequence, letter_id, source, at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (number) DO NOTHING", (number, key, sequence, letter_id, source, now_text())) == 1


class _PlainFields(string.Formatter):
    """str.format over plain names only: ``{kode_unit}``, never ``{x.attribute}`` or ``{x[0]}``."""

    def get_field(self, field_name, args, kwargs):
        value = kwargs.get(field_name)
        if value is None or value == "":
            raise NumberingError(MISSING_FIELD, field=field_name)
        return value, field_name


_FORMATTER = _PlainFields()


def _field_names(template: str) -> set[str]:
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as error:
        raise ValueError(f"{template!r} is not a number format: {error}") from None
    names = {name for _text, name, _spec, _conversion in parsed if name is not None}
    for name in names:
        if not name.isidentifier():
            raise ValueError(f"{template!r}: {{{name}}} is not a plain field name (letters, digits, _)")
    return names


def _format(template: str, fields: Mapping[str, Any]) -> str:
    try:
        return _FORMATTER.vformat(template, (), dict(fields))
    except (ValueError, TypeError) as error:
        raise ConfigError(f"the number format {template!r} does not fit the letter's fields: {error}") from None
