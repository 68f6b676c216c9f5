"""The regulations naskah follows, one Peraturan Wali Kota on the Sistem Kerja per city: how a citation names
each, its city, its template set and the letter kinds it provides.

A mapping names one by its key (``peraturan: perwal_cilegon_17_2023``; Malang's when it names none); that choice
selects the template set (``templates/<set>/``, the Malang set at the top of ``templates/``) and the rules its
letters follow: each rule says its article in each regulation (naskah.letters.citations), and the letter is
refused under the article of its own. The texts are in ``../shared/regulations/``.

The letter kinds each regulation provides, and why:
- Perwal Kota Malang 16/2023 is the reference the letter kinds were built on: every kind (the two Surat Tugas of
  Lampiran huruf C, the Surat Perintah of Pasal 9 ayat (6), the Keputusan of ayat (8), the letters of the
  penunjukan and the pengajuan sukarela of Lampiran huruf A angka 2).
- Perwal Kota Cilegon 17/2023 forms a team by Keputusan (Pasal 9), assigns by "surat perintah tugas" (Pasal 6 ayat
  (4), the individual Surat Tugas, also the surat penugasan after an approval, Lampiran huruf B angka 1 huruf b
  angka 3)), asks for officials by a request answered by the Pejabat Penilai Kinerja (Lampiran huruf B angka 1
  huruf b), across agencies first to its own Pejabat yang Berwenang (huruf c angka 1)) and knows the voluntary
  application and its approval by the Pimpinan Unit Organisasi dituju (huruf B angka 2 huruf b angka 1)-2)); it
  writes no Surat Perintah forming a team, no Surat Tugas listing a team and no written refusal of an application.
- Perwal Kota Tangerang 12/2023 appoints a team's Ketua by surat perintah (Pasal 22 ayat (1) huruf a and b) or by
  Keputusan (huruf c, Pasal 30), assigns by "surat tugas/surat perintah" (Pasal 22 ayat (4), Pasal 23 ayat (1)),
  asks for officials by a request of four contents (Pasal 24 ayat (2)-(3)) and knows the voluntary application
  (Pasal 24 ayat (4)); it states no reply to a request and no refusal of an application, and a team is assigned by
  Surat Perintah, not by a Surat Tugas listing it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Peraturan = Literal["perwal_malang_16_2023", "perwal_cilegon_17_2023", "perwal_tangerang_12_2023"]

MALANG, CILEGON, TANGERANG = "perwal_malang_16_2023", "perwal_cilegon_17_2023", "perwal_tangerang_12_2023"
#: the regulation of a mapping that names none (the mappings written before there was a choice follow Malang's)
DEFAULT = MALANG


@dataclass(frozen=True)
class Regulation:
    """One city's Peraturan Wali Kota on the Sistem Kerja."""

    key: str
    #: how a citation names it: "Perwal Kota Malang 16/2023"
    nama: str
    #: the city, as its letters name it
    kota: str
    #: the template set: a folder under the templates folder ("" for the Malang set at its top)
    template_set: str
    #: the letter kinds the regulation provides; None: every kind (Malang's, which the kinds were built on)
    jenis: frozenset[str] | None

    def provides(self, letter_kind: str) -> bool:
        return self.jenis is None or letter_kind in self.jenis

    def template(self, name: str) -> str:
        """A template's path under the templates folder: ``name`` in this regulation's set."""
        return f"{self.template_set}/{name}" if self.template_set else name


REGULATIONS: dict[str, Regulation] = {
    MALANG: Regulation(MALANG, "Perwal Kota Malang 16/2023", "Malang", "", None),
    CILEGON: Regulation(CILEGON, "Perwal Kota Cilegon 17/2023", "Cilegon", "cilegon", frozenset({
        "keputusan_tim_kerja", "surat_tugas_individu", "permohonan_pelibatan", "permohonan_pelibatan_pejabat_berwenang",
        "jawaban_permohonan_pelibatan", "pengajuan_sukarela", "persetujuan_pengajuan_sukarela"})),
    TANGERANG: Regulation(TANGERANG, "Perwal Kota Tangerang 12/2023", "Tangerang", "tangerang", frozenset({
        "surat_perintah", "keputusan_tim_kerja", "surat_tugas_individu", "permohonan_pelibatan",
        "pengajuan_sukarela"})),
}

#: how a refusal names each regulation
NAMA_PERATURAN: dict[str, str] = {key: regulation.nama for key, regulation in REGULATIONS.items()}


def regulation(key: str | None) -> Regulation:
    """The regulation of ``key`` (Malang's for None); KeyError for a key naskah does not know."""
    return REGULATIONS[key or DEFAULT]
