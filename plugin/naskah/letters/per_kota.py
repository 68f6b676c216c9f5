"""The rules of the requests and applications that differ by city, each checked where the letter's regulation
states it (naskah.letters.citations: ``RULE.applies()``, under the letter's own regulation).

- A request's third content: the ekspektasi/target kinerja (Perwal Kota Malang 16/2023 Lampiran huruf A angka 2
  huruf a; Perwal Kota Cilegon 17/2023 Lampiran huruf B angka 1), or the "uraian tugas dan target capaian individu"
  (Perwal Kota Tangerang 12/2023 Pasal 24 ayat (3) huruf c): each duty with the target the official reaches in it.
- Tangerang Pasal 22 ayat (4) huruf b: a team across Perangkat Daerah is assigned on the consideration of the
  Sekretaris Daerah, so a request across Perangkat Daerah is addressed or copied to the Sekretaris Daerah.
- Who consents to a voluntary application: the direct superior beforehand (Malang Pasal 10 ayat (5)); Cilegon copies
  the application to the applicant's Pejabat Penilai Kinerja and Pimpinan Unit Organisasi (Lampiran huruf B angka 2
  huruf b angka 1)), who approves it afterwards (angka 2)-3)); Tangerang Pasal 24 ayat (4) asks for neither.
"""
from __future__ import annotations

from ..i18n import _
from .citations import (EKSPEKTASI_KINERJA, PERSETUJUAN_ATASAN, SEKDA_LINTAS_PERANGKAT_DAERAH, TEMBUSAN_SUKARELA,
                        URAIAN_TUGAS, cite)
from .common import Kalimat, Model


class UraianTugas(Model):
    """One duty of the officials asked for and the individual target they reach in it (Tangerang Pasal 24 ayat (3)
    huruf c)."""

    tugas: Kalimat
    target: Kalimat

    def to_context(self) -> dict:
        return {"tugas": self.tugas, "target": self.target}


def third_content_problems(ekspektasi_kinerja: list, uraian_tugas: list) -> list[tuple[tuple, str]]:
    """The request's third content, as its regulation names it."""
    problems = []
    if EKSPEKTASI_KINERJA.applies() and not ekspektasi_kinerja:
        problems.append((("ekspektasi_kinerja",), cite(_("required, missing from the payload"),
                                                       EKSPEKTASI_KINERJA)))
    if URAIAN_TUGAS.applies() and not uraian_tugas:
        problems.append((("uraian_tugas",), cite(_("required, missing from the payload"), URAIAN_TUGAS)))
    return problems


def _names(lines: list[str], title: str) -> bool:
    return any(title in " ".join(line.casefold().split()) for line in lines)


def sekda_problems(lingkup: str, tujuan: str, tembusan: list[str]) -> list[tuple[tuple, str]]:
    """A request across Perangkat Daerah reaches the Sekretaris Daerah, where the regulation says so."""
    if lingkup != "lintas_perangkat_daerah" or not SEKDA_LINTAS_PERANGKAT_DAERAH.applies():
        return []
    if _names([tujuan, *tembusan], "sekretaris daerah"):
        return []
    return [(("tembusan",), cite(_("a request across Perangkat Daerah is addressed or copied (tembusan) to the "
                                   "Sekretaris Daerah, whose consideration the assignment of a team across Perangkat "
                                   "Daerah takes"), SEKDA_LINTAS_PERANGKAT_DAERAH))]


def consent_problems(persetujuan_atasan, penilai_kinerja, tembusan: list[str]) -> list[tuple[tuple, str]]:
    """A voluntary application's consent, as its regulation asks for it: the superior's (Malang), or copies to the
    applicant's Pejabat Penilai Kinerja and Pimpinan Unit Organisasi (Cilegon)."""
    problems = []
    if PERSETUJUAN_ATASAN.applies() and persetujuan_atasan is None:
        problems.append((("persetujuan_atasan",), cite(_("required, missing from the payload"),
                                                       PERSETUJUAN_ATASAN)))
    if TEMBUSAN_SUKARELA.applies():
        if penilai_kinerja is None:
            problems.append((("penilai_kinerja",), cite(_("required: the applicant's Pejabat Penilai Kinerja, to "
                                                          "whom the application is copied (jabatan, nama)"),
                                                        TEMBUSAN_SUKARELA)))
        elif not penilai_kinerja.copied_in(tembusan):
            problems.append((("tembusan",), cite(_("the application is copied (tembusan) to the applicant's Pejabat "
                                                   "Penilai Kinerja, {jabatan}, and to the Pimpinan Unit Organisasi "
                                                   "of the applicant's unit; no tembusan names the Pejabat Penilai "
                                                   "Kinerja").format(jabatan=penilai_kinerja.jabatan),
                                                 TEMBUSAN_SUKARELA)))
    return problems
