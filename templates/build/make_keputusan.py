"""Generate the Keputusan that forms a Tim Kerja and appoints its Ketua (letter kind ``keputusan_tim_kerja``):

    templates/keputusan_tim_kerja.docx

Layout of a Keputusan (Permendagri 1/2023 on naskah dinas), top to bottom: the kop (page 1 only), KEPUTUSAN and
the official, NOMOR, TENTANG and the subject, the official's title with a comma; Menimbang (a, b, ...) and
Mengingat (1, 2, ...) as "label : list"; MEMUTUSKAN:; Menetapkan: and the diktum KESATU (the team, listed in the
Lampiran), KEDUA (its Ketua), KETIGA (its duties), KEEMPAT (its reports), the payload's own diktum, and the last one
(when the Keputusan takes effect); Ditetapkan di / pada tanggal and the signature with the ``ttd`` bookmark; the
Salinan list; then the Lampiran on a new page: LAMPIRAN, KEPUTUSAN ..., NOMOR, TANGGAL, TENTANG on the right, the
team's table (as in the Surat Tugas, header repeated on every page) and the signature block again.

The variables are listed in templates/README.md ("Context of the Keputusan").

Every city's set has it (``--set cilegon``, ``--set tangerang``: build/sets.py); only the kop's contact words differ.

    .venv/bin/python templates/build/make_keputusan.py [--set malang|cilegon|tangerang] [OUTPUT_DIR]
"""
from __future__ import annotations

import sys

from docx import Document
from docx.enum.text import WD_LINE_SPACING
from docx.shared import Cm, Emu, Pt

from docx_parts import (ALIGN, SPACE_AFTER, TEXT_WIDTH, add_footer, add_kop, add_row, add_signature, add_tembusan,
                        first_paragraph, fixed_table, new_document, numbered, output_folder, paragraph, save_lean,
                        tag)
from make_surat_tugas import add_lampiran_table

#: "Menimbang", "KESATU", ...: the label, the colon, then the text (wrapped lines under the text).
LABEL_WIDTH, COLON_WIDTH = Cm(3.25), Cm(0.5)
WIDTHS = [LABEL_WIDTH, COLON_WIDTH, Emu(TEXT_WIDTH - LABEL_WIDTH - COLON_WIDTH)]
LETTERS = "abcdefghijklmnopqrstuvwxyz"
#: A list item gets ";" after it and "." after the last one, unless it ends with punctuation already.
LAST_DOT = '{% if ITEM[-1:] not in ".;:,!?" %}{{ "." if loop.last else ";" }}{% endif %}'
#: Menimbang and Mengingat items all end with ";" (the form of a Keputusan).
ALL_SEMICOLON = '{% if ITEM[-1:] not in ".;:,!?" %};{% endif %}'
#: The Lampiran heading's block: from here to the right margin.
LAMPIRAN_INDENT = Cm(7.5)


def centred(doc: Document, text: str, *, bold=False, space_after=Pt(0), keep_with_next=True):
    return paragraph(doc, text, bold=bold, align=ALIGN.CENTER, space_after=space_after,
                     keep_with_next=keep_with_next)


def add_heading(doc: Document) -> None:
    centred(doc, "KEPUTUSAN {{ penetap.jabatan|upper }}", bold=True)
    centred(doc, "NOMOR {{ nomor }}", space_after=Pt(12))
    centred(doc, "TENTANG", space_after=Pt(12))
    centred(doc, "{{ tentang|upper }}", bold=True, space_after=Pt(12))
    centred(doc, "{{ penetap.jabatan|upper }},", space_after=Pt(12))


def label_row(table, label: str, *, new: bool = True):
    """A row "label | : | text" of a borderless table; the text cell is returned for filling."""
    row = add_row(table, WIDTHS) if new else table.rows[0]
    first_paragraph(row.cells[0], label, space_after=Pt(0))
    first_paragraph(row.cells[1], ":", space_after=Pt(0))
    return row.cells[2]


def gap(container, points: float) -> None:
    """An empty paragraph exactly ``points`` high: air under a list that ends a table cell."""
    p = paragraph(container, "", space_after=Pt(0))
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    p.paragraph_format.line_spacing = Pt(points)


def item_list(cell, items: str, number: str, text: str, *, first: bool) -> None:
    """``{%p for ... %}`` over ``items`` in ``cell``: one hanging item each (``first``: the cell is empty)."""
    opening = f"{{%p for {items} %}}"
    if first:
        first_paragraph(cell, opening, space_after=Pt(0))
    else:
        tag(cell, opening)
    numbered(cell, number, text)
    tag(cell, "{%p endfor %}")
    gap(cell, 6)


def add_pertimbangan(doc: Document) -> None:
    """Menimbang (a., b., ...) and Mengingat (1., 2., ...)."""
    table = fixed_table(doc, WIDTHS, borders=False, cell_margins=False)
    menimbang = label_row(table, "Menimbang", new=False)
    item_list(menimbang, "m in menimbang", f"{{{{ '{LETTERS}'[loop.index0] }}}}.",
              "{{ m }}" + ALL_SEMICOLON.replace("ITEM", "m"), first=True)
    mengingat = label_row(table, "Mengingat")
    item_list(mengingat, "m in mengingat", "{{ loop.index }}.", "{{ m }}" + ALL_SEMICOLON.replace("ITEM", "m"),
              first=True)


