"""The files a host sends with a letter (naskah.attachments): a PDF in base64 beside its name in ``data.lampiran``
is counted on the Lampiran line and checked before anything is rendered; hostile input is refused naming the field.
That its pages end up in the signed letter: tests/scenarios/test_issue_surat_dinas.py."""
from __future__ import annotations

import base64
import io

import pytest
from pypdf import PdfReader, PdfWriter

from naskah.attachments import MAX_FILE_BYTES, MAX_FILES, MAX_PAGES, read_pdf

from refused import refused_only

SAMPLE = "permohonan-pelibatan-lintas-instansi"


def kak(sample) -> str:
    """The base64 of the one-page Kerangka Acuan Kerja the sample request carries."""
    return sample(SAMPLE)["data"]["lampiran"][0]["pdf"]


def pdf(pages: int = 1, password: str | None = None) -> str:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return base64.b64encode(out.getvalue()).decode()


def test_the_sample_attachment_is_a_one_page_pdf(sample):
    assert PdfReader(io.BytesIO(base64.b64decode(kak(sample)))).get_num_pages() == 1
    assert read_pdf(kak(sample)).pages == 1


def test_attached_files_and_names_are_counted_and_the_files_kept(naskah, sample):
    payload = sample(SAMPLE)
    payload["data"]["lampiran"] = ["Daftar Layanan Prioritas", {"nama": "Kerangka Acuan Kerja", "pdf": kak(sample)},
                                   {"nama": "Jadwal", "pdf": pdf(2)}]
    context = naskah.prepare(payload).context
    assert context["lampiran"] == "3 (tiga) berkas"
    assert context["berkas_lampiran"] == ["Daftar Layanan Prioritas", "Kerangka Acuan Kerja", "Jadwal"]
    files = context["lampiran_pdf"]
    assert [(f["nomor"], f["nama"], len(f["halaman"])) for f in files] == [(1, "Kerangka Acuan Kerja", 1),
                                                                           (2, "Jadwal", 2)]
    assert files[1]["halaman"] == [{"nomor": 1, "dari": 2}, {"nomor": 2, "dari": 2}]


def test_base64_in_lines_as_mail_programs_wrap_it_is_read(naskah, sample):
    payload = sample(SAMPLE)
    text = kak(sample)
    payload["data"]["lampiran"][0]["pdf"] = "\n".join(text[i:i + 76] for i in range(0, len(text), 76))
    assert len(naskah.prepare(payload).context["lampiran_pdf"]) == 1


def _too_big() -> str:
    return base64.b64encode(b"%PDF-1.7\n" + b"0" * MAX_FILE_BYTES).decode()


@pytest.mark.parametrize("attached, says", [
    ("not base64 at all!", "not base64 text"),
    (base64.b64encode(b"MZ\x90\x00 an executable, not a PDF").decode(), "not a PDF file"),
    (base64.b64encode(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage").decode(), "not a readable PDF file"),
    (pdf(password="rahasia"), "the PDF is encrypted"),
    (pdf(MAX_PAGES + 1), f"the PDF has {MAX_PAGES + 1} pages; a letter carries at most {MAX_PAGES}"),
    (_too_big(), f"the attachment is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"),
    (12345, "Input should be a valid string"),
], ids=["not-base64", "not-pdf", "broken", "encrypted", "too-many-pages", "too-big", "not-text"])
def test_hostile_attachments_are_refused_naming_the_field(naskah, sample, attached, says):
    payload = sample(SAMPLE)
    payload["data"]["lampiran"][0]["pdf"] = attached
    assert says in refused_only(naskah, payload, "data.lampiran[0].pdf")


def test_too_many_files_or_pages_together_are_refused(naskah, sample):
    payload = sample(SAMPLE)
    payload["data"]["lampiran"] = [{"nama": f"Berkas {n}", "pdf": kak(sample)} for n in range(MAX_FILES + 1)]
    assert f"{MAX_FILES + 1} files attached; a letter carries at most {MAX_FILES}" in refused_only(
        naskah, payload, "data.lampiran")
    half = MAX_PAGES // 2 + 1
    payload["data"]["lampiran"] = [{"nama": "Satu", "pdf": pdf(half)}, {"nama": "Dua", "pdf": pdf(half)}]
    assert f"have {2 * half} pages together" in refused_only(naskah, payload, "data.lampiran")


def test_an_attachment_needs_its_name(naskah, sample):
    payload = sample(SAMPLE)
    del payload["data"]["lampiran"][0]["nama"]
    refused_only(naskah, payload, "data.lampiran[0].nama")


def test_every_page_of_every_file_follows_the_letter_numbered(naskah, sample):
    """Two files, three pages: each on a page of its own after the letter, numbered within its file."""
    from checks import flat, pdftotext

    payload = sample(SAMPLE)
    payload["data"]["lampiran"].append({"nama": "Jadwal Uji Coba", "pdf": pdf(2)})
    pages = [flat(page) for page in pdftotext(naskah.render(payload)).split("\f")[:-1]]
    headings = [page.split(" DRAFT")[0] for page in pages if page.startswith("Lampiran ")]
    letter = "Surat Nomor 000.1.2.3/0875/35.73.100/2023 tanggal 4 September 2023"
    assert headings == [f"Lampiran 1 {letter} Kerangka Acuan Kerja Tim Kerja Integrasi Layanan SPBE (halaman 1 dari 1)",
                        f"Lampiran 2 {letter} Jadwal Uji Coba (halaman 1 dari 2)",
                        f"Lampiran 2 {letter} Jadwal Uji Coba (halaman 2 dari 2)"], pages
    assert pages[-3:] == [page for page in pages if page.startswith("Lampiran ")]  # after the letter
    assert "2 (dua) berkas" in pages[0]
