"""Surat Tugas, the two formats of Perwal Kota Malang 16/2023, Lampiran C (team and individual)."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator

from .common import Kalimat, Kop, Model, Pegawai, Penandatangan, TempatTanggal, Teks


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class AnggotaTim(Pegawai):
    """A member of a Tim Kerja and their position in it."""

    peran: Annotated[Literal["ketua", "anggota"], BeforeValidator(_lower)]

    def to_context(self) -> dict:
        return super().to_context() | {"kedudukan": self.peran.capitalize()}


class TimKerja(Model):
    nama: Teks
    anggota: list[AnggotaTim] = Field(min_length=1, max_length=500)

    @field_validator("anggota")
    @classmethod
    def _exactly_one_ketua_first(cls, anggota: list[AnggotaTim]) -> list[AnggotaTim]:
        """A team has exactly one Ketua (Perwal Malang 16/2023); the Lampiran lists the Ketua first."""
        ketua = [index for index, member in enumerate(anggota) if member.peran == "ketua"]
        if len(ketua) != 1:
            found = ", ".join(f"[{index}] {anggota[index].nama}" for index in ketua) or "none"
            raise ValueError(f"a team has exactly one Ketua; found {len(ketua)}: {found}")
        return [anggota[ketua[0]]] + [m for i, m in enumerate(anggota) if i != ketua[0]]

    @field_validator("anggota")
    @classmethod
    def _no_member_twice(cls, anggota: list[AnggotaTim]) -> list[AnggotaTim]:
        seen: set[str] = set()
        for member in anggota:
            if member.nip in seen:
                raise ValueError(f"NIP {member.nip} ({member.nama}) is listed twice")
            seen.add(member.nip)
        return anggota


class _SuratTugas(Model):
    """What both formats share."""

    kop: Kop
    nomor: Teks
    dasar: list[Kalimat] = Field(min_length=1, max_length=50)
    untuk: list[Kalimat] = Field(min_length=1, max_length=50)
    melapor_kepada: Teks
    berlaku_sampai: dt.date
    ditetapkan: TempatTanggal
    penandatangan: Penandatangan

    @field_validator("untuk")
    @classmethod
    def _without_final_punctuation(cls, untuk: list[str]) -> list[str]:
        """The template punctuates the list (";" then "."), so a duty's own final ; or . is dropped."""
        return [duty.rstrip(" ;.") or duty for duty in untuk]

    def rule_problems(self) -> list[tuple[tuple, str]]:
        problems = [(("penandatangan", *loc), msg) for loc, msg in self.penandatangan.rule_problems()]
        if self.berlaku_sampai < self.ditetapkan.tanggal:
            problems.append(
                (
                    ("berlaku_sampai",),
                    f"validity ends {self.berlaku_sampai.isoformat()}, before the date of issue "
                    f"{self.ditetapkan.tanggal.isoformat()}",
                )
            )
        return problems

    def to_context(self) -> dict:
        return {
            "kop": self.kop.to_context(),
            "nomor": self.nomor,
            "dasar": list(self.dasar),
            "untuk": list(self.untuk),
            "melapor_kepada": self.melapor_kepada,
            "berlaku_sampai": self.berlaku_sampai,
            "ditetapkan": {"tempat": self.ditetapkan.tempat, "tanggal": self.ditetapkan.tanggal},
            "tanggal": self.ditetapkan.tanggal,
            "penandatangan": self.penandatangan.to_context(),
        }


class SuratTugasTim(_SuratTugas):
    """Lampiran C.1: the team is listed in the Lampiran table."""

    tim: TimKerja

    def to_context(self) -> dict:
        return super().to_context() | {
            "hal": f"Surat Tugas {self.tim.nama}",
            "tim": {"nama": self.tim.nama, "anggota": [m.to_context() for m in self.tim.anggota]},
        }


class SuratTugasIndividu(_SuratTugas):
    """Lampiran C.2: one official named in the letter itself."""

    pegawai: Pegawai

    def to_context(self) -> dict:
        return super().to_context() | {
            "hal": f"Surat Tugas kepada {self.pegawai.nama}",
            "pegawai": self.pegawai.to_context(),
        }
