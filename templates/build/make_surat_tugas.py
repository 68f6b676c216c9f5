"""Generate the two Surat Tugas templates of Perwal Kota Malang 16/2023, Lampiran C (format surat), and the
Surat Perintah forming a team laid out like the first (Malang Pasal 9 ayat (6), Tangerang Pasal 22 ayat (1)):

    templates/surat_tugas_tim.docx       C.1, for a Tim Kerja, with the Lampiran listing the team
    templates/surat_tugas_individu.docx  C.2, for one official
    templates/surat_perintah.docx        C.1 with MEMERINTAHKAN: forms a Tim Kerja and names its Ketua

The shipped .docx files are this script's output: change them here and run it again, once per template set
(``--set cilegon`` writes the Cilegon set's into templates/cilegon/: its individual letter is a SURAT PERINTAH
TUGAS; ``--set tangerang`` the Tangerang set's; build/sets.py). An installation whose staff edit their own copies
in Word keeps those in its own templates folder, which this script must not overwrite (give it an output folder).

The contract the templates follow (variables, filters, the ``ttd`` bookmark, the footer, page size and
fonts) is in templates/README.md.

    .venv/bin/python templates/build/make_surat_tugas.py [--set malang|cilegon|tangerang] [OUTPUT_DIR]
"""
from __future__ import annotations

import sys

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.shared import Cm, Emu, Pt

from docx_parts import (ALIGN, NUMBER_INDENT, RIGHT_BLOCK_INDENT, SPACE_AFTER, TEXT_WIDTH, add_footer, add_kop,
                        add_row, add_signature, add_tembusan, first_paragraph, fixed_table, new_document, numbered,
                        output_folder, paragraph, row_property, save_lean, shade, tag, template_set)

# "Dasar", "Kepada", "Untuk": label, colon, then the text.
LABEL_WIDTH, COLON_WIDTH = Cm(2.5), Cm(0.5)


# ---------------------------------------------------------------------------------------------------
# The letter, top to bottom (the kop and the signature block are in docx_parts.py)
# ---------------------------------------------------------------------------------------------------

#: The words that tell the two letters apart: title, the verb of the order, the validity sentence's subject.
WORDS = {
    "tugas": ("SURAT TUGAS", "MENUGASKAN:", "Surat tugas ini", "Lampiran Surat Tugas"),
    "perintah": ("SURAT PERINTAH", "MEMERINTAHKAN:", "Surat perintah ini", "Lampiran Surat Perintah"),
}


def add_title(doc: Document, title: str = "SURAT TUGAS") -> None:
    paragraph(doc, title, bold=True, underline=True, size=Pt(14), align=ALIGN.CENTER, space_after=Pt(0))
    paragraph(doc, "NOMOR: {{ nomor }}", align=ALIGN.CENTER, space_after=Pt(12))


def labelled_table(doc: Document, label: str):
    """A borderless table "label | : | text" (one row per label), the text cell returned for filling."""
    widths = [LABEL_WIDTH, COLON_WIDTH, Emu(TEXT_WIDTH - LABEL_WIDTH - COLON_WIDTH)]
    table = fixed_table(doc, widths, borders=False, cell_margins=False)
    return table, widths, fill_label_row(table.rows[0], label)


def fill_label_row(row, label: str):
    first_paragraph(row.cells[0], label)
    first_paragraph(row.cells[1], ":")
    return row.cells[2]


def add_dasar(doc: Document) -> None:
    _, _, cell = labelled_table(doc, "Dasar")
    first_paragraph(cell, "{%p for d in dasar %}", space_after=Pt(0))
    numbered(cell, "{{ loop.index }}.", "{{ d }}")
    tag(cell, "{%p endfor %}")
    # a surat penugasan after an approval cites it (``rujukan``) as its last Dasar
    tag(cell, "{%p if rujukan %}")
    numbered(cell, "{{ dasar|length + 1 }}.", "Surat {{ rujukan.dari }} Nomor {{ rujukan.nomor }} tanggal "
                                              "{{ rujukan.tanggal|tanggal }} hal {{ rujukan.hal }}")
    tag(cell, "{%p endif %}")


def add_menugaskan(doc: Document, verb: str = "MENUGASKAN:") -> None:
    paragraph(doc, verb, bold=True, align=ALIGN.CENTER, space_before=Pt(6), space_after=Pt(9))


def add_kepada_tim(cell) -> None:
    first_paragraph(cell, "Nama-nama berikut sebagaimana terlampir;", space_after=Pt(9))


