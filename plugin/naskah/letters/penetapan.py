"""Who forms a Tim Kerja and appoints its Ketua, and by which letter, in each city's regulation; the parts the
Keputusan and the Surat Perintah forming a team share.

- Perwal Kota Malang 16/2023 Pasal 9 ayat (3): a team is its Ketua and its Anggota. Ayat (6): the Surat Perintah
  assigning a team is signed by the Pimpinan Unit Organisasi, the Pejabat Penilai Kinerja or the Kepala Perangkat
  Daerah. Ayat (8): where legislation requires a team to be set by Keputusan, that is a Keputusan Wali Kota or a
  Keputusan Sekretaris Daerah.
- Perwal Kota Cilegon 17/2023 Pasal 9 ayat (1): a team within a unit or across units is formed by Keputusan of the
  Pimpinan Unit Organisasi that owns the performance; ayat (2): a team across agencies by Keputusan Wali Kota. Its
  Pasal 8 ayat (1) knows no other scope, so a team across the city's Perangkat Daerah is one across the units of
  one agency (Instansi Pemerintah, Pasal 1 angka 13). Lampiran huruf C angka 1 huruf c: one official is its Ketua.
- Perwal Kota Tangerang 12/2023 Pasal 22 ayat (1): the Ketua of a team within or across the units of a Perangkat
  Daerah by surat perintah of the Kepala Perangkat Daerah (huruf a); across Perangkat Daerah by surat perintah of
  the Wali Kota or the Sekretaris Daerah (huruf b); across agencies by Keputusan of the Wali Kota or the Sekretaris
  Daerah (huruf c). Pasal 30 ayat (1): functional officials who were koordinator or subkoordinator become Ketua Tim
  by Keputusan Wali Kota.

A mapping names the regulation its letters follow (``peraturan:``, naskah.letters.peraturan), the letter says the
team's scope (``lingkup``) and the level of the official whose letter it is (``penetap.tingkat``); a letter that
does not fit the regulation is refused, citing the article.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

from num2words import num2words
from pydantic import BeforeValidator, TypeAdapter, ValidationError, field_validator

from ..i18n import _
from .citations import KETUA_TIM, cite
from .common import Model, Teks
from .peraturan import DEFAULT, NAMA_PERATURAN
from .surat_tugas import AnggotaTim, TimKerja, ketua_problem

LingkupTim = Literal["dalam_unit_organisasi", "lintas_unit_organisasi", "lintas_perangkat_daerah", "lintas_instansi"]
Tingkat = Literal["pimpinan_unit_organisasi", "pejabat_penilai_kinerja", "kepala_perangkat_daerah",
                  "sekretaris_daerah", "wali_kota"]
NAMA_TINGKAT: dict[str, str] = {
    "pimpinan_unit_organisasi": "Pimpinan Unit Organisasi",
    "pejabat_penilai_kinerja": "Pejabat Penilai Kinerja",
    "kepala_perangkat_daerah": "Kepala Perangkat Daerah",
    "sekretaris_daerah": "Sekretaris Daerah",
    "wali_kota": "Wali Kota",
}
#: the two letters that form a team, by their letter kind
BENTUK: dict[str, str] = {"keputusan_tim_kerja": "Keputusan", "surat_perintah": "Surat Perintah"}

_WITHIN_PD = ("dalam_unit_organisasi", "lintas_unit_organisasi")
_ALL = (*_WITHIN_PD, "lintas_perangkat_daerah", "lintas_instansi")


@dataclass(frozen=True)
class Ketentuan:
    """One provision: teams of these scopes are formed by this letter kind, issued by one of these levels."""

    pasal: str
    kind: str  # keputusan_tim_kerja or surat_perintah
    penetap: tuple[str, ...]
    lingkup: tuple[str, ...] = _ALL
    peralihan: bool = False  # Tangerang Pasal 30: a koordinator or subkoordinator becomes Ketua Tim


KETENTUAN: dict[str, tuple[Ketentuan, ...]] = {
    "perwal_malang_16_2023": (
        Ketentuan("Pasal 9 ayat (6)", "surat_perintah",
                  ("pimpinan_unit_organisasi", "pejabat_penilai_kinerja", "kepala_perangkat_daerah")),
        Ketentuan("Pasal 9 ayat (8)", "keputusan_tim_kerja", ("wali_kota", "sekretaris_daerah")),
    ),
    "perwal_cilegon_17_2023": (
        Ketentuan("Pasal 9 ayat (1)", "keputusan_tim_kerja", ("pimpinan_unit_organisasi", "kepala_perangkat_daerah"),
                  lingkup=(*_WITHIN_PD, "lintas_perangkat_daerah")),
        Ketentuan("Pasal 9 ayat (2)", "keputusan_tim_kerja", ("wali_kota",), lingkup=("lintas_instansi",)),
    ),
    "perwal_tangerang_12_2023": (
        Ketentuan("Pasal 22 ayat (1) huruf a", "surat_perintah", ("kepala_perangkat_daerah",), lingkup=_WITHIN_PD),
        Ketentuan("Pasal 22 ayat (1) huruf b", "surat_perintah", ("wali_kota", "sekretaris_daerah"),
                  lingkup=("lintas_perangkat_daerah",)),
        Ketentuan("Pasal 22 ayat (1) huruf c", "keputusan_tim_kerja", ("wali_kota", "sekretaris_daerah"),
                  lingkup=("lintas_instansi",)),
        Ketentuan("Pasal 30 ayat (1)", "keputusan_tim_kerja", ("wali_kota",), peralihan=True),
    ),
}

def citation(peraturan: str, pasal: str) -> str:
    """ "Perwal Kota Malang 16/2023 Pasal 9 ayat (6)": how a refusal names the rule it enforces."""
    return f"{NAMA_PERATURAN[peraturan]} {pasal}"


def _either(names: tuple[str, ...]) -> str:
    words = [NAMA_TINGKAT[name] for name in names]
    return words[0] if len(words) == 1 else _("{first} or {last}").format(first=", ".join(words[:-1]),
                                                                          last=words[-1])


def penetapan_problems(peraturan: str, kind: str, lingkup: str, tingkat: str,
                       peralihan: bool = False) -> list[tuple[tuple, str]]:
    """What the regulation says against forming a team of ``lingkup`` by a letter of ``kind`` of ``tingkat``."""
    provisions = [k for k in KETENTUAN[peraturan] if lingkup in k.lingkup]
    if peralihan and any(k.peralihan for k in provisions):
        provisions = [k for k in provisions if k.peralihan]
    else:
        provisions = [k for k in provisions if not k.peralihan]
    fitting = [k for k in provisions if k.kind == kind]
    if not fitting:
        where = "; ".join(
            _("{rule}: by {instrument} of {officials} (letter kind {kind})").format(
                rule=citation(peraturan, k.pasal), instrument=BENTUK[k.kind], officials=_either(k.penetap),
                kind=k.kind)
            for k in provisions)
        cited = "; ".join(citation(peraturan, k.pasal) for k in provisions) or NAMA_PERATURAN[peraturan]
        return [(("lingkup",), cite(_("a team with lingkup {lingkup} is not formed by {instrument} under "
                                      "{regulation}; {where}").format(lingkup=lingkup, instrument=BENTUK[kind],
                                                                      regulation=NAMA_PERATURAN[peraturan],
                                                                      where=where), cited))]
    allowed = tuple(dict.fromkeys(level for k in fitting for level in k.penetap))
    if tingkat in allowed:
        return []
    rule = ", ".join(citation(peraturan, k.pasal) for k in fitting)
    message = _("{rule}: a {instrument} forming a team with lingkup {lingkup} is issued by {officials}, not by "
                "{tingkat}").format(rule=rule, instrument=BENTUK[kind], lingkup=lingkup, officials=_either(allowed),
                                    tingkat=NAMA_TINGKAT[tingkat])
    for other in (k for k in provisions if k.kind != kind and tingkat in k.penetap):
        message += "; " + _("{rule}: a {tingkat} forms it by {instrument} (letter kind {kind})").format(
            rule=citation(peraturan, other.pasal), tingkat=NAMA_TINGKAT[tingkat], instrument=BENTUK[other.kind],
            kind=other.kind)
    return [(("penetap", "tingkat"), cite(message, rule))]


def ketua_problems(peraturan: str, members: list[tuple[object, object]]) -> list[tuple[tuple, str]]:
    """Exactly one Ketua, citing the regulation (``members``: (peran, nama) pairs)."""
    problem = ketua_problem(members)
    if problem is None:
        return []
    rule = KETUA_TIM.citation(peraturan)
    return [(("tim", "anggota"), cite(_("{rule}: {problem}").format(rule=rule, problem=problem), rule))]


def raw_ketua_problems(fields: dict) -> list[tuple[tuple, str]]:
    """``ketua_problems`` on fields that failed validation elsewhere, so that one refusal lists every problem."""
    tim, peraturan = fields.get("tim"), fields.get("peraturan", DEFAULT)
    if peraturan not in KETENTUAN or not isinstance(tim, dict):
        return []
    members = tim.get("anggota")
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        return []
    return ketua_problems(peraturan, [(m.get("peran"), m.get("nama")) for m in members])


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class Penetap(Model):
    """The official whose letter it is: their level (for the rules) and their title (``Kepala Dinas ... Kota
    Malang``, printed in a Keputusan's heading)."""

    tingkat: Annotated[Tingkat, BeforeValidator(_lower)]
    jabatan: Teks


class TimDitetapkan(TimKerja):
    """A team as a Keputusan or Surat Perintah forms it: the letter checks its one Ketua, citing its regulation."""

    @field_validator("anggota")
    @classmethod
    def _exactly_one_ketua_first(cls, anggota: list[AnggotaTim]) -> list[AnggotaTim]:
        """The Ketua first; the letter refuses a team without exactly one (``ketua_problems``)."""
        ketua = [index for index, member in enumerate(anggota) if member.peran == "ketua"]
        if len(ketua) != 1:
            return anggota
        return [anggota[ketua[0]]] + [m for i, m in enumerate(anggota) if i != ketua[0]]

    @property
    def ketua(self) -> AnggotaTim | None:
        return next((member for member in self.anggota if member.peran == "ketua"), None)

    def to_context(self) -> dict:
        ketua = self.ketua
        return {"nama": self.nama, "anggota": [m.to_context() for m in self.anggota],
                "ketua": ketua.to_context() if ketua else None}


def signer_problems(kind: str, penetap: Penetap, signer, peraturan: str) -> list[tuple[tuple, str]]:
    """The letter is its official's: they sign it themselves, or it is signed a.n. (u.b.) or as Plt./Plh. of them
    (cited: the articles that say whose letter of ``kind`` it is under ``peraturan``)."""
    principal = signer.jabatan_pemberi if signer.kedudukan in ("a.n.", "u.b.") else signer.jabatan
    if principal and _words(principal) in _words(penetap.jabatan):
        return []
    rule = "; ".join(citation(peraturan, k.pasal) for k in KETENTUAN[peraturan] if k.kind == kind)
    message = _("the {instrument} is the {official}'s (penetap): they sign it, or it is signed a.n., Plt. or Plh. of "
                "them, not by {signer}").format(instrument=BENTUK[kind], official=penetap.jabatan,
                                                signer=" ".join(signer.baris_jabatan).rstrip(","))
    return [(("penandatangan",), cite(message, rule or NAMA_PERATURAN[peraturan]))]


def _words(text: str) -> str:
    return " " + " ".join(text.lower().replace(",", " ").split()) + " "


def urutan(number: int) -> str:
    """The word of a Keputusan's diktum: 1 KESATU, 2 KEDUA, 11 KESEBELAS, 12 KEDUA BELAS."""
    return "KE" + num2words(number, lang="id").upper()


def raw_date(fields: dict, *path: str) -> dt.date | None:
    """A date among fields that failed validation, or None."""
    value = fields
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    try:
        return TypeAdapter(dt.date).validate_python(value)
    except ValidationError:
        return None
