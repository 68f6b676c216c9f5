"""Generate the surat dinas templates of the involvement mechanism (Perwal Kota Malang 16/2023
Pasal 9-10 and its Lampiran; layout of a surat dinas after Permendagri 1/2023):

    templates/permohonan_pelibatan_pejabat_berwenang.docx  a unit asks its own Pejabat yang Berwenang to request
                                                           officials of another agency (the first step)
    templates/permohonan_pelibatan.docx          request to involve officials of another unit or agency
    templates/jawaban_permohonan_pelibatan.docx  the reply: approval with the officials assigned, or refusal
    templates/pengajuan_sukarela.docx            an official's own voluntary application (no kop, no number)
    templates/persetujuan_pengajuan_sukarela.docx  the written approval of a voluntary application
    templates/penolakan_pengajuan_sukarela.docx  the written refusal of a voluntary application

Layout, top to bottom: kop (page 1 only), place and date on the right, Nomor / Sifat / Lampiran / Hal
with aligned colons, "Yth." and "di" with the addressee's place, the body (justified, block style;
lists hang so wrapped lines start under the text), the signature block of the Surat Tugas
(with the ``ttd`` bookmark, without "Ditetapkan di"), the numbered Tembusan when there is one, then each page
of each file the host attached (naskah.attachments), on a page of its own under a heading naming the letter.
The closing paragraph and every line of the signature block are kept with the next paragraph, so the
signature never starts a page without the last lines of the letter.

Like make_surat_tugas.py, this script writes the shipped .docx files: change them here and run it again (an
installation's own edited copies stay in its own templates folder). The variables are listed in
templates/README.md ("Context of the surat dinas templates").

    .venv/bin/python templates/build/make_surat_dinas.py [OUTPUT_DIR]
"""
from __future__ import annotations

import sys

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_LINE_SPACING
from docx.shared import Cm, Emu, Pt

from city_parts import add_uraian_tugas
from docx_parts import (ALIGN, NUMBER_INDENT, add_footer, add_kop, add_row, add_signature, add_tembusan,
                        first_paragraph, fixed_table, new_document, numbered, output_folder, paragraph, row_property,
                        shade, save_lean, tag, template_set)

#: The body is in block style: paragraphs start at the margin, separated by space, not indented (a first-line
#: indent also makes PDF readers put a short last line such as "2024." out of the reading order).
BODY_SPACE = Pt(8)  # after a paragraph of the body
AFTER_LIST = Pt(5)  # before the paragraph after a list: with the item's 3 pt, the same 8 pt
#: Lists start at the margin ("a.", "1."), their text hangs at NUMBER_INDENT; a nested list one step further.
NESTED = NUMBER_INDENT
#: "Nomor", "Sifat", "Lampiran", "Hal": the colon, then the value (wrapped lines under the value).
HEADER_COLON, HEADER_VALUE = Cm(2.25), Cm(2.75)
#: The heading stays on the left part of the page, under the kop and left of the date, as on a typed letter.
HEADER_RIGHT_INDENT = Cm(5.5)
#: "Yth." then the addressee; wrapped lines and the addressee's place start under the addressee.
ADDRESSEE_INDENT = Cm(0.9)
#: The applicant's details: label, colon, value.
IDENTITY_LEFT = NUMBER_INDENT
IDENTITY_COLON, IDENTITY_VALUE = Emu(IDENTITY_LEFT + Cm(2.75)), Emu(IDENTITY_LEFT + Cm(3.25))

#: Punctuation of a list item: ";" after each item, "." after the last, unless the text has its own.
ITEM_END = '{% if ITEM[-1:] not in ".;:,!?" %}{{ "." if loop.last else ";" }}{% endif %}'


def item(variable: str) -> str:
    return f"{{{{ {variable} }}}}" + ITEM_END.replace("ITEM", variable)


# ---------------------------------------------------------------------------------------------------
# The head of the letter
# ---------------------------------------------------------------------------------------------------

def add_place_date(doc: Document) -> None:
    paragraph(doc, "{{ tempat }}, {{ tanggal|tanggal }}", align=ALIGN.RIGHT, space_after=Pt(12))


