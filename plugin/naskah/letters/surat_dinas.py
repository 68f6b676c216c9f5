"""The letters of the involvement mechanism (Perwal Malang 16/2023 Pasal 9-10 and its Lampiran,
Perwal Cilegon 17/2023), all in the surat dinas layout: requests, replies, voluntary applications
and their written refusal."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from num2words import num2words
from pydantic import BeforeValidator, Field

from ..formatting import tanggal
from ..i18n import _, date_text
from .citations import (DAFTAR_DITUGASKAN, JAWABAN_PERMOHONAN, DURASI_JAWABAN, LAMPIRAN_TERLAMPIR, DURASI_PELIBATAN, ISI_PERMOHONAN, NOMOR_YANG_DIJAWAB,
                        PENOLAKAN_PERMOHONAN, PENOLAKAN_SUKARELA, PERMOHONAN_LINTAS_INSTANSI, PERSETUJUAN_ATASAN,
                        SUKARELA_DALAM_INSTANSI, RuleError, cite)
from .common import NIP, Kalimat, Kop, Letter, Model, Pegawai, Penandatangan, Teks


def _in_words(number: int, unit: str) -> str:
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
            parts.append(_in_words(months, "bulan"))
        if days or not months:
            parts.append(_in_words(days, "hari"))
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


def _attachments(value):
    """The attachments the payload lists, by name; "-", an empty text or none: nothing is attached. Any other text
    (an announcement such as "1 (satu) berkas") is refused: the Lampiran line is derived from what is attached."""
    if value is None or (isinstance(value, str) and value.strip() in ("", "-")):
        return []
    if isinstance(value, str):
        raise RuleError(_("list the attachments sent with the letter by name (the Lampiran line counts them), or "
                          "leave it out or \"-\" when nothing is attached; got {value!r}").format(value=value),
                        LAMPIRAN_TERLAMPIR)
    return value


#: the attachments sent with a letter, by name (naskah prints their count on the Lampiran line, "-" for none)
Lampiran = Annotated[list[Teks], BeforeValidator(_attachments), Field(max_length=50)]


class _SuratDinas(Letter):
    """The surat dinas layout: kop, place and date, Nomor / Sifat / Lampiran / Hal, Yth., body,
    signature block, numbered tembusan (job titles only). The Lampiran line counts the attachments the payload
    lists ("1 (satu) berkas"), "-" when it lists none."""

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
        return {
            "kop": self.kop.to_context(), "nomor": self.nomor, "sifat": self.sifat,
            "lampiran": _in_words(len(self.lampiran), "berkas") if self.lampiran else "-",
            "berkas_lampiran": list(self.lampiran),
            "hal": self.hal, "tempat": self.tempat, "tanggal": self.tanggal,
            "tujuan": {"jabatan": self.tujuan.jabatan, "tempat": self.tujuan.tempat},
            "penandatangan": self.penandatangan.to_context(), "tembusan": list(self.tembusan),
        }


Lingkup = Literal["lintas_unit_organisasi", "lintas_perangkat_daerah", "lintas_instansi"]


class PermohonanPelibatan(_SuratDinas):
    """A request to involve officials of another unit or agency; it must state the four contents the
    regulations require: purpose, competence needed, performance expectation, duration."""

    #: fields a template shows through what the letter makes of them (for `naskah check`)
    PRINTED_AS: ClassVar[dict[str, tuple[str, ...]]] = {"lingkup": ("lintas_instansi",),
                                                        "jumlah_pegawai": ("jumlah_pegawai_kata",)}
    FIELD_CITATIONS = {"maksud_tujuan": ISI_PERMOHONAN, "kompetensi": ISI_PERMOHONAN,
                       "ekspektasi_kinerja": ISI_PERMOHONAN, "durasi": DURASI_PELIBATAN}

    lingkup: Lingkup
    instansi_tujuan: Teks | None = None
    kegiatan: Teks
    maksud_tujuan: Kalimat
    kompetensi: list[Kalimat] = Field(min_length=1, max_length=30)
    ekspektasi_kinerja: list[Kalimat] = Field(min_length=1, max_length=30)
    jumlah_pegawai: int = Field(ge=1, le=500)
    durasi: Durasi

    def rule_problems(self) -> list[tuple[tuple, str]]:
        problems = super().rule_problems() + [(("durasi", *loc), msg) for loc, msg in self.durasi.rule_problems()]
        if self.lingkup == "lintas_instansi" and not self.instansi_tujuan:
            problems.append((("instansi_tujuan",), cite(_("required for a cross-agency request: the agency asked"),
                                                        PERMOHONAN_LINTAS_INSTANSI)))
        if self.durasi.mulai < self.tanggal:
            problems.append((("durasi", "mulai"), cite(_("involvement starts {start}, before the request's date {date}")
                                                       .format(start=date_text(self.durasi.mulai),
                                                               date=date_text(self.tanggal)), DURASI_PELIBATAN)))
        return problems

    def to_context(self) -> dict:
        return super().to_context() | {
            "lingkup": self.lingkup, "lintas_instansi": self.lingkup == "lintas_instansi",
            "instansi_tujuan": self.instansi_tujuan or "", "kegiatan": self.kegiatan,
            "maksud_tujuan": self.maksud_tujuan, "kompetensi": list(self.kompetensi),
            "ekspektasi_kinerja": list(self.ekspektasi_kinerja),
            "jumlah_pegawai": self.jumlah_pegawai,
            "jumlah_pegawai_kata": _in_words(self.jumlah_pegawai, "orang"),
            "durasi": self.durasi.to_context(),
        }


class JawabanPermohonanPelibatan(_SuratDinas):
    """The reply to a request: approved with the officials assigned and the duration, or refused
    with the reasons."""

    PRINTED_AS: ClassVar[dict[str, tuple[str, ...]]] = {"keputusan": ("disetujui",)}
    FIELD_CITATIONS = {"surat_permohonan": JAWABAN_PERMOHONAN}

    keputusan: Literal["disetujui", "ditolak"]
    surat_permohonan: SuratRujukan
    pegawai_ditugaskan: list[Pegawai] = Field(default_factory=list, max_length=500)
    durasi: Durasi | None = None
    alasan: list[Kalimat] = Field(default_factory=list, max_length=50)
    saran: Kalimat | None = None

    def rule_problems(self) -> list[tuple[tuple, str]]:
        problems = super().rule_problems()
        if self.surat_permohonan.nomor is None:
            problems.append((("surat_permohonan", "nomor"), cite(_("required: the reply cites the request's number"),
                                                                 NOMOR_YANG_DIJAWAB)))
        if self.keputusan == "disetujui":
            if not self.pegawai_ditugaskan:
                problems.append((("pegawai_ditugaskan",), cite(_("an approval lists at least one official assigned"),
                                                               DAFTAR_DITUGASKAN)))
            if self.durasi is None:
                problems.append((("durasi",), cite(_("an approval states the duration of the involvement"),
                                                   DURASI_JAWABAN)))
            else:
                problems += [(("durasi", *loc), msg) for loc, msg in self.durasi.rule_problems()]
        elif not self.alasan:
            problems.append((("alasan",), cite(_("a refusal gives at least one reason"), PENOLAKAN_PERMOHONAN)))
        return problems

    def to_context(self) -> dict:
        return super().to_context() | {
            "keputusan": self.keputusan, "disetujui": self.keputusan == "disetujui",
            "surat_permohonan": _rujukan(self.surat_permohonan),
            "pegawai_ditugaskan": [p.to_context() for p in self.pegawai_ditugaskan],
            "durasi": self.durasi.to_context() if self.durasi else None,
            "alasan": list(self.alasan), "saran": self.saran or "",
        }


class Pemohon(Pegawai):
    """The official who applies voluntarily, and the unit they belong to."""

    unit: Teks


class PersetujuanAtasan(Model):
    """The direct superior's consent, which a voluntary application needs (Malang Pasal 10(5)); the mapping's
    signature flow has the superior review (paraf) the application before the applicant signs it."""

    jabatan: Teks
    nama: Teks
    nip: NIP | None = None


class PengajuanSukarela(Letter):
    """A voluntary application to join a team of another unit, signed by the official applying: within the
    agency only (Malang Lampiran huruf A angka 2 huruf b), with the direct superior's consent (Pasal 10 ayat (5))."""

    FIELD_CITATIONS = {"persetujuan_atasan": PERSETUJUAN_ATASAN}

    lingkup: Lingkup
    tempat: Teks
    tanggal: dt.date
    hal: Teks
    tujuan: Tujuan
    pemohon: Pemohon
    kegiatan: Teks
    kompetensi: list[Kalimat] = Field(min_length=1, max_length=30)
    durasi: Durasi
    persetujuan_atasan: PersetujuanAtasan
    tembusan: list[Teks] = Field(default_factory=list, max_length=30)

    #: an application has no number of its own
    nomor: ClassVar[None] = None
    NOMOR_FIELD = None

    def rule_problems(self) -> list[tuple[tuple, str]]:
        problems = [(("durasi", *loc), msg) for loc, msg in self.durasi.rule_problems()]
        if self.lingkup == "lintas_instansi":
            problems.append((("lingkup",), cite(_(
                "a voluntary application is made only within the applicant's own agency (within or across its "
                "units), not {lingkup}: an official of another agency is involved by a request "
                "(permohonan_pelibatan)").format(lingkup=self.lingkup), SUKARELA_DALAM_INSTANSI)))
        return problems

    @property
    def issuer(self) -> list[str]:
        """The applicant's unit: the letter has no kop."""
        return [self.pemohon.unit]

    @property
    def signer(self) -> Penandatangan:
        """The applicant signs in person."""
        return Penandatangan(jabatan=self.pemohon.jabatan, nama=self.pemohon.nama, pangkat=self.pemohon.pangkat,
                             golongan=self.pemohon.golongan, nip=self.pemohon.nip)

    @property
    def baris_jabatan(self) -> list[str]:
        """No a.n.: "Pemohon," above the name."""
        return ["Pemohon,"]

    def to_context(self) -> dict:
        return {
            "lingkup": self.lingkup, "tempat": self.tempat, "tanggal": self.tanggal, "hal": self.hal,
            "nomor": "", "tujuan": {"jabatan": self.tujuan.jabatan, "tempat": self.tujuan.tempat},
            "pemohon": self.pemohon.to_context() | {"unit": self.pemohon.unit},
            "kegiatan": self.kegiatan, "kompetensi": list(self.kompetensi), "durasi": self.durasi.to_context(),
            "persetujuan_atasan": {"jabatan": self.persetujuan_atasan.jabatan, "nama": self.persetujuan_atasan.nama},
            "tembusan": list(self.tembusan),
            "penandatangan": self.signer.to_context() | {"baris_jabatan": self.baris_jabatan},
        }


class PenolakanPengajuanSukarela(_SuratDinas):
    """The written refusal of a voluntary application, with the reasons (Malang Lampiran huruf A angka 2 huruf b
    angka 2) huruf e))."""

    FIELD_CITATIONS = {"alasan": PENOLAKAN_SUKARELA}

    surat_permohonan: SuratRujukan
    alasan: list[Kalimat] = Field(min_length=1, max_length=50)

    def to_context(self) -> dict:
        return super().to_context() | {"surat_permohonan": _rujukan(self.surat_permohonan),
                                       "alasan": list(self.alasan)}


def _rujukan(surat: SuratRujukan) -> dict:
    cited = f"Nomor {surat.nomor} tanggal {tanggal(surat.tanggal)}" if surat.nomor else f"tanggal {tanggal(surat.tanggal)}"
    return {"nomor": surat.nomor or "", "tanggal": surat.tanggal, "hal": surat.hal, "kutipan": cited}
