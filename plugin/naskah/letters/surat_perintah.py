"""The Surat Perintah that forms a Tim Kerja and appoints its Ketua, laid out like the Surat Tugas of Perwal Kota
Malang 16/2023 Lampiran C.1 with MEMERINTAHKAN.

Who may issue it depends on the city (naskah.letters.penetapan): Perwal Kota Malang 16/2023 Pasal 9 ayat (6) (the
Pimpinan Unit Organisasi, the Pejabat Penilai Kinerja or the Kepala Perangkat Daerah); Perwal Kota Tangerang
12/2023 Pasal 22 ayat (1) huruf a (a team within or across the units of a Perangkat Daerah: its Kepala) and huruf b
(across Perangkat Daerah: the Wali Kota or the Sekretaris Daerah). Perwal Kota Cilegon 17/2023 Pasal 9 ayat (1)-(2)
forms teams by Keputusan, so a Cilegon Surat Perintah forming one is refused. The team has exactly one Ketua
(Malang Pasal 9 ayat (3)), who reports the members' performance to their Pejabat Penilai Kinerja (Tangerang Pasal
22 ayat (2); Malang Lampiran huruf D angka 3 huruf e).
"""
from __future__ import annotations

from typing import ClassVar

from .penetapan import (LingkupTim, Penetap, TimDitetapkan, ketua_problems, penetapan_problems,
                        raw_date, raw_ketua_problems, signer_problems)
from .surat_tugas import _SuratTugas, _validity_problem


class SuratPerintah(_SuratTugas):
    """Dasar, MEMERINTAHKAN, Kepada (the team, listed in the Lampiran), Untuk (the Ketua named first), validity,
    signature, tembusan, and the Lampiran with the team."""

    PRINTED_AS: ClassVar[dict[str, tuple[str, ...]]] = {
        "lingkup": ("penandatangan",), "penetap": ("penandatangan",)}

    lingkup: LingkupTim
    penetap: Penetap
    tim: TimDitetapkan

    @classmethod
    def rules_on_raw_fields(cls, fields: dict) -> list[tuple[tuple, str]]:
        problems = raw_ketua_problems(fields)
        end, issued = raw_date(fields, "berlaku_sampai"), raw_date(fields, "ditetapkan", "tanggal")
        if end and issued and end < issued:
            problems.append((("berlaku_sampai",), _validity_problem(end, issued)))
        return problems

    def rule_problems(self) -> list[tuple[tuple, str]]:
        problems = super().rule_problems()
        problems += penetapan_problems(self.peraturan, "surat_perintah", self.lingkup, self.penetap.tingkat)
        problems += ketua_problems(self.peraturan, [(m.peran, m.nama) for m in self.tim.anggota])
        problems += self.tim.pengawasan_problems()
        problems += signer_problems("surat_perintah", self.penetap, self.penandatangan, self.peraturan)
        return problems

    @property
    def hal(self) -> str:
        return f"Surat Perintah {self.tim.nama}"

    def to_context(self) -> dict:
        return super().to_context() | {"tim": self.tim.to_context()}