def header_line(doc: Document, label: str, value: str, *, last: bool = False) -> None:
    paragraph(doc, f"{label}\t:\t{value}", left_indent=HEADER_VALUE, first_line_indent=Emu(-HEADER_VALUE),
              right_indent=HEADER_RIGHT_INDENT, tabs=[HEADER_COLON, HEADER_VALUE],
              space_after=Pt(12) if last else Pt(0))


def add_heading(doc: Document, *, full: bool = True) -> None:
    """Nomor / Sifat / Lampiran / Hal; an applicant's own letter has only the Hal."""
    if full:
        header_line(doc, "Nomor", "{{ nomor }}")
        header_line(doc, "Sifat", "{{ sifat }}")
        header_line(doc, "Lampiran", "{{ lampiran }}")
    header_line(doc, "Hal", "{{ hal }}", last=True)


def add_addressee(doc: Document) -> None:
    common = dict(left_indent=ADDRESSEE_INDENT, space_after=Pt(0), keep_with_next=True)
    paragraph(doc, "Yth.\t{{ tujuan.jabatan }}", first_line_indent=Emu(-ADDRESSEE_INDENT),
              tabs=[ADDRESSEE_INDENT], **common)
    paragraph(doc, "di", first_line_indent=Emu(-ADDRESSEE_INDENT), **common)
    paragraph(doc, "{{ tujuan.tempat }}", **(common | {"space_after": Pt(12)}))


def add_letter_head(doc: Document, *, kop: bool = True) -> None:
    if kop:
        add_kop(doc)
    add_place_date(doc)
    add_heading(doc, full=kop)
    add_addressee(doc)


# ---------------------------------------------------------------------------------------------------
# The body
# ---------------------------------------------------------------------------------------------------

def body(doc: Document, text: str, *, space_before=None, keep_with_next=False):
    """A justified paragraph of the body."""
    return paragraph(doc, text, align=ALIGN.JUSTIFY, space_before=space_before, space_after=BODY_SPACE,
                     keep_with_next=keep_with_next)


def numbered_list(doc: Document, items: str, text: str, *, left=Cm(0)) -> None:
    """``{%p for ... %}``: one numbered paragraph per item, hanging from ``left``."""
    tag(doc, f"{{%p for {items} %}}")
    numbered(doc, "{{ loop.index }}.", text, left=left)
    tag(doc, "{%p endfor %}")


def closing(doc: Document, text: str) -> None:
    """The last paragraph: kept with the signature block, which is kept together (docx_parts)."""
    body(doc, text, space_before=AFTER_LIST, keep_with_next=True).paragraph_format.space_after = Pt(12)


def durasi(prefix: str) -> str:
    return (prefix + " {{ durasi.lama }}, terhitung mulai tanggal {{ durasi.mulai|tanggal }} sampai dengan "
            "tanggal {{ durasi.selesai|tanggal }}.")


def add_body_permohonan(doc: Document) -> None:
    """Across agencies, the unit's first letter it follows; the purpose, then the three other contents the
    regulations require: competence, expectation, duration."""
    tag(doc, "{%p if rujukan %}")
    body(doc, "Menindaklanjuti surat {{ rujukan.dari }} {{ rujukan.kutipan }} hal {{ rujukan.hal }}, bersama ini "
              "kami sampaikan permohonan pelibatan pegawai sebagai berikut.")
    tag(doc, "{%p endif %}")
    add_request(doc, "mohon bantuan Bapak/Ibu untuk menugaskan {{ jumlah_pegawai_kata }} pegawai "
                     "{% if lintas_instansi %}pada {{ instansi_tujuan }}{% else %}di lingkungan unit organisasi yang "
                     "Bapak/Ibu pimpin{% endif %} untuk terlibat", "kerja sama")


def add_body_permohonan_pejabat_berwenang(doc: Document) -> None:
    """The first step across agencies (Malang Lampiran huruf A angka 2 huruf a angka 3) huruf a)): the unit asks
    its own Pejabat yang Berwenang to request the officials from the other agency, with the same four contents."""
    add_request(doc, "mohon Bapak/Ibu selaku Pejabat yang Berwenang berkenan menyampaikan permohonan kepada Pejabat "
                     "yang Berwenang pada {{ instansi_tujuan }} untuk menugaskan {{ jumlah_pegawai_kata }} pegawai "
                     "pada {{ instansi_tujuan }} agar terlibat", "perkenan")


