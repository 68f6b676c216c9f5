"""The parts only some cities' templates have (build/sets.py says which set has which)."""
from __future__ import annotations

from docx import Document

from docx_parts import NUMBER_INDENT, numbered, tag

#: a list item's end: ";" after each item, "." after the last
_END = '{{ "." if loop.last else ";" }}'


def add_uraian_tugas(doc: Document, number: str = "b.") -> None:
    """A Tangerang request's third content (Perwal Kota Tangerang 12/2023 Pasal 24 ayat (3) huruf c, "uraian tugas
    dan target capaian individu"): each duty, then the target the official reaches in it.

    A list, not a table: LibreOffice lets a table before the closing lines break the chain that keeps the signature
    block together (its title stayed at the foot of page 1 with the name on page 2)."""
    numbered(doc, number, "Uraian tugas dan target capaian individu:", keep_with_next=True)
    tag(doc, "{%p for u in uraian_tugas %}")
    numbered(doc, "{{ loop.index }}.", "{{ u.tugas|trim('.;') }}, dengan target capaian: {{ u.target|trim('.;') }}"
             + _END, left=NUMBER_INDENT)
    tag(doc, "{%p endfor %}")