def add_kepada_individu(cell) -> None:
    """Nama / Pangkat / NIP / Jabatan with the colons aligned and wrapped values under the value."""
    label, colon = Cm(2.1), Cm(2.5)
    lines = [
        ("Nama", "{{ pegawai.nama }}"),
        ("Pangkat", "{{ pegawai.pangkat }}{% if pegawai.golongan %} ({{ pegawai.golongan }}){% endif %}"),
        ("NIP", "{{ pegawai.nip|nip }}"),
        ("Jabatan", "{{ pegawai.jabatan }}"),
    ]
    for index, (name, value) in enumerate(lines):
        kwargs = dict(left_indent=colon, first_line_indent=Emu(-colon), tabs=[label, colon],
                      space_after=Pt(9) if index == len(lines) - 1 else Pt(0))
        text = f"{name}\t:\t{value}"
        if index == 0:
            first_paragraph(cell, text, **kwargs)
        else:
            paragraph(cell, text, **kwargs)


def add_kepada_untuk(doc: Document, kind: str) -> None:
    table, widths, kepada = labelled_table(doc, "Kepada")
    if kind in ("tim", "perintah"):
        add_kepada_tim(kepada)
    else:
        add_kepada_individu(kepada)
    untuk = fill_label_row(add_row(table, widths), "Untuk")
    if kind == "perintah":  # the team and its Ketua first, the Ketua's report to the assessors last
        first_paragraph(untuk, "1.\tMelaksanakan tugas sebagai Ketua dan Anggota {{ tim.nama }} sebagaimana "
                               "terlampir, dengan {{ tim.ketua.nama }} sebagai Ketua Tim Kerja;",
                        **numbered_format())
        tag(untuk, "{%p for u in untuk %}")
        numbered(untuk, "{{ loop.index + 1 }}.", "{{ u }};")
        tag(untuk, "{%p endfor %}")
        numbered(untuk, "{{ untuk|length + 2 }}.", "Ketua Tim Kerja melaporkan hasil kinerja anggota timnya kepada "
                 "Pejabat Penilai Kinerja masing-masing sebagai bahan pertimbangan penilaian kinerja;")
        offset = 2
    else:
        first_paragraph(untuk, "{%p for u in untuk %}", space_after=Pt(0))
        numbered(untuk, "{{ loop.index }}.", "{{ u }};")
        tag(untuk, "{%p endfor %}")
        offset = 0
    numbered(untuk, f"{{{{ untuk|length + {offset + 1} }}}}.", "Melaksanakan perintah ini dengan penuh tanggungjawab;")
    numbered(untuk, f"{{{{ untuk|length + {offset + 2} }}}}.",
             "Melaporkan hasilnya kepada {{ melapor_kepada }} sebagai Pimpinan Unit Organisasi.", last=True)


def add_penutup(doc: Document, subject: str = "Surat tugas ini") -> None:
    paragraph(doc, subject + " mulai berlaku sejak tanggal ditetapkan sampai dengan tanggal "
                   "{{ berlaku_sampai|tanggal }}.", align=ALIGN.JUSTIFY, space_before=Pt(6), space_after=Pt(6))
    paragraph(doc, "Apabila di kemudian hari terdapat kekeliruan akan dilakukan perbaikan sebagaimana mestinya.",
              align=ALIGN.JUSTIFY, space_after=Pt(18))


# ---------------------------------------------------------------------------------------------------
# The Lampiran of the team letter
# ---------------------------------------------------------------------------------------------------

LAMPIRAN_COLUMNS = [  # (heading, width)
    ("No.", Cm(1.2)),
    ("Nama/Pangkat/NIP", Cm(6.6)),
    ("Jabatan", Cm(4.8)),
    ("Kedudukan Dalam Tim Kerja", Cm(3.9)),
]


def add_lampiran_heading(doc: Document, heading: str = "Lampiran Surat Tugas") -> None:
    """Top right of a new page: Lampiran Surat Tugas, Nomor, Tanggal (colons aligned), then the team."""
    label, value = Emu(RIGHT_BLOCK_INDENT + Cm(1.8)), Emu(RIGHT_BLOCK_INDENT + Cm(2.25))
    paragraph(doc, heading, left_indent=RIGHT_BLOCK_INDENT, space_after=Pt(0),
              page_break_before=True)
    for name, text in (("Nomor", "{{ nomor }}"), ("Tanggal", "{{ ditetapkan.tanggal|tanggal }}")):
        paragraph(doc, f"{name}\t:\t{text}", left_indent=value, first_line_indent=Emu(RIGHT_BLOCK_INDENT - value),
                  tabs=[label, value], space_after=Pt(0))
    paragraph(doc, "{{ tim.nama }}", bold=True, align=ALIGN.CENTER, space_before=Pt(24), space_after=Pt(12),
              keep_with_next=True)