def add_request(doc: Document, ask: str, courtesy: str) -> None:
    """The purpose, what is asked ("dengan hormat kami <ask> dalam <kegiatan>"), the conditions, the closing."""
    body(doc, "{{ maksud_tujuan }}")
    body(doc, f"Sehubungan dengan hal tersebut, dengan hormat kami {ask} dalam {{{{ kegiatan }}}}, dengan ketentuan "
              "sebagai berikut:", keep_with_next=True)
    add_conditions(doc)
    closing(doc, f"Demikian permohonan ini kami sampaikan. Atas perhatian dan {courtesy} Bapak/Ibu, kami ucapkan "
                 "terima kasih.")


def add_conditions(doc: Document) -> None:
    """a. the competence needed, b. the performance expected, c. the duration."""
    numbered(doc, "a.", "Kompetensi, keahlian dan/atau keterampilan yang dibutuhkan:", keep_with_next=True)
    numbered_list(doc, "k in kompetensi", item("k"), left=NESTED)
    if template_set().isi_ketiga == "uraian_tugas":  # Perwal Kota Tangerang 12/2023 Pasal 24 ayat (3) huruf c
        add_uraian_tugas(doc, "b.")
    else:
        numbered(doc, "b.", "Ekspektasi kinerja/target yang diharapkan:", keep_with_next=True)
        numbered_list(doc, "e in ekspektasi_kinerja", item("e"), left=NESTED)
    numbered(doc, "c.", durasi("Jangka waktu pelibatan:"))


APPROVAL_COLUMNS = [  # (heading, width): 16.5 cm, the text width
    ("No.", Cm(1.2)),
    ("Nama/NIP", Cm(6.1)),
    ("Pangkat/Gol.", Cm(4.0)),
    ("Jabatan", Cm(5.2)),
]


def add_approval_table(doc: Document) -> None:
    """No | Nama/NIP | Pangkat/Gol. | Jabatan: the header repeats on every page, no row is split."""
    widths = [width for _, width in APPROVAL_COLUMNS]
    table = fixed_table(doc, widths, borders=True)
    header = table.rows[0]
    row_property(header, "w:cantSplit")
    row_property(header, "w:tblHeader")
    for cell, (heading, _) in zip(header.cells, APPROVAL_COLUMNS):
        first_paragraph(cell, heading, bold=True, align=ALIGN.CENTER, space_before=Pt(3), space_after=Pt(3),
                        keep_with_next=True)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        shade(cell, "D9D9D9")

    first_paragraph(add_row(table, widths).cells[0], "{%tr for p in pegawai_ditugaskan %}")
    person = add_row(table, widths)
    row_property(person, "w:cantSplit")
    number, nama, pangkat, jabatan = person.cells
    cell_text = dict(space_before=Pt(3), space_after=Pt(3))
    first_paragraph(number, "{{ loop.index }}.", align=ALIGN.CENTER, **cell_text)
    first_paragraph(nama, "{{ p.nama }}", bold=True, space_before=Pt(3), space_after=Pt(0))
    paragraph(nama, "NIP {{ p.nip|nip }}", space_after=Pt(3))
    first_paragraph(pangkat, "{{ p.pangkat_golongan }}", **cell_text)
    first_paragraph(jabatan, "{{ p.jabatan }}", **cell_text)
    first_paragraph(add_row(table, widths).cells[0], "{%tr endfor %}")