def justified(cell, text: str, *, first: bool = False, space_after=Pt(6)):
    write = first_paragraph if first else paragraph
    return write(cell, text, align=ALIGN.JUSTIFY, space_after=space_after)


def add_diktum(doc: Document) -> None:
    """MEMUTUSKAN:, Menetapkan and the diktum; the payload's own (``diktum_tambahan``) between KEEMPAT and the last."""
    paragraph(doc, "MEMUTUSKAN:", bold=True, align=ALIGN.CENTER, space_before=Pt(6), space_after=Pt(6),
              keep_with_next=True)
    table = fixed_table(doc, WIDTHS, borders=False, cell_margins=False)
    justified(label_row(table, "Menetapkan", new=False),
              "KEPUTUSAN {{ penetap.jabatan|upper }} TENTANG {{ tentang|upper }}.", first=True)
    justified(label_row(table, "KESATU"), "Membentuk {{ tim.nama }} dengan susunan keanggotaan sebagaimana "
              "tercantum dalam Lampiran yang merupakan bagian tidak terpisahkan dari Keputusan ini.", first=True)
    justified(label_row(table, "KEDUA"), "Menunjuk {{ tim.ketua.nama }}, NIP {{ tim.ketua.nip|nip }}, "
              "{{ tim.ketua.jabatan }}, sebagai Ketua {{ tim.nama }}.", first=True)
    ketiga = label_row(table, "KETIGA")
    justified(ketiga, "{{ tim.nama }} sebagaimana dimaksud dalam Diktum KESATU mempunyai tugas:", first=True,
              space_after=SPACE_AFTER)
    item_list(ketiga, "t in tugas", f"{{{{ '{LETTERS}'[loop.index0] }}}}.", "{{ t }}" + LAST_DOT.replace("ITEM", "t"),
              first=False)
    justified(label_row(table, "KEEMPAT"), "Ketua {{ tim.nama }} melaporkan pelaksanaan tugas tim kerja secara "
              "berkala kepada {{ melapor_kepada }} dan melaporkan hasil kinerja anggota tim kepada Pejabat Penilai "
              "Kinerja masing-masing sebagai bahan pertimbangan penilaian kinerja.", first=True)
    first_paragraph(add_row(table, WIDTHS).cells[0], "{%tr for d in diktum_tambahan %}")
    justified(label_row(table, "{{ d.label }}"),
              '{{ d.teks }}{% if d.teks[-1:] not in ".;:!?" %}.{% endif %}', first=True)
    first_paragraph(add_row(table, WIDTHS).cells[0], "{%tr endfor %}")
    justified(label_row(table, "{{ diktum_penutup }}"), "Keputusan ini mulai berlaku pada tanggal ditetapkan"
              "{% if berlaku_sampai %} sampai dengan tanggal {{ berlaku_sampai|tanggal }}{% endif %}.", first=True,
              space_after=Pt(18))
    # Word joins two tables that touch, and the signature needs air: a paragraph after the table.
    paragraph(doc, "", space_after=Pt(0), keep_with_next=True)


def add_lampiran(doc: Document) -> None:
    """LAMPIRAN, KEPUTUSAN ..., NOMOR / TANGGAL / TENTANG at the right, then the team and the signature again."""
    colon, value = Emu(LAMPIRAN_INDENT + Cm(2.4)), Emu(LAMPIRAN_INDENT + Cm(2.9))
    paragraph(doc, "LAMPIRAN", left_indent=LAMPIRAN_INDENT, space_after=Pt(0), page_break_before=True)
    paragraph(doc, "KEPUTUSAN {{ penetap.jabatan|upper }}", left_indent=LAMPIRAN_INDENT, space_after=Pt(0))
    for name, text in (("NOMOR", "{{ nomor }}"), ("TANGGAL", "{{ ditetapkan.tanggal|tanggal|upper }}"),
                       ("TENTANG", "{{ tentang|upper }}")):
        paragraph(doc, f"{name}\t:\t{text}", left_indent=value, first_line_indent=Emu(LAMPIRAN_INDENT - value),
                  tabs=[colon, value], space_after=Pt(0))
    paragraph(doc, "SUSUNAN KEANGGOTAAN {{ tim.nama|upper }}", bold=True, align=ALIGN.CENTER, space_before=Pt(24),
              space_after=Pt(12), keep_with_next=True)
    add_lampiran_table(doc)
    add_signature(doc, ditetapkan=False, stamp_bookmark=False)


def build() -> Document:
    doc = new_document("Keputusan Pembentukan Tim Kerja")
    add_kop(doc)
    add_heading(doc)
    add_pertimbangan(doc)
    add_diktum(doc)
    add_signature(doc, ditetapkan=True, stamp_bookmark=True)
    add_tembusan(doc, "Salinan Keputusan ini disampaikan kepada Yth.:")
    add_lampiran(doc)
    add_footer(doc)
    return doc


def main(argv: list[str]) -> int:
    out = output_folder(argv)
    path = out / "keputusan_tim_kerja.docx"
    save_lean(build(), path)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