def add_lampiran_table(doc: Document) -> None:
    """No | Nama/Pangkat/NIP | Jabatan | Kedudukan: the header repeats on every page, no row is split."""
    widths = [width for _, width in LAMPIRAN_COLUMNS]
    table = fixed_table(doc, widths, borders=True)
    header = table.rows[0]
    row_property(header, "w:cantSplit")
    row_property(header, "w:tblHeader")
    for cell, (heading, _) in zip(header.cells, LAMPIRAN_COLUMNS):
        first_paragraph(cell, heading, bold=True, align=ALIGN.CENTER, space_before=Pt(3), space_after=Pt(3))
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        shade(cell, "D9D9D9")

    first_paragraph(add_row(table, widths).cells[0], "{%tr for a in tim.anggota %}")

    member = add_row(table, widths)
    row_property(member, "w:cantSplit")
    number, person, jabatan, kedudukan = member.cells
    cell_text = dict(space_before=Pt(3), space_after=Pt(3))
    first_paragraph(number, "{{ loop.index }}.", align=ALIGN.CENTER, **cell_text)
    first_paragraph(person, "{{ a.nama }}", bold=True, space_before=Pt(3), space_after=Pt(0))
    paragraph(person, "{{ a.pangkat }}{% if a.golongan %} ({{ a.golongan }}){% endif %}", space_after=Pt(0))
    paragraph(person, "NIP {{ a.nip|nip }}", space_after=Pt(3))
    first_paragraph(jabatan, "{{ a.jabatan }}", **cell_text)
    first_paragraph(kedudukan, "{{ a.kedudukan }}", align=ALIGN.CENTER, **cell_text)

    first_paragraph(add_row(table, widths).cells[0], "{%tr endfor %}")
    # Word joins two tables that touch, and the signature needs air: a paragraph after the table.
    paragraph(doc, "", space_after=Pt(18))


def add_lampiran(doc: Document, heading: str = "Lampiran Surat Tugas") -> None:
    add_lampiran_heading(doc, heading)
    add_lampiran_table(doc)
    add_signature(doc, ditetapkan=False, stamp_bookmark=False)


# ---------------------------------------------------------------------------------------------------
# The two templates
# ---------------------------------------------------------------------------------------------------

def numbered_format() -> dict:
    """The paragraph format of ``numbered`` (docx_parts), for a numbered item written into a cell's first paragraph."""
    return dict(align=ALIGN.JUSTIFY, left_indent=NUMBER_INDENT, first_line_indent=Emu(-NUMBER_INDENT),
                tabs=[NUMBER_INDENT], space_after=SPACE_AFTER)


FILES = {"tim": "surat_tugas_tim", "individu": "surat_tugas_individu", "perintah": "surat_perintah"}


def build(kind: str) -> Document:
    """``kind`` is "tim" (Lampiran C.1), "individu" (Lampiran C.2) or "perintah" (C.1 as a Surat Perintah)."""
    title = {"tim": "Surat Tugas Tim Kerja", "individu": "Surat Tugas Individu",
             "perintah": "Surat Perintah Pembentukan Tim Kerja"}[kind]
    heading, verb, subject, lampiran = WORDS["perintah" if kind == "perintah" else "tugas"]
    if kind == "individu":  # Cilegon's is a "surat perintah tugas" (Perwal Kota Cilegon 17/2023 Pasal 6 ayat (4))
        heading, verb, subject = template_set().surat_tugas_individu
    doc = new_document(title)
    # python-docx's blank document starts with no paragraph; everything is appended in order.
    add_kop(doc)
    add_title(doc, heading)
    add_dasar(doc)
    add_menugaskan(doc, verb)
    add_kepada_untuk(doc, kind)
    add_penutup(doc, subject)
    add_signature(doc, ditetapkan=True, stamp_bookmark=True)
    add_tembusan(doc)
    if kind in ("tim", "perintah"):
        add_lampiran(doc, lampiran)
    add_footer(doc)
    return doc


def main(argv: list[str]) -> int:
    out = output_folder(argv)
    for kind, name in FILES.items():
        if not template_set().has(name):
            continue
        path = out / f"{name}.docx"
        save_lean(build(kind), path)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