def add_body_jawaban(doc: Document) -> None:
    """Cites the request; approval: the officials assigned, who meet the request's criteria (Perwal Kota Malang
    16/2023 Lampiran huruf A angka 2 huruf a angka 2) huruf c), "sesuai dengan kriteria"), and the duration;
    refusal: the reasons."""
    body(doc, "Menindaklanjuti surat Bapak/Ibu {{ surat_permohonan.kutipan }} hal {{ surat_permohonan.hal }}, "
              "dengan ini kami sampaikan bahwa permohonan tersebut {% if disetujui %}dapat kami setujui dengan "
              "menugaskan pegawai yang sesuai dengan kriteria dalam surat permohonan tersebut sebagai berikut:"
              "{% else %}belum dapat kami setujui dengan alasan sebagai "
              "berikut:{% endif %}", keep_with_next=True)
    tag(doc, "{%p if disetujui %}")
    add_approval_table(doc)
    body(doc, durasi("Pegawai tersebut di atas ditugaskan untuk terlibat selama"), space_before=Pt(9))
    tag(doc, "{%p else %}")
    numbered_list(doc, "a in alasan", item("a"))
    tag(doc, "{%p if saran %}")
    body(doc, "{{ saran }}", space_before=AFTER_LIST)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")
    closing(doc, "Demikian disampaikan. Atas perhatian dan kerja sama Bapak/Ibu, kami ucapkan terima kasih.")


def add_body_penolakan(doc: Document) -> None:
    body(doc, "Menindaklanjuti surat permohonan Saudara {{ surat_permohonan.kutipan }} hal "
              "{{ surat_permohonan.hal }}, dengan ini kami sampaikan bahwa permohonan Saudara untuk terlibat "
              "secara sukarela belum dapat kami setujui dengan alasan sebagai berikut:", keep_with_next=True)
    numbered_list(doc, "a in alasan", item("a"))
    body(doc, "Kami menghargai kesediaan Saudara untuk berkontribusi. Permohonan dapat diajukan kembali "
              "apabila terdapat kebutuhan pada tim kerja di lingkungan kami.", space_before=AFTER_LIST)
    closing(doc, "Demikian disampaikan untuk menjadi maklum.")


def add_body_persetujuan(doc: Document) -> None:
    """The approval of a voluntary application by the Pimpinan Unit Organisasi dituju (Malang Lampiran huruf A
    angka 2 huruf b angka 2) huruf b)-c)): who is approved, for which work and how long, and to whom the applicant
    takes it for the surat penugasan."""
    body(doc, "Menindaklanjuti surat permohonan Saudara {{ surat_permohonan.kutipan }} hal "
              "{{ surat_permohonan.hal }}, dengan ini kami sampaikan bahwa permohonan pelibatan secara sukarela "
              "atas nama:", keep_with_next=True)
    add_identity(doc)
    body(doc, durasi("dapat kami setujui untuk terlibat dalam {{ kegiatan }} selama"))
    body(doc, "Selanjutnya, Saudara menyampaikan surat persetujuan ini kepada {{ penilai_kinerja.jabatan }} "
              "({{ penilai_kinerja.nama }}) selaku Pejabat Penilai Kinerja Saudara, dengan tembusan kepada Pimpinan "
              "Unit Organisasi Saudara, untuk diterbitkan surat penugasan.")
    closing(doc, "Demikian disampaikan untuk dapat dilaksanakan sebagaimana mestinya.")


def add_identity(doc: Document) -> None:
    """Nama / NIP / Pangkat/Gol. / Jabatan / Unit Kerja of the applicant, colons aligned."""
    lines = [
        ("Nama", "{{ pemohon.nama }}"),
        ("NIP", "{{ pemohon.nip|nip }}"),
        ("Pangkat/Gol.", "{{ pemohon.pangkat_golongan }}"),
        ("Jabatan", "{{ pemohon.jabatan }}"),
        ("Unit Kerja", "{{ pemohon.unit }}"),
    ]
    for index, (label, value) in enumerate(lines):
        last = index == len(lines) - 1
        paragraph(doc, f"{label}\t:\t{value}", left_indent=IDENTITY_VALUE,
                  first_line_indent=Emu(IDENTITY_LEFT - IDENTITY_VALUE), tabs=[IDENTITY_COLON, IDENTITY_VALUE],
                  space_after=BODY_SPACE if last else Pt(0), keep_with_next=not last)


