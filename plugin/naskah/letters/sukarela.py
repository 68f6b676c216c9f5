"""The pengajuan sukarela across units: the official's own application, its written approval and its written refusal
(Perwal Kota Malang 16/2023 Pasal 10 and Lampiran huruf A angka 2 huruf b angka 2); Perwal Kota Cilegon 17/2023
Lampiran huruf B angka 2 huruf b; Perwal Kota Tangerang 12/2023 Pasal 24 ayat (4)).

- Only within the applicant's own agency (Malang: "hanya dapat dilakukan di dalam unit organisasi ... dan lintas unit
  organisasi di dalam Instansi Pemerintah bersangkutan"), with the direct superior's consent (Malang Pasal 10 ayat (5)).
- The Pimpinan Unit Organisasi dituju approves it in writing (angka 2) huruf b)); the applicant takes the approval to
  their own Pejabat Penilai Kinerja, who then assigns them by a surat penugasan (huruf c): a Surat Tugas citing the
  approval, naskah.letters.surat_tugas), or refuses it in writing with the reasons (huruf e)).
"""
from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import Field

from ..i18n import _, date_text
from .citations import (PENOLAKAN_SUKARELA, PERSETUJUAN_ATASAN, PERSETUJUAN_SUKARELA, SUKARELA_DALAM_INSTANSI,
                        cite)
from .common import Kalimat, Letter, Pegawai, Penandatangan, Teks
from .pengawasan import pengawasan_problems
from .per_kota import consent_problems
from .surat_dinas import DALAM_INSTANSI, Durasi, Lingkup, Pejabat, SuratDinas, SuratRujukan, Tujuan


class Pemohon(Pegawai):
    """The official who applies voluntarily, and the unit they belong to."""

    unit: Teks

    def to_context(self) -> dict:
        return super().to_context() | {"unit": self.unit}


class PersetujuanAtasan(Pejabat):
    """The direct superior's consent, which a voluntary application needs (Malang Pasal 10(5)); the mapping's
    signature flow has the superior review (paraf) the application before the applicant signs it."""


def _within_the_agency(lingkup: str) -> list[tuple[tuple, str]]:
    if lingkup in DALAM_INSTANSI or not SUKARELA_DALAM_INSTANSI.applies():
        return []
    return [(("lingkup",), cite(_(
        "a voluntary application is made only within the applicant's own agency (within or across its units), not "
        "{lingkup}: an official of another agency is involved by a request (permohonan_pelibatan)").format(
        lingkup=lingkup), SUKARELA_DALAM_INSTANSI))]


class PengajuanSukarela(Letter):
    """A voluntary application to join a team of another unit, signed by the official applying: within the
    agency only (Malang Lampiran huruf A angka 2 huruf b), with the direct superior's consent (Pasal 10 ayat (5))."""

    FIELD_CITATIONS = {"persetujuan_atasan": PERSETUJUAN_ATASAN}
    #: fields shown through others (for `naskah check`): the scope chooses the rules, the letter names the addressee
    PRINTED_AS: ClassVar[dict[str, tuple[str, ...]]] = {"penilai_kinerja": ("tembusan",), "lingkup": ("tujuan",)}

    lingkup: Lingkup
    tempat: Teks
    tanggal: dt.date
    hal: Teks
    tujuan: Tujuan
    pemohon: Pemohon
    kegiatan: Teks
    kompetensi: list[Kalimat] = Field(min_length=1, max_length=30)
    durasi: Durasi
    #: the direct superior's consent (Malang Pasal 10 ayat (5)); Cilegon copies the application to the applicant's
    #: Pejabat Penilai Kinerja instead (``penilai_kinerja``): naskah.letters.per_kota
    persetujuan_atasan: PersetujuanAtasan | None = None
    penilai_kinerja: Pejabat | None = None
    tembusan: list[Teks] = Field(default_factory=list, max_length=30)

    #: an application has no number of its own
    nomor: ClassVar[None] = None
    NOMOR_FIELD = None

    def rule_problems(self) -> list[tuple[tuple, str]]:
        problems = [(("durasi", *loc), msg) for loc, msg in self.durasi.rule_problems()]
        problems += consent_problems(self.persetujuan_atasan, self.penilai_kinerja, self.tembusan)
        problems += pengawasan_problems([(("pemohon",), self.pemohon)])
        return problems + _within_the_agency(self.lingkup)

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
            "pemohon": self.pemohon.to_context(),
            "kegiatan": self.kegiatan, "kompetensi": list(self.kompetensi), "durasi": self.durasi.to_context(),
            "persetujuan_atasan": self.persetujuan_atasan.to_context() if self.persetujuan_atasan else None,
            "penilai_kinerja": self.penilai_kinerja.to_context() if self.penilai_kinerja else None,
            "tembusan": list(self.tembusan),
            "penandatangan": self.signer.to_context() | {"baris_jabatan": self.baris_jabatan},
        }


class PersetujuanPengajuanSukarela(SuratDinas):
    """The written approval of a voluntary application by the Pimpinan Unit Organisasi dituju, addressed to the
    applicant: who is approved, for which work and how long, and the applicant's Pejabat Penilai Kinerja
    (``penilai_kinerja``), to whom the applicant takes it for the surat penugasan (Malang Lampiran huruf A angka 2
    huruf b angka 2) huruf b)-c); Cilegon Lampiran huruf B angka 2 huruf b angka 2)-3))."""

    PRINTED_AS: ClassVar[dict[str, tuple[str, ...]]] = {"lingkup": ("kegiatan",)}
    FIELD_CITATIONS = {"surat_permohonan": PERSETUJUAN_SUKARELA, "pemohon": PERSETUJUAN_SUKARELA,
                       "penilai_kinerja": PERSETUJUAN_SUKARELA}

    lingkup: Lingkup
    surat_permohonan: SuratRujukan
    pemohon: Pemohon
    kegiatan: Teks
    durasi: Durasi
    penilai_kinerja: Pejabat

    def rule_problems(self) -> list[tuple[tuple, str]]:
        problems = super().rule_problems() + [(("durasi", *loc), msg) for loc, msg in self.durasi.rule_problems()]
        problems += _within_the_agency(self.lingkup) + pengawasan_problems([(("pemohon",), self.pemohon)])
        if self.surat_permohonan.tanggal > self.tanggal:
            problems.append((("surat_permohonan", "tanggal"), cite(_(
                "the approval answers the application, which is dated {applied}, after this letter's date {date}")
                .format(applied=date_text(self.surat_permohonan.tanggal), date=date_text(self.tanggal)),
                PERSETUJUAN_SUKARELA)))
        return problems

    def to_context(self) -> dict:
        return super().to_context() | {
            "lingkup": self.lingkup, "surat_permohonan": self.surat_permohonan.to_context(),
            "pemohon": self.pemohon.to_context(), "kegiatan": self.kegiatan, "durasi": self.durasi.to_context(),
            "penilai_kinerja": self.penilai_kinerja.to_context(),
        }


class PenolakanPengajuanSukarela(SuratDinas):
    """The written refusal of a voluntary application, with the reasons (Malang Lampiran huruf A angka 2 huruf b
    angka 2) huruf e))."""

    FIELD_CITATIONS = {"alasan": PENOLAKAN_SUKARELA}

    surat_permohonan: SuratRujukan
    alasan: list[Kalimat] = Field(min_length=1, max_length=50)

    def to_context(self) -> dict:
        return super().to_context() | {"surat_permohonan": self.surat_permohonan.to_context(),
                                       "alasan": list(self.alasan)}
