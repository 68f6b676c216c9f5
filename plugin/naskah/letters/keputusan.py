"""The Keputusan that forms a Tim Kerja and appoints its Ketua.

Who may issue it depends on the city (naskah.letters.penetapan): Perwal Kota Malang 16/2023 Pasal 9 ayat (8)
(a Keputusan Wali Kota or Sekretaris Daerah where legislation requires one; otherwise the team is assigned by
Surat Perintah, ayat (6)); Perwal Kota Cilegon 17/2023 Pasal 9 ayat (1) (Keputusan of the Pimpinan Unit Organisasi
pemilik kinerja) and ayat (2) (across agencies, Keputusan Wali Kota); Perwal Kota Tangerang 12/2023 Pasal 22 ayat
(1) huruf c (across agencies, Keputusan Wali Kota or Sekretaris Daerah) and Pasal 30 ayat (1) (former koordinators
become Ketua Tim by Keputusan Wali Kota). The team has exactly one Ketua (Malang Pasal 9 ayat (3)).

Its layout is the Keputusan of Permendagri 1/2023 on naskah dinas: kop, KEPUTUSAN and the official, NOMOR, TENTANG,
the official's title, Menimbang (a, b, ...), Mengingat (1, 2, ...), MEMUTUSKAN:, Menetapkan:, the diktum KESATU,
KEDUA, ..., Ditetapkan di / pada tanggal, the signature, and a Lampiran with the team. A Keputusan without a
consideration or a legal basis is refused: that format has both, though no Perwal says so.
"""
from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import Field, field_validator

from ..i18n import _
from .citations import MASA_BERLAKU, cite
from .common import DitetapkanLetter, Kalimat, Kop, Penandatangan, TempatTanggal, Teks
from .penetapan import (LingkupTim, Penetap, TimDitetapkan, ketua_problems, penetapan_problems,
                        raw_date, raw_ketua_problems, signer_problems, urutan)
from .surat_tugas import _validity_problem

#: the diktum the template writes itself (KESATU the team, KEDUA its Ketua, KETIGA its duties, KEEMPAT its reports);
#: the payload's own diktum follow, then the last one, when the Keputusan takes effect
DIKTUM_TETAP = 4
#: where the Keputusan format is defined, for the rules no Perwal states
FORMAT_KEPUTUSAN = "Permendagri 1/2023"


