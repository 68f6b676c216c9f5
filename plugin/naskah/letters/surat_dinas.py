"""The surat dinas layout the letters of the involvement mechanism share (Perwal Malang 16/2023 Lampiran huruf A
angka 2, Perwal Cilegon 17/2023 Lampiran huruf B, Perwal Tangerang 12/2023 Pasal 24), and their common parts: the
duration of an involvement, the letters a letter cites, the officials it names, and the Lampiran.

The letters themselves: the requests and the reply (naskah.letters.pelibatan), the voluntary application, its
approval and its refusal (naskah.letters.sukarela).
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from num2words import num2words
from pydantic import AfterValidator, BeforeValidator, Field

from ..attachments import MAX_FILES, MAX_PAGES, read_pdf
from ..formatting import tanggal
from ..i18n import _, date_text
from .citations import DURASI_PELIBATAN, LAMPIRAN_TERLAMPIR, RuleError, cite
from .common import NIP, Kop, Letter, Model, Penandatangan, Teks


def in_words(number: int, unit: str) -> str:
    """ "4 (empat) bulan"."""
    return f"{number} ({num2words(number, lang='id')}) {unit}"


class Durasi(Model):
    """How long the involvement lasts: the regulations require it in every request."""

    mulai: dt.date
    selesai: dt.date

    @property
    def lama(self) -> str:
        """The length in words, counting both ends: 1 September to 31 December is "4 (empat) bulan"."""
        end = self.selesai + dt.timedelta(days=1)
        months = (end.year - self.mulai.year) * 12 + end.month - self.mulai.month
        anchor = _add_months(self.mulai, months)
        if anchor > end:
            months -= 1
            anchor = _add_months(self.mulai, months)
        days = (end - anchor).days
        parts = []
        if months:
            parts.append(in_words(months, "bulan"))
        if days or not months:
            parts.append(in_words(days, "hari"))
        return " ".join(parts)

    def rule_problems(self) -> list[tuple[tuple, str]]:
        if self.selesai < self.mulai:
            return [(("selesai",), cite(_("ends {end}, before it starts {start}").format(
                end=date_text(self.selesai), start=date_text(self.mulai)), DURASI_PELIBATAN))]
        return []

    def to_context(self) -> dict:
        return {"mulai": self.mulai, "selesai": self.selesai, "lama": self.lama}


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


class Tujuan(Model):
    """The addressee: "Yth. <jabatan>" and "di <tempat>"."""

    jabatan: Teks
    tempat: Teks


class SuratRujukan(Model):
    """The letter a reply answers; a voluntary application may have no number."""

    nomor: Teks | None = None
    tanggal: dt.date
    hal: Teks

    def to_context(self) -> dict:
        cited = f"Nomor {self.nomor} tanggal {tanggal(self.tanggal)}" if self.nomor else f"tanggal {tanggal(self.tanggal)}"
        return {"nomor": self.nomor or "", "tanggal": self.tanggal, "hal": self.hal, "kutipan": cited}


class SuratDirujuk(SuratRujukan):
    """A letter of another official that this one follows up ("Menindaklanjuti surat <dari> Nomor ..."): the first
    step of a cross-agency request, cited by the second."""

    dari: Teks
    nomor: Teks

    def to_context(self) -> dict:
        return super().to_context() | {"dari": self.dari}


class Pejabat(Model):
    """An official a letter names by title and name: a Pejabat Penilai Kinerja, a direct superior."""

    jabatan: Teks
    nama: Teks
    nip: NIP | None = None

    def to_context(self) -> dict:
        return {"jabatan": self.jabatan, "nama": self.nama}

    def signs(self, signer: Penandatangan) -> bool:
        """Whether ``signer`` is this official: the same NIP where both have one, else the same name."""
        if signer.nip and self.nip:
            return signer.nip == self.nip
        return words(signer.nama) == words(self.nama)

    def copied_in(self, lines: list[str]) -> bool:
        """Whether one of ``lines`` (a tembusan) names this official's title."""
        return any(words(self.jabatan) in words(line) for line in lines)


def words(text: str) -> str:
    """Text compared word for word, whatever its case, commas and spacing."""
    return " " + " ".join(text.casefold().replace(",", " ").split()) + " "