def add_body_pengajuan(doc: Document) -> None:
    body(doc, "Yang bertanda tangan di bawah ini:", keep_with_next=True)
    add_identity(doc)
    body(doc, durasi("dengan ini mengajukan permohonan untuk terlibat secara sukarela dalam {{ kegiatan }} "
                     "selama"))
    body(doc, "Adapun kompetensi yang saya miliki dan dapat saya kontribusikan adalah sebagai berikut:",
         keep_with_next=True)
    numbered_list(doc, "k in kompetensi", item("k"))
    if template_set().persetujuan_atasan:  # Malang Pasal 10 ayat (5)
        body(doc, "Permohonan ini telah mendapat persetujuan atasan langsung saya, {{ persetujuan_atasan.jabatan }} "
                  "({{ persetujuan_atasan.nama }}).", space_before=AFTER_LIST)
    closing(doc, "Demikian permohonan ini saya sampaikan. Atas perhatian Bapak/Ibu, saya ucapkan terima kasih.")


# ---------------------------------------------------------------------------------------------------
# The attached files, after the letter
# ---------------------------------------------------------------------------------------------------

#: an attached page's heading: small, so that the page's picture keeps most of the page
ATTACHMENT_HEADING = Pt(9)


def add_attachment_pages(doc: Document) -> None:
    """Each page of each file the host sent (``lampiran_pdf``; naskah.render draws page ``h`` as ``h.gambar``,
    sized to the text area) on a page of its own, headed by the letter it belongs to.

    With files, a hairline empty paragraph, kept with nothing, ends the letter before them: the signature block and
    the tembusan are kept with what follows, and LibreOffice splits a chain that runs into a page break. Without
    files the whole block renders to nothing: an empty paragraph after a full page would make a blank page."""
    tag(doc, "{%p if lampiran_pdf %}")
    hairline(doc)
    tag(doc, "{%p for b in lampiran_pdf %}")
    tag(doc, "{%p for h in b.halaman %}")
    paragraph(doc, "Lampiran {{ b.nomor }} Surat Nomor {{ nomor }} tanggal {{ tanggal|tanggal }}",
              size=ATTACHMENT_HEADING, page_break_before=True, space_after=Pt(0))
    paragraph(doc, "{{ b.nama }} (halaman {{ h.nomor }} dari {{ h.dari }})", size=ATTACHMENT_HEADING, bold=True,
              space_after=Pt(6))
    paragraph(doc, "{{ h.gambar }}", align=ALIGN.CENTER, space_after=Pt(0))
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")


def hairline(doc: Document) -> None:
    """An empty paragraph 1 pt high."""
    line = paragraph(doc, "", space_after=Pt(0))
    line.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    line.paragraph_format.line_spacing = Pt(1)


# ---------------------------------------------------------------------------------------------------
# The templates
# ---------------------------------------------------------------------------------------------------

LETTERS = {  # file stem: (title, body, kop and Nomor/Sifat/Lampiran, rank line under the name)
    "permohonan_pelibatan_pejabat_berwenang": ("Surat Permohonan Pelibatan kepada Pejabat yang Berwenang",
                                               add_body_permohonan_pejabat_berwenang, True, True),
    "permohonan_pelibatan": ("Surat Permohonan Pelibatan", add_body_permohonan, True, True),
    "jawaban_permohonan_pelibatan": ("Surat Jawaban Permohonan Pelibatan", add_body_jawaban, True, True),
    "pengajuan_sukarela": ("Surat Permohonan Pengajuan Sukarela", add_body_pengajuan, False, False),
    "persetujuan_pengajuan_sukarela": ("Surat Persetujuan Pengajuan Sukarela", add_body_persetujuan, True, True),
    "penolakan_pengajuan_sukarela": ("Surat Penolakan Pengajuan Sukarela", add_body_penolakan, True, True),
}


def build(name: str) -> Document:
    title, add_body, kop, pangkat = LETTERS[name]
    doc = new_document(title)
    add_letter_head(doc, kop=kop)
    add_body(doc)
    add_signature(doc, ditetapkan=False, stamp_bookmark=True, pangkat=pangkat)
    add_tembusan(doc)
    if kop:  # a letter with a Lampiran line carries the files it counts
        add_attachment_pages(doc)
    add_footer(doc)
    return doc


def main(argv: list[str]) -> int:
    out = output_folder(argv)  # [--set malang|cilegon|tangerang] [OUTPUT_DIR]: build/sets.py
    for name in LETTERS:
        if not template_set().has(name):
            continue
        path = out / f"{name}.docx"
        save_lean(build(name), path)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