class KeputusanTimKerja(DitetapkanLetter):
    """A Keputusan forming a Tim Kerja (the Lampiran lists it, Ketua first) and appointing its Ketua."""

    #: fields that choose the rules rather than the wording: the letter shows them through its official
    PRINTED_AS: ClassVar[dict[str, tuple[str, ...]]] = {
        "lingkup": ("penetap",), "peralihan_koordinator": ("penetap",),
        "diktum": ("diktum_tambahan",)}

    lingkup: LingkupTim
    #: Tangerang Pasal 30 ayat (1): the Ketua was koordinator or subkoordinator before the equalisation of posts
    peralihan_koordinator: bool = False
    kop: Kop
    nomor: Teks
    penetap: Penetap
    tentang: Teks
    menimbang: list[Kalimat] = Field(default_factory=list, max_length=26)
    mengingat: list[Kalimat] = Field(default_factory=list, max_length=50)
    tim: TimDitetapkan
    tugas: list[Kalimat] = Field(min_length=1, max_length=26)
    melapor_kepada: Teks
    diktum: list[Kalimat] = Field(default_factory=list, max_length=20)
    berlaku_sampai: dt.date | None = None
    ditetapkan: TempatTanggal
    penandatangan: Penandatangan
    tembusan: list[Teks] = Field(default_factory=list, max_length=30)

    @field_validator("menimbang", "mengingat", "tugas")
    @classmethod
    def _without_final_punctuation(cls, items: list[str]) -> list[str]:
        """The template punctuates the lists, so an item's own final ; or . is dropped."""
        return [item.rstrip(" ;.") or item for item in items]

    @classmethod
    def rules_on_raw_fields(cls, fields: dict) -> list[tuple[tuple, str]]:
        """The rules that can still be judged when another field failed validation (one refusal lists all)."""
        problems = raw_ketua_problems(fields)
        for name in ("menimbang", "mengingat"):
            if isinstance(fields.get(name), list) and not fields[name]:
                problems.append(((name,), _empty_problem(name)))
        end, issued = raw_date(fields, "berlaku_sampai"), raw_date(fields, "ditetapkan", "tanggal")
        if end and issued and end < issued:
            problems.append((("berlaku_sampai",), _validity_problem(end, issued, MASA_BERLAKU)))
        return problems

    def rule_problems(self) -> list[tuple[tuple, str]]:
        problems = [(("penandatangan", *loc), msg) for loc, msg in self.penandatangan.rule_problems()]
        problems += penetapan_problems(self.peraturan, "keputusan_tim_kerja", self.lingkup, self.penetap.tingkat,
                                       self.peralihan_koordinator)
        problems += ketua_problems(self.peraturan, [(m.peran, m.nama) for m in self.tim.anggota])
        problems += self.tim.pengawasan_problems()
        problems += [((name,), _empty_problem(name)) for name in ("menimbang", "mengingat") if not getattr(self, name)]
        problems += signer_problems("keputusan_tim_kerja", self.penetap, self.penandatangan, self.peraturan)
        if self.berlaku_sampai and self.berlaku_sampai < self.ditetapkan.tanggal:
            problems.append((("berlaku_sampai",), _validity_problem(self.berlaku_sampai, self.ditetapkan.tanggal,
                                                                      MASA_BERLAKU)))
        return problems

    @property
    def hal(self) -> str:
        return f"Keputusan {self.penetap.jabatan} tentang {self.tentang}"

    def to_context(self) -> dict:
        extra = [{"label": urutan(DIKTUM_TETAP + index), "teks": teks}
                 for index, teks in enumerate(self.diktum, start=1)]
        return {
            "kop": self.kop.to_context(),
            "nomor": self.nomor,
            "penetap": {"tingkat": self.penetap.tingkat, "jabatan": self.penetap.jabatan},
            "tentang": self.tentang,
            "menimbang": list(self.menimbang),
            "mengingat": list(self.mengingat),
            "tim": self.tim.to_context(),
            "tugas": list(self.tugas),
            "melapor_kepada": self.melapor_kepada,
            "diktum_tambahan": extra,
            "diktum_penutup": urutan(DIKTUM_TETAP + len(extra) + 1),
            "berlaku_sampai": self.berlaku_sampai,
            "ditetapkan": {"tempat": self.ditetapkan.tempat, "tanggal": self.ditetapkan.tanggal},
            "tanggal": self.tanggal,
            "hal": self.hal,
            "penandatangan": self.penandatangan.to_context() | {"baris_jabatan": _capitals(self.baris_jabatan)},
            "tembusan": list(self.tembusan),
        }


def _empty_problem(name: str) -> str:
    if name == "menimbang":
        return cite(_("a Keputusan states at least one consideration (Menimbang): the format of a Keputusan in "
                      "{source} on naskah dinas").format(source=FORMAT_KEPUTUSAN), FORMAT_KEPUTUSAN)
    return cite(_("a Keputusan states at least one legal basis (Mengingat): the format of a Keputusan in {source} on "
                  "naskah dinas").format(source=FORMAT_KEPUTUSAN), FORMAT_KEPUTUSAN)


_PREFIXES = ("a.n. ", "u.b.", "Plt. ", "Plh. ")


def _capitals(lines: list[str]) -> list[str]:
    """A Keputusan writes the official's title in capitals above the signature; a.n., u.b., Plt. and Plh. stay."""
    result = []
    for line in lines:
        prefix = next((p for p in _PREFIXES if line.startswith(p)), "")
        result.append(prefix + line[len(prefix):].upper())
    return result