def _pdf(value: str | None):
    return None if value is None else read_pdf(value)


class BerkasLampiran(Model):
    """An attachment: its name, and the file itself (a PDF, base64) when the host sends it with the letter; naskah
    appends its pages to the letter (naskah.attachments). Without a file the host delivers it alongside."""

    nama: Teks
    pdf: Annotated[str | None, AfterValidator(_pdf)] = None


def _attachments(value):
    """The attachments the payload lists: names, or a name with its file (``{"nama": ..., "pdf": ...}``); "-", an
    empty text or none: nothing is attached. Any other text (an announcement such as "1 (satu) berkas") is refused:
    the Lampiran line is derived from what is attached."""
    if value is None or (isinstance(value, str) and value.strip() in ("", "-")):
        return []
    if isinstance(value, str):
        raise RuleError(_("list the attachments sent with the letter by name (the Lampiran line counts them), or "
                          "leave it out or \"-\" when nothing is attached; got {value!r}").format(value=value),
                        LAMPIRAN_TERLAMPIR)
    if isinstance(value, list):
        return [{"nama": item} if isinstance(item, str) else item for item in value]
    return value


def _bounded(attached: list[BerkasLampiran]) -> list[BerkasLampiran]:
    files = [item.pdf for item in attached if item.pdf]
    if len(files) > MAX_FILES:
        raise ValueError(_("{count} files attached; a letter carries at most {limit}").format(count=len(files),
                                                                                               limit=MAX_FILES))
    pages = sum(item.pages for item in files)
    if pages > MAX_PAGES:
        raise ValueError(_("the attached files have {pages} pages together; a letter carries at most {limit} pages "
                           "of attachments").format(pages=pages, limit=MAX_PAGES))
    return attached


#: the attachments sent with a letter (naskah prints their count on the Lampiran line, "-" for none)
Lampiran = Annotated[list[BerkasLampiran], BeforeValidator(_attachments), Field(max_length=50),
                     AfterValidator(_bounded)]


class SuratDinas(Letter):
    """The surat dinas layout: kop, place and date, Nomor / Sifat / Lampiran / Hal, Yth., body,
    signature block, numbered tembusan (job titles only). The Lampiran line counts the attachments the payload
    lists ("1 (satu) berkas"), "-" when it lists none; the files the host sends follow the letter as pages."""

    kop: Kop
    nomor: Teks
    sifat: Teks = "Biasa"
    lampiran: Lampiran = Field(default_factory=list)
    hal: Teks
    tempat: Teks
    tanggal: dt.date
    tujuan: Tujuan
    penandatangan: Penandatangan
    tembusan: list[Teks] = Field(default_factory=list, max_length=30)

    def rule_problems(self) -> list[tuple[tuple, str]]:
        return [(("penandatangan", *loc), msg) for loc, msg in self.penandatangan.rule_problems()]

    def to_context(self) -> dict:
        files = [item for item in self.lampiran if item.pdf]
        return {
            "kop": self.kop.to_context(), "nomor": self.nomor, "sifat": self.sifat,
            "lampiran": in_words(len(self.lampiran), "berkas") if self.lampiran else "-",
            "berkas_lampiran": [item.nama for item in self.lampiran],
            # the files to append as pages (naskah.render draws each page; ``halaman`` numbers them)
            "lampiran_pdf": [{"nomor": number, "nama": item.nama, "pdf": item.pdf,
                              "halaman": [{"nomor": page, "dari": item.pdf.pages}
                                          for page in range(1, item.pdf.pages + 1)]}
                             for number, item in enumerate(files, start=1)],
            "hal": self.hal, "tempat": self.tempat, "tanggal": self.tanggal,
            "tujuan": {"jabatan": self.tujuan.jabatan, "tempat": self.tujuan.tempat},
            "penandatangan": self.penandatangan.to_context(), "tembusan": list(self.tembusan),
        }


Lingkup = Literal["lintas_unit_organisasi", "lintas_perangkat_daerah", "lintas_instansi"]
#: the scopes within one agency: a city's Perangkat Daerah are units of one Instansi Pemerintah
DALAM_INSTANSI = ("lintas_unit_organisasi", "lintas_perangkat_daerah")
