"""How values are written in an Indonesian official letter; these are the filters templates use.

``{{ tanggal_ditetapkan|tanggal }}`` gives "27 Juni 2023", ``{{ pegawai.nip|nip }}`` gives
"19850314 201001 1 002".
"""
from __future__ import annotations

import datetime as dt

from babel.dates import format_date


def tanggal(value: dt.date | str | None) -> str:
    """A date as letters write it: day, month spelled out in Indonesian, year."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return format_date(value, format="d MMMM y", locale="id")


def nip(value: str | None) -> str:
    """An 18-digit NIP grouped 8-6-1-3 as printed on letters; anything else is left as given."""
    if not value:
        return ""
    digits = str(value).replace(" ", "")
    if len(digits) != 18 or not digits.isdigit():
        return str(value)
    return f"{digits[:8]} {digits[8:14]} {digits[14]} {digits[15:]}"


#: The filters every template and mapping expression can use.
FILTERS = {"tanggal": tanggal, "nip": nip}
